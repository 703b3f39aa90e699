package openapi

import (
	"bytes"
	"fmt"
	"strings"
	"unsafe"

	"gopkg.in/yaml.v3"
)

// span is the byte range of one indexed key and its value in the description.
// start is the first byte of the key's line, so the range can be decoded on
// its own as a one-key YAML mapping; line is the key's 1-based line.
type span struct {
	start, end int
	line       int
	null       bool // the key has no value (YAML null), which kin treats as absent
}

// opEntry is one operation found by the outline pass, in document order.
type opEntry struct {
	path, method string // method as written: the path-item key, or the additionalOperations key
	extra        bool   // found under additionalOperations (OpenAPI 3.2)
	id           string
	idPending    bool // operationId is not a one-line scalar; decode it later
	null         bool // "get:" with no value: YAML null, not an operation
	line         int
}

// loc is where the operation sits below its path item: [method], or
// ["additionalOperations", method].
func (e opEntry) loc() []string {
	if e.extra {
		return []string{"additionalOperations", e.method}
	}
	if l, ok := fixedLocs[e.method]; ok {
		return l
	}
	return []string{e.method}
}

// fixedLocs are the locs of the path-item fields, shared (never modified) so
// that indexing a large description does not allocate one per operation.
var fixedLocs = map[string][]string{
	"get": {"get"}, "put": {"put"}, "post": {"post"}, "delete": {"delete"}, "options": {"options"},
	"head": {"head"}, "patch": {"patch"}, "trace": {"trace"}, "query": {"query"},
}

// outline is the index built by one pass over a block-style YAML description.
// It records where the interesting keys live so that Operation can decode only
// the few kilobytes it needs instead of the whole description.
type outline struct {
	data     []byte
	blocks   map[string]span     // joined key path (see pathKey) → range
	children map[string][]string // indexed block → its indexed child keys, in order
	ops      []opEntry
}

// pathKey joins a key path with a byte that cannot appear in a YAML key, so
// that "a.b" and ["a","b"] never collide.
func pathKey(parts ...string) string { return strings.Join(parts, "\x00") }

// httpMethods are the path-item keys that hold operations in every version
// read (OpenAPI 3.0 and 3.1; 3.2 adds query).
var httpMethods = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true,
	"options": true, "head": true, "patch": true, "trace": true,
}

// operationField reports whether a path-item key holds an operation in some
// version read: the eight of 3.0/3.1, and 3.2's query. The outline indexes
// them whatever the version; Load keeps query only in 3.2 descriptions.
func operationField(key string) bool { return httpMethods[key] || key == "query" }

// opLen returns n when path[:n] names an operation (paths.{path}.{method},
// or 3.2's paths.{path}.additionalOperations.{method}), else 0.
func opLen(path []string) int {
	switch {
	case len(path) < 3 || path[0] != "paths":
		return 0
	case operationField(path[2]):
		return 3
	case path[2] == "additionalOperations" && len(path) >= 4:
		return 4
	}
	return 0
}

// operationKeys are the only keys inside an operation that trama reads; the
// rest (responses, callbacks, examples) is never decoded.
var operationKeys = map[string]bool{
	"operationId": true, "parameters": true, "requestBody": true,
	"servers": true, "security": true,
}

// decodedUnit reports whether a block at this key path can be decoded while
// building operations; an alias that crosses into it forces a full load.
// Request bodies are read key by key (required, $ref, the media-type names),
// so their schemas, where real descriptions keep their aliases, never are.
func decodedUnit(path []string) bool {
	switch {
	case len(path) == 1:
		return path[0] == "openapi" || path[0] == "servers" || path[0] == "security"
	case path[0] == "paths" && len(path) == 3:
		return path[2] == "parameters" || path[2] == "servers"
	case path[0] == "paths":
		n := opLen(path)
		if n == 0 {
			return false
		}
		switch rel := path[n:]; len(rel) {
		case 1:
			return rel[0] != "requestBody" // only operationKeys are indexed at this depth
		case 2:
			return rel[1] != "content"
		}
	case path[0] == "components" && len(path) == 3:
		switch path[1] {
		case "parameters", "securitySchemes", "pathItems":
			return true
		}
	case path[0] == "components" && len(path) == 4:
		return (path[1] == "requestBodies" && path[3] != "content") || path[1] == "schemas"
	}
	return false
}

// childrenIndexed reports whether some child keys of path are indexed.
func childrenIndexed(path []string) bool {
	switch {
	case len(path) <= 2:
		return path[0] == "paths" || path[0] == "components"
	case path[0] == "paths" && len(path) == 3 && path[2] == "additionalOperations":
		return true
	case opLen(path) > 0:
		rel := path[opLen(path):]
		return len(rel) == 0 || (rel[0] == "requestBody" && (len(rel) == 1 || (len(rel) == 2 && rel[1] == "content")))
	case path[0] == "components" && len(path) == 3:
		return path[1] == "requestBodies" || path[1] == "schemas"
	case path[0] == "components" && len(path) == 4:
		return path[1] == "requestBodies" && path[3] == "content"
	}
	return false
}

// schemaKeys are the only keys of a component schema that trama reads; its
// properties, compositions and discriminator are never decoded.
var schemaKeys = map[string]bool{"$ref": true, "type": true, "format": true, "nullable": true, "items": true}

// indexed reports whether the outline records a block for this key path.
func indexed(path []string) bool {
	switch len(path) {
	case 1:
		return true
	case 2, 3:
		return path[0] == "paths" || path[0] == "components"
	}
	if path[0] == "paths" && len(path) == 4 && path[2] == "additionalOperations" {
		return true // an operation of OpenAPI 3.2's additionalOperations
	}
	if n := opLen(path); n > 0 {
		switch rel := path[n:]; len(rel) {
		case 1:
			return operationKeys[rel[0]]
		case 2:
			return rel[0] == "requestBody"
		case 3:
			return rel[0] == "requestBody" && rel[1] == "content"
		}
		return false
	}
	if path[0] == "components" && path[1] == "schemas" {
		return len(path) == 4 && schemaKeys[path[3]]
	}
	if path[0] == "components" && path[1] == "requestBodies" {
		switch len(path) {
		case 4:
			return true
		case 5:
			return path[3] == "content"
		}
	}
	return false
}

// unsureError explains why the outline pass gave up; Load then falls back to
// a full parse. It is never shown to users unless the full parse agrees.
type unsureError struct {
	line   int
	reason string
}

func (e *unsureError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.reason) }

type frameKind uint8

const (
	frameKey frameKind = iota
	frameSeq
)

// frame is one open node on the indentation stack.
type frame struct {
	col   int
	kind  frameKind
	path  []string // key path when every ancestor is a mapping key, else nil
	block string   // pathKey of the indexed block this frame opened (when path != nil)
	unit  int      // id of the innermost indexed block containing this frame
	open  bool     // key with an empty inline value: children may follow, including an indentless "- " at col
	child bool     // a nested node was seen
	op    int      // index+1 into outline.ops when this frame is an operation
}

type anchorUse struct {
	name  string
	unit  int
	alias bool
	line  int
}

// scanner holds the state of one outline pass.
type scanner struct {
	data     []byte
	out      *outline
	stack    []frame
	skipCol  int // while >= 0, lines indented more than this belong to a scalar already seen
	lineNo   int
	units    [][]string // unit id → key path
	anchors  []anchorUse
	sawFirst bool
	err      *unsureError
}

// buildOutline runs the outline pass. It returns an *unsureError when the
// description uses YAML the pass does not model.
func buildOutline(data []byte) (*outline, error) {
	s := &scanner{
		data:    data,
		out:     &outline{data: data, blocks: make(map[string]span, 256), children: map[string][]string{}},
		skipCol: -1,
		units:   [][]string{nil}, // unit 0: outside any indexed block
	}
	if r := oddLineBreak(data); r != "" {
		return nil, &unsureError{line: 1, reason: r}
	}
	pos := 0
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		pos = 3
	}
	for pos < len(data) && s.err == nil {
		nl := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		end := len(data)
		if nl >= 0 {
			end = pos + nl
			next = end + 1
		}
		if end > pos && data[end-1] == '\r' {
			end--
		}
		s.lineNo++
		next = s.line(pos, end, next)
		pos = next
	}
	if s.err != nil {
		return nil, s.err
	}
	s.popTo(-1, false, len(data))
	if err := s.checkAnchors(); err != nil {
		return nil, err
	}
	ops := s.out.ops[:0]
	for _, op := range s.out.ops {
		if !op.null {
			ops = append(ops, op)
		}
	}
	s.out.ops = ops
	if err := s.resolvePendingIDs(); err != nil {
		return nil, err
	}
	return s.out, nil
}

func (s *scanner) unsure(format string, args ...any) {
	if s.err == nil {
		s.err = &unsureError{line: s.lineNo, reason: fmt.Sprintf(format, args...)}
	}
}

// line processes the line data[pos:end] and returns where the next line starts
// (a quoted scalar can consume several lines).
func (s *scanner) line(pos, end, next int) int {
	d := s.data
	i := pos
	for i < end && d[i] == ' ' {
		i++
	}
	if i == end {
		return next // blank
	}
	col := i - pos
	if d[i] == '\t' {
		if (s.skipCol >= 0 && col > s.skipCol) || len(bytes.TrimLeft(d[i:end], " \t")) == 0 {
			return next
		}
		// Tabs are never indentation in YAML; a line that starts with one is
		// something the outline does not follow, or an error kin should report.
		s.unsure("tab in indentation")
		return next
	}
	if s.skipCol >= 0 {
		if col > s.skipCol {
			return next
		}
		s.skipCol = -1
	}
	if d[i] == '#' {
		return next
	}
	if col == 0 {
		if isMarker(d[i:end], "---") {
			if s.sawFirst {
				s.unsure("more than one YAML document")
			}
			s.sawFirst = true
			rest := bytes.TrimSpace(d[i+3 : end])
			if len(rest) > 0 && rest[0] != '#' {
				s.unsure("content after document marker")
			}
			return next
		}
		if isMarker(d[i:end], "...") || d[i] == '%' {
			s.unsure("YAML directive or document end marker")
			return next
		}
	}
	s.sawFirst = true
	if len(s.stack) == 0 && col != 0 && len(s.out.blocks) == 0 {
		s.unsure("indented top-level mapping")
		return next
	}
	return s.node(pos, col, i, end, next, true)
}

func isMarker(b []byte, m string) bool {
	return bytes.HasPrefix(b, []byte(m)) && (len(b) == 3 || b[3] == ' ' || b[3] == '\t')
}

// node handles a node that starts at d[i] (column col) on a line ending at end.
// atLineStart is false for the content after "- ".
func (s *scanner) node(pos, col, i, end, next int, atLineStart bool) int {
	d := s.data
	c := d[i]
	isDash := c == '-' && (i+1 == end || d[i+1] == ' ' || d[i+1] == '\t')
	if atLineStart {
		s.popTo(col, isDash, pos)
	}
	if isDash {
		s.push(frame{col: col, kind: frameSeq})
		j := i + 1
		for j < end && d[j] == ' ' {
			j++
		}
		if j == end || d[j] == '#' {
			return next
		}
		if d[j] == '\t' {
			s.unsure("tab after sequence indicator")
			return next
		}
		return s.node(pos, col+(j-i), j, end, next, false)
	}
	switch c {
	case '?':
		if i+1 == end || d[i+1] == ' ' {
			s.unsure("complex mapping key")
			return next
		}
	case '[', '{', '&', '*', '!', '|', '>', '@', '`', '%':
		// A value node that is not a mapping entry (sequence item or scalar on its own line).
		return s.value(s.parentCol(), i, end, next, false)
	case '"', '\'':
		q, ok := scanQuotedLine(d[i:end])
		if ok {
			k := i + q
			for k < end && d[k] == ' ' {
				k++
			}
			if k < end && d[k] == ':' && (k+1 == end || d[k+1] == ' ') {
				return s.entry(pos, col, d[i:i+q], true, k+1, end, next)
			}
		}
		return s.value(s.parentCol(), i, end, next, false)
	}
	// Plain key: up to the first ": " (or a ':' ending the line) that comes before a comment.
	for k := i; k < end; k++ {
		if (d[k] == ' ' || d[k] == '\t') && k+1 < end && d[k+1] == '#' {
			break
		}
		if d[k] == ':' && (k+1 == end || d[k+1] == ' ' || d[k+1] == '\t') {
			e := k
			for e > i && (d[e-1] == ' ' || d[e-1] == '\t') {
				e--
			}
			return s.entry(pos, col, d[i:e], false, k+1, end, next)
		}
	}
	return s.value(s.parentCol(), i, end, next, false)
}

// parentCol is the column that a scalar's continuation lines must exceed.
func (s *scanner) parentCol() int {
	if len(s.stack) == 0 {
		return -1
	}
	return s.stack[len(s.stack)-1].col
}

// entry records the mapping key at column col and handles its inline value,
// which starts after the ':' at v.
func (s *scanner) entry(pos, col int, keyText []byte, quoted bool, v, end, next int) int {
	d := s.data
	f := frame{col: col, kind: frameKey}
	if top := s.top(); !quoted && string(keyText) == "<<" && (top == nil || top.path != nil && childrenIndexed(top.path)) {
		// A merge key could bring in operations or parameters the outline never sees.
		s.unsure("merge key where the outline indexes keys")
		return next
	}
	if top := s.top(); top == nil || (top.kind == frameKey && top.path != nil) {
		var parent []string
		if top != nil {
			parent = top.path
		}
		// Every prefix of an indexed path is indexed, so a path is only worth
		// keeping while it is; the check runs on the raw bytes so that the
		// thousands of keys inside schemas and examples cost no allocation.
		if top == nil || top.col < col {
			key, ok := s.keyString(keyText, quoted)
			if ok && indexedChild(parent, key) {
				// One allocation holds the block name; the path's last element
				// shares it.
				if top == nil {
					f.block = strings.Clone(key)
				} else {
					f.block = top.block + "\x00" + key
				}
				f.path = append(parent[:len(parent):len(parent)], f.block[len(f.block)-len(key):])
			}
		}
	}
	if f.path != nil {
		key := f.path[len(f.path)-1]
		if len(f.path) == 3 && f.path[0] == "paths" && key == "$ref" {
			// The operations live in the referenced path item.
			s.unsure("path item $ref")
			return next
		}
		if _, dup := s.out.blocks[f.block]; dup {
			s.unsure("duplicate key %q", key)
			return next
		}
		s.out.blocks[f.block] = span{start: pos, end: -1, line: s.lineNo}
		if top := s.top(); top != nil && top.path != nil && top.path[len(top.path)-1] == "content" {
			s.out.children[top.block] = append(s.out.children[top.block], key)
		}
		f.unit = len(s.units)
		s.units = append(s.units, f.path)
		if n := opLen(f.path); n > 0 && n == len(f.path) {
			s.out.ops = append(s.out.ops, opEntry{path: f.path[1], method: f.path[n-1], extra: n == 4, line: s.lineNo, idPending: true})
			f.op = len(s.out.ops)
		}
	} else if top := s.top(); top != nil {
		f.unit = top.unit
	}
	for v < end && (d[v] == ' ' || d[v] == '\t') {
		v++
	}
	f.open = v == end || d[v] == '#'
	if !f.open && isNull(d[v:end]) {
		if f.op > 0 {
			s.out.ops[f.op-1].null = true
		}
		if f.path != nil {
			sp := s.out.blocks[f.block]
			sp.null = true
			s.out.blocks[f.block] = sp
		}
	}
	s.push(f)
	if f.open {
		return next
	}
	return s.value(col, v, end, next, !quoted && string(keyText) == "$ref" ||
		quoted && len(keyText) == 6 && string(keyText[1:5]) == "$ref")
}

// keyString returns the key as a string that may alias scratch space; callers
// clone what they keep. Quoted keys are unquoted.
func (s *scanner) keyString(raw []byte, quoted bool) (string, bool) {
	if !quoted {
		if len(raw) > 0 && !plainString(raw) {
			// "200", "true", "~": YAML reads these as non-strings, and kin
			// then renames the key ("000" becomes "0").
			var v any
			if err := yaml.Unmarshal(raw, &v); err != nil {
				s.unsure("key %q: %v", raw, err)
				return "", false
			}
			if _, ok := v.(string); !ok {
				s.unsure("key %q is not a string in YAML", raw)
				return "", false
			}
		}
		return unsafeString(raw), true
	}
	k, err := unquoteKey(raw)
	if err != nil {
		s.unsure("quoted key: %v", err)
		return "", false
	}
	return k, true
}

// indexedChild is indexed(append(parent, key)) without building the slice.
func indexedChild(parent []string, key string) bool {
	var buf [8]string
	if len(parent) >= len(buf) {
		return false
	}
	p := append(buf[:0], parent...)
	return indexed(append(p, key))
}

// value handles a scalar or flow value starting at d[v]; threshold is the
// column that continuation lines of a multi-line scalar must exceed.
func (s *scanner) value(threshold, v, end, next int, isRef bool) int {
	d := s.data
	for v < end && (d[v] == '&' || d[v] == '*') {
		j := v + 1
		for j < end && d[j] != ' ' && d[j] != '\t' {
			j++
		}
		use := anchorUse{name: string(d[v+1 : j]), unit: s.curUnit(), alias: d[v] == '*', line: s.lineNo}
		s.anchors = append(s.anchors, use)
		for j < end && d[j] == ' ' {
			j++
		}
		if use.alias {
			return next
		}
		v = j
		if rest := bytes.TrimRight(d[v:end], " \t"); len(rest) > 0 && rest[0] != '{' && rest[0] != '[' &&
			(bytes.Contains(rest, []byte(": ")) || bytes.HasSuffix(rest, []byte(":"))) {
			s.unsure("anchor on a mapping key")
			return next
		}
		if v == end || d[v] == '#' {
			if top := s.top(); top != nil && top.kind == frameKey {
				top.open = true
			}
			return next
		}
	}
	if v == end {
		return next
	}
	switch d[v] {
	case '!':
		s.unsure("YAML tag")
		return next
	case '@', '`', '%':
		s.unsure("reserved indicator %q", d[v])
		return next
	case '|', '>':
		s.skipCol = threshold
		return next
	case '[', '{':
		if !flowClosesOnLine(d[v:end]) {
			s.unsure("flow collection spans lines")
			return next
		}
		// A flow collection hides keys the outline would index ("/a: {get: …}").
		if top := s.top(); top != nil && top.kind == frameKey && top.path != nil && childrenIndexed(top.path) {
			if rest := bytes.TrimSpace(d[v:end]); !bytes.HasPrefix(rest, []byte("{}")) && !bytes.HasPrefix(rest, []byte("[]")) {
				s.unsure("flow collection where the outline indexes keys")
			}
		}
		return next
	case '"', '\'':
		q, ok := scanQuoted(d, v)
		if !ok {
			s.unsure("unterminated quoted scalar")
			return next
		}
		if isRef {
			ref, err := unquoteKey(d[v:q])
			if err != nil || !strings.HasPrefix(ref, "#") {
				s.unsure("external $ref %q", ref)
				return next
			}
		}
		// Continue after the closing quote; the rest of that line may only be a comment.
		lineEnd := bytes.IndexByte(d[q:], '\n')
		rest := d[q:]
		after := len(d)
		if lineEnd >= 0 {
			rest = d[q : q+lineEnd]
			after = q + lineEnd + 1
		}
		s.lineNo += bytes.Count(d[v:q], []byte{'\n'})
		rest = bytes.TrimSpace(rest)
		if len(rest) > 0 && rest[0] != '#' {
			s.unsure("text after quoted scalar")
		}
		return after
	}
	if isRef && d[v] != '#' {
		s.unsure("external $ref %q", bytes.TrimSpace(d[v:end]))
		return next
	}
	s.skipCol = threshold
	return next
}

func (s *scanner) top() *frame {
	if len(s.stack) == 0 {
		return nil
	}
	return &s.stack[len(s.stack)-1]
}

func (s *scanner) curUnit() int {
	if t := s.top(); t != nil {
		return t.unit
	}
	return 0
}

func (s *scanner) push(f frame) {
	if t := s.top(); t != nil {
		t.child = true
		if f.kind == frameSeq {
			f.unit = t.unit
		}
	}
	s.stack = append(s.stack, f)
}

// popTo closes every frame that a node at column col (a "- " item when dash)
// ends, recording the end of indexed blocks at offset pos.
func (s *scanner) popTo(col int, dash bool, pos int) {
	for len(s.stack) > 0 {
		t := &s.stack[len(s.stack)-1]
		if t.col < col {
			return
		}
		if t.col == col && dash && t.kind == frameKey && t.open {
			// Indentless sequence: "key:\n- item" (and every later item at
			// this column) belongs to key.
			return
		}
		if t.op > 0 && t.open && !t.child {
			s.out.ops[t.op-1].null = true
		}
		if t.path != nil {
			sp := s.out.blocks[t.block]
			sp.end = pos
			if t.open && !t.child {
				sp.null = true
			}
			s.out.blocks[t.block] = sp
		}
		s.stack = s.stack[:len(s.stack)-1]
	}
}

// checkAnchors allows anchors and aliases only when every alias that sits in a
// block trama decodes refers to an anchor inside that same block, because
// blocks are decoded on their own.
func (s *scanner) checkAnchors() error {
	if len(s.anchors) == 0 {
		return nil
	}
	last := map[string]int{}
	for _, a := range s.anchors {
		if !a.alias {
			last[a.name] = a.unit
			continue
		}
		u, ok := last[a.name]
		if !ok {
			return &unsureError{line: a.line, reason: fmt.Sprintf("alias *%s before its anchor", a.name)}
		}
		if u != a.unit && s.inDecodedUnit(a.unit) {
			return &unsureError{line: a.line, reason: fmt.Sprintf("alias *%s refers to an anchor in another block", a.name)}
		}
	}
	return nil
}

// inDecodedUnit reports whether unit (or a block that contains it) is decoded
// when operations are built.
func (s *scanner) inDecodedUnit(unit int) bool {
	p := s.units[unit]
	for n := len(p); n > 0; n-- {
		if decodedUnit(p[:n]) {
			return true
		}
	}
	// An alias outside any indexed block could still be reached by a $ref deep
	// into a top-level key; treat unit 0 as decoded.
	return unit == 0
}

// resolvePendingIDs fills in operationIds, reading one-line scalars directly and
// decoding anything more elaborate with yaml.v3.
func (s *scanner) resolvePendingIDs() error {
	for i := range s.out.ops {
		op := &s.out.ops[i]
		key := pathKey("paths", op.path, op.method, "operationId")
		if op.extra {
			key = pathKey("paths", op.path, "additionalOperations", op.method, "operationId")
		}
		sp, ok := s.out.blocks[key]
		if !ok {
			op.idPending = false
			continue
		}
		if id, ok := inlineScalar(s.data[sp.start:sp.end]); ok {
			op.id, op.idPending = id, false
			continue
		}
		var m map[string]any
		if err := yaml.Unmarshal(s.data[sp.start:sp.end], &m); err != nil {
			return &unsureError{line: sp.line, reason: fmt.Sprintf("operationId: %v", err)}
		}
		id, ok := m["operationId"].(string)
		if !ok {
			return &unsureError{line: sp.line, reason: "operationId is not a string"}
		}
		op.id, op.idPending = id, false
	}
	return nil
}

// inlineScalar reads "key: value" where value is a one-line plain scalar or a
// quoted scalar without escapes. It reports false for anything else.
func inlineScalar(b []byte) (string, bool) {
	b = bytes.TrimRight(b, " \t\r\n")
	if bytes.IndexByte(b, '\n') >= 0 {
		return "", false
	}
	k := bytes.Index(b, []byte(": "))
	if k < 0 {
		return "", false
	}
	v := bytes.TrimSpace(b[k+2:])
	if len(v) == 0 {
		return "", false
	}
	switch v[0] {
	case '\'':
		if len(v) < 2 || v[len(v)-1] != '\'' || bytes.Contains(v[1:len(v)-1], []byte("'")) {
			return "", false
		}
		return string(v[1 : len(v)-1]), true
	case '"':
		if len(v) < 2 || v[len(v)-1] != '"' || bytes.ContainsAny(v[1:len(v)-1], "\"\\") {
			return "", false
		}
		return string(v[1 : len(v)-1]), true
	}
	if bytes.Contains(v, []byte(" #")) || !plainString(v) {
		return "", false
	}
	return string(v), true
}

// plainString reports whether a plain scalar is certainly a YAML string (not a
// number, boolean, null or something starting with an indicator).
func plainString(v []byte) bool {
	if strings.ContainsRune("-?:,[]{}#&*!|>'\"%@`~", rune(v[0])) {
		return false
	}
	if (v[0] >= '0' && v[0] <= '9') || v[0] == '.' || v[0] == '+' {
		return false
	}
	if len(v) <= 5 {
		for _, w := range []string{"null", "true", "false", "yes", "no", "on", "off", "y", "n"} {
			if bytes.EqualFold(v, []byte(w)) {
				return false
			}
		}
	}
	return true
}

// scanQuotedLine returns the length of the quoted scalar that starts b when it
// closes on this line.
func scanQuotedLine(b []byte) (int, bool) {
	q := b[0]
	for i := 1; i < len(b); i++ {
		switch {
		case q == '"' && b[i] == '\\':
			i++
		case b[i] == q:
			if q == '\'' && i+1 < len(b) && b[i+1] == '\'' {
				i++
				continue
			}
			return i + 1, true
		}
	}
	return 0, false
}

// scanQuoted returns the offset just after the quoted scalar starting at
// d[v], which may span lines.
func scanQuoted(d []byte, v int) (int, bool) {
	q := d[v]
	for i := v + 1; i < len(d); i++ {
		switch {
		case q == '"' && d[i] == '\\':
			i++
		case d[i] == q:
			if q == '\'' && i+1 < len(d) && d[i+1] == '\'' {
				i++
				continue
			}
			return i + 1, true
		}
	}
	return 0, false
}

// unquoteKey decodes a quoted YAML scalar.
func unquoteKey(b []byte) (string, error) {
	if b[0] == '\'' {
		return strings.ReplaceAll(string(b[1:len(b)-1]), "''", "'"), nil
	}
	if bytes.IndexByte(b, '\\') < 0 && bytes.IndexByte(b, '\n') < 0 {
		return string(b[1 : len(b)-1]), nil
	}
	var out string
	if err := yaml.Unmarshal(b, &out); err != nil {
		return "", err
	}
	return out, nil
}

// flowClosesOnLine reports whether the flow collection starting b closes
// before the end of the line (quotes respected) and only a comment follows.
func flowClosesOnLine(b []byte) bool {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				rest := bytes.TrimSpace(b[i+1:])
				return len(rest) == 0 || rest[0] == '#'
			}
		case '"', '\'':
			n, ok := scanQuotedLine(b[i:])
			if !ok {
				return false
			}
			i += n - 1
		}
	}
	return false
}

// unsafeString views b as a string without copying; the result must not
// outlive b's contents or be retained (keyString callers clone what they keep).
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// isNull reports whether an inline value is the YAML null.
func isNull(v []byte) bool {
	if i := bytes.Index(v, []byte(" #")); i >= 0 {
		v = v[:i]
	}
	switch string(bytes.TrimSpace(v)) {
	case "~", "null", "Null", "NULL":
		return true
	}
	return false
}

// oddLineBreak names a line break the outline does not split on: a CR
// without LF, or the NEL, LS and PS characters yaml.v3 also honours.
func oddLineBreak(data []byte) string {
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '\r')
		if j < 0 {
			break
		}
		i += j + 1
		if i == len(data) || data[i] != '\n' {
			return "carriage return without line feed"
		}
	}
	for _, b := range []string{"\u0085", "\u2028", "\u2029"} {
		if bytes.Contains(data, []byte(b)) {
			return fmt.Sprintf("Unicode line break %q", b)
		}
	}
	return ""
}

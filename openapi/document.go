package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/internal/lazyregexp"
)

// ErrOperationNotFound is wrapped by Operation and OperationAt when the
// description has no such operation.
var ErrOperationNotFound = errors.New("operation not found")

// Mode says how a Document was loaded.
type Mode int

const (
	// ModeOutline: block-style YAML indexed by the outline pass; operations
	// are decoded on first use. The default for YAML, because it is the only
	// mode that meets trama's cold-start budget on large descriptions.
	ModeOutline Mode = iota + 1
	// ModeJSON: a JSON description, split lazily with encoding/json.
	ModeJSON
	// ModeFull: loaded in full by kin-openapi, because the outline pass met
	// YAML it does not model, external $refs, or Options.Full.
	ModeFull
)

// String returns "outline", "json" or "full", the words logs and tests use.
func (m Mode) String() string {
	switch m {
	case ModeOutline:
		return "outline"
	case ModeJSON:
		return "json"
	case ModeFull:
		return "full"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Options tune LoadWithOptions. The zero value is what Load uses.
type Options struct {
	// Full skips the outline index and loads with kin-openapi. Default false;
	// tests and tools that want kin's view set it.
	Full bool
	// ExternalRefs lets the full load follow $refs into other files or URLs,
	// resolved against location. Default false: reading whatever a description
	// names is a decision for the caller, not the loader.
	ExternalRefs bool
}

// Document is a loaded OpenAPI description. Its methods are safe for
// concurrent use; decoded operations are cached, so asking twice parses once.
// Load keeps a reference to data: callers must not modify it afterwards.
type Document struct {
	version  string
	location string
	mode     Mode
	fallback string // why the outline pass was not used, for Mode users and logs

	refs  []OperationRef
	lines []int
	locs  [][]string // where each operation sits below its path item (see site.loc)
	byID  map[string]int
	byKey map[string]int // "GET /users/{id}" → index

	mu   sync.Mutex
	tree tree // nil in ModeFull
	ops  []*Operation
	// errs[i] says why Operation refuses operation i, which kin loaded; ModeFull only.
	errs []error
	// responses are the response keys by "METHOD path", in ModeFull only: the outline reads them
	// on demand.
	responses map[string][]string
	// responseTypes are the media types of the responses by "METHOD path", in ModeFull only.
	responseTypes map[string][]string
	servers       []Server
	schemes       map[string]SecurityScheme
	srvDone       bool
}

// Load parses an OpenAPI 3.0.x, 3.1.x or 3.2.x description (YAML or JSON).
// location (a path or URL) is used in error messages. It rejects Swagger 2.0
// and other versions.
func Load(data []byte, location string) (*Document, error) {
	return LoadWithOptions(data, location, Options{})
}

// LoadWithOptions is Load with explicit choices about the loading strategy.
func LoadWithOptions(data []byte, location string, opts Options) (*Document, error) {
	d, err := load(data, location, opts)
	if err != nil {
		return nil, fmt.Errorf("openapi: %s: %w", location, err)
	}
	return d, nil
}

func load(data []byte, location string, opts Options) (*Document, error) {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(trimmed) == 0 {
		return nil, errors.New("empty description")
	}
	if opts.Full {
		return loadFull(data, location, opts, "requested")
	}
	if trimmed[0] == '{' {
		d, err := loadJSON(trimmed, location)
		if errors.Is(err, errNeedsFull) || errors.Is(err, errNotJSON) {
			// Not JSON may still be a YAML flow mapping; kin reads both.
			return loadFull(data, location, opts, err.Error())
		}
		return d, err
	}
	o, err := buildOutline(data)
	if err != nil {
		var u *unsureError
		if errors.As(err, &u) {
			return loadFull(data, location, opts, u.Error())
		}
		return nil, err
	}
	version, err := outlineVersion(o)
	if err != nil {
		return nil, err
	}
	d := &Document{version: version, location: location, mode: ModeOutline, tree: newOutlineTree(o)}
	sites := make([]site, len(o.ops))
	for i, e := range o.ops {
		sites[i] = site{ref: OperationRef{ID: e.id, Method: strings.ToUpper(e.method), Path: e.path}, loc: e.loc(), line: e.line}
	}
	d.index(keepSites(version, sites))
	return d, nil
}

// site is where an operation is written in a description.
type site struct {
	ref OperationRef
	// loc is the operation's place below paths.{path}, as written: ["get"],
	// or ["additionalOperations", "COPY"] in OpenAPI 3.2.
	loc  []string
	line int
}

// keepSites drops the operations the description's version does not define,
// in document order, so that every loader lists the same ones:
//
//   - query and additionalOperations are OpenAPI 3.2 fields; earlier
//     versions have no such operations;
//   - an additionalOperations key for a method that has its own field (GET,
//     QUERY…, in any letter case) is ignored, as the specification forbids it;
//   - additionalOperations keys that differ only in letter case name the same
//     upper-cased method; the one first in byte order (the upper-case
//     spelling) is kept, whatever the order of the keys.
func keepSites(version string, sites []site) []site {
	v32 := strings.HasPrefix(version, "3.2.")
	first := map[string]string{} // "METHOD path" → the additionalOperations key kept
	for _, s := range sites {
		if len(s.loc) == 2 {
			k := s.ref.Method + " " + s.ref.Path
			if w, ok := first[k]; !ok || s.loc[1] < w {
				first[k] = s.loc[1]
			}
		}
	}
	out := sites[:0]
	for _, s := range sites {
		switch {
		case len(s.loc) == 1 && (httpMethods[s.loc[0]] || v32 && s.loc[0] == "query"):
		case len(s.loc) == 2 && v32 && !operationField(strings.ToLower(s.ref.Method)) && first[s.ref.Method+" "+s.ref.Path] == s.loc[1]:
		default:
			continue
		}
		out = append(out, s)
	}
	return out
}

// errNeedsFull and errNotJSON mark descriptions the lazy JSON loader hands to kin.
var (
	errNeedsFull = errors.New("external $ref or path item $ref")
	errNotJSON   = errors.New("starts with '{' but is not valid JSON")
)

// outlineVersion reads the top-level openapi (or swagger) key.
func outlineVersion(o *outline) (string, error) {
	read := func(key string) (string, bool, error) {
		sp, ok := o.blocks[pathKey(key)]
		if !ok {
			return "", false, nil
		}
		var m map[string]any
		if err := yaml.Unmarshal(o.data[sp.start:sp.end], &m); err != nil {
			return "", true, fmt.Errorf("line %d: %w", sp.line, err)
		}
		return fmt.Sprint(m[key]), true, nil
	}
	v, ok, err := read("openapi")
	if err != nil || ok {
		return v, errors.Join(err, checkVersion(v))
	}
	if _, ok, _ := read("swagger"); ok {
		return "", errSwagger
	}
	return "", errors.New("no top-level openapi field: not an OpenAPI 3 description")
}

var errSwagger = errors.New("Swagger 2.0 descriptions are not supported; convert it to OpenAPI 3.0, 3.1 or 3.2 first")

var versionRE = lazyregexp.New(`^3\.[012]\.\d+(-[0-9A-Za-z.-]+)?$`)

func checkVersion(v string) error {
	if !versionRE.MatchString(v) {
		return fmt.Errorf("unsupported OpenAPI version %q: trama reads 3.0.x, 3.1.x and 3.2.x", v)
	}
	return nil
}

func (d *Document) index(sites []site) {
	n := len(sites)
	d.refs, d.lines, d.locs = make([]OperationRef, n), make([]int, n), make([][]string, n)
	d.ops = make([]*Operation, n)
	d.byID = make(map[string]int, n)
	d.byKey = make(map[string]int, n)
	for i, s := range sites {
		d.refs[i], d.lines[i], d.locs[i] = s.ref, s.line, s.loc
		if s.ref.ID != "" {
			if _, dup := d.byID[s.ref.ID]; !dup {
				d.byID[s.ref.ID] = i // the first one wins, as in document order
			}
		}
		d.byKey[s.ref.Method+" "+s.ref.Path] = i
	}
}

// opTokens returns the JSON Pointer tokens of op in the description.
func (d *Document) opTokens(op *Operation) []string {
	if i, ok := d.byKey[op.Method+" "+op.Path]; ok {
		return append([]string{"paths", op.Path}, d.locs[i]...)
	}
	return []string{"paths", op.Path, strings.ToLower(op.Method)}
}

// Version returns the openapi field, e.g. "3.0.1".
func (d *Document) Version() string { return d.version }

// Location returns the path or URL given to Load.
func (d *Document) Location() string { return d.location }

// Mode says which loader built the Document.
func (d *Document) Mode() Mode { return d.mode }

// FallbackReason says why the outline pass was not used ("" in ModeOutline
// and ModeJSON). It names the line and construct, to help authors who want
// the fast path.
func (d *Document) FallbackReason() string { return d.fallback }

// Operations lists every operation in document order.
func (d *Document) Operations() []OperationRef {
	return append([]OperationRef(nil), d.refs...)
}

// Operation returns the operation with this operationId. The error wraps
// ErrOperationNotFound when there is none. The *Operation is cached and shared
// by every caller, so treat it as read-only.
func (d *Document) Operation(operationID string) (*Operation, error) {
	i, ok := d.byID[operationID]
	if !ok {
		hint := ""
		for id := range d.byID {
			if strings.EqualFold(id, operationID) {
				hint = fmt.Sprintf(" (did you mean %q?)", id)
				break
			}
		}
		return nil, fmt.Errorf("%w: operationId %q in %s%s", ErrOperationNotFound, operationID, d.location, hint)
	}
	return d.operation(i)
}

// OperationAt returns the operation at a decoded JSON Pointer such as
// "/paths/~1users~1{id}/get", or "/paths/~1users/additionalOperations/COPY"
// in OpenAPI 3.2 (a leading '#' is accepted too; the method's letter case is
// not). The error wraps ErrOperationNotFound when there is none.
func (d *Document) OperationAt(pointer string) (*Operation, error) {
	tokens, err := pointerTokens(strings.TrimPrefix(pointer, "#"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOperationNotFound, err)
	}
	var method string
	switch {
	case len(tokens) == 3 && tokens[0] == "paths":
		method = tokens[2]
	case len(tokens) == 4 && tokens[0] == "paths" && tokens[2] == "additionalOperations":
		method = tokens[3]
	default:
		return nil, fmt.Errorf("%w: pointer %q in %s does not name /paths/{path}/{method} or /paths/{path}/additionalOperations/{method}", ErrOperationNotFound, pointer, d.location)
	}
	method = strings.ToUpper(method)
	find := func(path string) (int, bool) {
		i, ok := d.byKey[method+" "+path]
		// A fixed field and an additionalOperations entry are different places.
		return i, ok && len(d.locs[i]) == len(tokens)-2
	}
	i, ok := find(tokens[1])
	if !ok && strings.Contains(tokens[1], "%") {
		// Tolerate a pointer copied straight from a URI fragment ("%7BuserId%7D").
		if p, err := url.PathUnescape(tokens[1]); err == nil {
			i, ok = find(p)
		}
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s %s (pointer %q) in %s", ErrOperationNotFound, method, tokens[1], pointer, d.location)
	}
	return d.operation(i)
}

func (d *Document) operation(i int) (*Operation, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if op := d.ops[i]; op != nil {
		return op, nil
	}
	var (
		op  *Operation
		err error
	)
	if d.tree == nil {
		err = d.errs[i] // ModeFull built every operation it could at load
	} else {
		op, err = buildOperation(d.tree, d.refs[i], d.locs[i], d.lines[i])
	}
	if err != nil {
		r := d.refs[i]
		return nil, fmt.Errorf("openapi: %s: %s %s: %w", d.location, r.Method, r.Path, err)
	}
	d.ops[i] = op
	return op, nil
}

// ResponseCodes returns the keys of an operation's responses object as written: status codes ("200"),
// ranges ("2XX") and "default". ok is false when the operation declares no responses. Unlike Operation,
// it decodes the operation's whole block (responses hold the large examples a run never reads), so
// validation asks for it and runs do not.
func (d *Document) ResponseCodes(op *Operation) (codes []string, ok bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tree == nil {
		codes, ok := d.responses[op.Method+" "+op.Path]
		return codes, ok, nil
	}
	codes, ok, err = d.tree.keys(append(d.opTokens(op), "responses"))
	if err != nil {
		return nil, false, fmt.Errorf("openapi: %s: %s %s responses: %w", d.location, op.Method, op.Path, err)
	}
	return codes, ok, nil
}

// ResponseMediaTypes returns the media types an operation's responses may carry: the keys of the
// content of every response it documents, $refs followed, each once, in the order first met. ok is
// false when the operation declares no responses. Like ResponseCodes it decodes the operation's whole
// responses block, so validation asks for it and runs do not.
func (d *Document) ResponseMediaTypes(op *Operation) (types []string, ok bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tree == nil {
		types, ok := d.responseTypes[op.Method+" "+op.Path]
		return types, ok, nil
	}
	base := append(d.opTokens(op), "responses")
	codes, ok, err := d.tree.keys(base)
	if err != nil || !ok {
		return nil, false, err
	}
	for _, code := range codes {
		tokens, err := followRef(d.tree, append(slices.Clone(base), code))
		if err != nil {
			return nil, false, fmt.Errorf("openapi: %s: %s %s response %s: %w", d.location, op.Method, op.Path, code, err)
		}
		keys, _, err := d.tree.keys(append(tokens, "content"))
		if err != nil {
			return nil, false, fmt.Errorf("openapi: %s: %s %s response %s: %w", d.location, op.Method, op.Path, code, err)
		}
		for _, k := range keys {
			if !slices.Contains(types, k) {
				types = append(types, k)
			}
		}
	}
	return types, true, nil
}

// Servers returns the document-level servers in declared order, or nil when
// none are declared (OpenAPI then implies a single server "/").
func (d *Document) Servers() []Server {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.srvDone && d.tree != nil {
		var raws []rawServer
		// A malformed servers block yields no servers; the runner reports the
		// missing base URL with the step that needs it.
		_, _ = get(d.tree, &raws, "servers")
		d.servers = convertServers(raws)
	}
	d.srvDone = true
	return append([]Server(nil), d.servers...)
}

// SecuritySchemes returns components.securitySchemes by name ($refs
// resolved). A scheme whose $ref cannot be resolved is left out, and the map
// is empty when the block cannot be decoded: the caller then reports the
// missing credentials with the step that needs them.
func (d *Document) SecuritySchemes() map[string]SecurityScheme {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.schemes == nil && d.tree != nil {
		s, err := buildSecuritySchemes(d.tree)
		if err != nil || s == nil {
			s = map[string]SecurityScheme{}
		}
		d.schemes = s
	}
	out := make(map[string]SecurityScheme, len(d.schemes))
	for k, v := range d.schemes {
		out[k] = v
	}
	return out
}

// loadJSON indexes a JSON description without decoding operations.
func loadJSON(data []byte, location string) (*Document, error) {
	if !json.Valid(data) {
		return nil, errNotJSON
	}
	if bytes.Contains(data, []byte(`"$ref"`)) && hasExternalRef(data) {
		return nil, errNeedsFull
	}
	t := newJSONTree(data)
	var version, swagger string
	if _, err := get(t, &version, "openapi"); err != nil {
		return nil, err
	}
	if version == "" {
		if ok, _ := get(t, &swagger, "swagger"); ok {
			return nil, errSwagger
		}
		return nil, errors.New("no top-level openapi field: not an OpenAPI 3 description")
	}
	if err := checkVersion(version); err != nil {
		return nil, err
	}
	d := &Document{version: version, location: location, mode: ModeJSON, tree: t}
	var sites []site
	n, ok, err := t.lookup([]string{"paths"})
	if err != nil {
		return nil, err
	}
	if ok {
		paths, err := splitObject(n.(jsonValue))
		if err != nil {
			return nil, fmt.Errorf("paths: %w", err)
		}
		for _, p := range paths {
			items, err := splitObject(p.value)
			if err != nil {
				return nil, fmt.Errorf("paths.%s: %w", p.key, err)
			}
			add := func(value json.RawMessage, loc ...string) error {
				var head struct {
					OperationID string `json:"operationId"`
				}
				if err := json.Unmarshal(value, &head); err != nil {
					return fmt.Errorf("paths.%s.%s: %w", p.key, strings.Join(loc, "."), err)
				}
				sites = append(sites, site{ref: OperationRef{ID: head.OperationID, Method: strings.ToUpper(loc[len(loc)-1]), Path: p.key}, loc: loc})
				return nil
			}
			for _, it := range items {
				switch {
				case it.key == "$ref":
					return nil, errNeedsFull // the operations live in the referenced path item
				case operationField(it.key):
					if isJSONNull(it.value) {
						continue // kin treats a null field as absent
					}
					if err := add(it.value, it.key); err != nil {
						return nil, err
					}
				case it.key == "additionalOperations":
					if isJSONNull(it.value) {
						continue
					}
					extra, err := splitObject(it.value)
					if err != nil {
						return nil, fmt.Errorf("paths.%s.additionalOperations: %w", p.key, err)
					}
					for _, e := range extra {
						if isJSONNull(e.value) {
							continue
						}
						if err := add(e.value, "additionalOperations", e.key); err != nil {
							return nil, err
						}
					}
				}
			}
		}
	}
	d.index(keepSites(version, sites))
	return d, nil
}

func isJSONNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

// hasExternalRef reports whether any "$ref" in a JSON document points outside it.
func hasExternalRef(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	prevRef := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		s, isStr := tok.(string)
		if prevRef && isStr && !strings.HasPrefix(s, "#") {
			return true
		}
		// Object keys and string values both arrive as strings; a "$ref" key is
		// followed by its value, so this check is exact for string values.
		prevRef = isStr && s == "$ref"
	}
}

// swaggerRE finds a top-level swagger key for the message kin cannot give.
var swaggerRE = lazyregexp.New(`(?m)^["']?swagger["']?\s*:`)

// loadFull loads the description with kin-openapi and converts every operation.
func loadFull(data []byte, location string, opts Options, reason string) (*Document, error) {
	doc, err := kinLoad(data, location, opts)
	if err != nil {
		if swaggerRE.Match(data) {
			return nil, errSwagger
		}
		if !opts.ExternalRefs && strings.Contains(err.Error(), "external reference") {
			return nil, fmt.Errorf("%w (trama reads other files only when external references are enabled)", err)
		}
		return nil, err
	}
	if doc.OpenAPI == "" {
		if swaggerRE.Match(data) {
			return nil, errSwagger
		}
		return nil, errors.New("no top-level openapi field: not an OpenAPI 3 description")
	}
	if err := checkVersion(doc.OpenAPI); err != nil {
		return nil, err
	}
	d := &Document{version: doc.OpenAPI, location: location, mode: ModeFull, fallback: reason}
	ks := kinSites(doc)
	sites := make([]site, len(ks))
	for i, k := range ks {
		sites[i] = k.site
	}
	d.index(sites)
	d.errs = make([]error, len(ks))
	d.responses = map[string][]string{}
	d.responseTypes = map[string][]string{}
	for i, k := range ks {
		op := kinOperation(doc, k)
		if err := checkQueryString(op.Parameters); err != nil {
			d.errs[i] = err
		} else {
			d.ops[i] = op
		}
		key := k.ref.Method + " " + k.ref.Path
		if codes, ok := kinResponses(k.op); ok {
			d.responses[key] = codes
		}
		if types, ok := kinResponseTypes(k.op); ok {
			d.responseTypes[key] = types
		}
	}
	d.servers = kinServers(doc.Servers)
	d.srvDone = true
	d.schemes = kinSecuritySchemes(doc)
	return d, nil
}

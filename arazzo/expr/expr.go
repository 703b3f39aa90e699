package expr

import (
	"strings"

	"github.com/trama-dev/trama/internal/suggest"
)

// Root names the first segment of a runtime expression, without the "$".
// Arazzo's roots are the constants below; Options.Roots adds custom ones
// (trigger configurations use "event" and "env").
type Root string

// The Arazzo 1.1 roots (1.1 l.1342–1356). RootMessage and RootSelf are 1.1
// additions; 1.0.1 documents never produce them.
const (
	RootURL                Root = "url"
	RootMethod             Root = "method"
	RootStatusCode         Root = "statusCode"
	RootRequest            Root = "request"
	RootResponse           Root = "response"
	RootMessage            Root = "message"
	RootInputs             Root = "inputs"
	RootOutputs            Root = "outputs"
	RootSteps              Root = "steps"
	RootWorkflows          Root = "workflows"
	RootSourceDescriptions Root = "sourceDescriptions"
	RootComponents         Root = "components"
	RootSelf               Root = "self"
)

// arazzoRoots lists the roots in the order typo suggestions prefer them.
var arazzoRoots = []Root{
	RootInputs, RootOutputs, RootSteps, RootResponse, RootRequest, RootStatusCode,
	RootURL, RootMethod, RootWorkflows, RootSourceDescriptions, RootComponents,
	RootMessage, RootSelf,
}

// Sources of $request, $response and $message (1.1 l.1359–1364).
const (
	SourceHeader  = "header"
	SourceQuery   = "query"
	SourcePath    = "path"
	SourceBody    = "body"
	SourcePayload = "payload"
)

// Expr is one parsed runtime expression. Only the fields its Root uses are
// set; the others stay empty.
type Expr struct {
	// Raw is the expression exactly as written, starting with "$".
	Raw string
	// Root is the first segment without "$", e.g. RootInputs or a custom root
	// such as "event".
	Root Root
	// Source is "header", "query", "path", "body" or "payload" for $request,
	// $response and $message.
	Source string
	// Name is the header, query or path parameter name for $request,
	// $response and $message; the input or output name for $inputs, $outputs,
	// $steps and $workflows; the component name for $components. Header names
	// are case-insensitive (1.1 l.1448): resolvers must compare them with
	// strings.EqualFold or http.Header's canonical form. All other names are
	// case-sensitive. For custom roots Name is the dotted path after the root
	// ("oktaUser.id"), "" when the expression is the bare root; see Segments.
	Name string
	// DottedPath is set when a payload path was written with dots ($message.payload.orderId),
	// as the Arazzo 1.1 specification's own examples write it although its grammar wants a JSON
	// Pointer; Pointer then holds the same path ("/orderId"), and validation warns.
	DottedPath bool
	// StepID is the step of $steps.<StepID>.outputs.<Name>.
	StepID string
	// WorkflowID is the workflow of $workflows.<WorkflowID>.<Field>.<Name>.
	WorkflowID string
	// Field is "outputs" for $steps and "inputs" or "outputs" for $workflows.
	Field string
	// SourceName and Ref split $sourceDescriptions.<SourceName>.<Ref>. Ref is
	// resolved as an operationId or workflowId first, then as a field of the
	// Source Description Object (1.1 l.1387, l.1484).
	SourceName string
	Ref        string
	// Kind is "parameters", "successActions" or "failureActions" for
	// $components (1.1 l.1390), or "inputs", which 1.0.1 documents use.
	Kind string
	// Pointer is the JSON Pointer after "#" without the "#" ("/items/0/id"),
	// "" when there is none. Eval applies it to what the Resolver returns.
	Pointer string
}

// String returns the expression as written.
func (e Expr) String() string { return e.Raw }

// Segments returns the dotted path of a custom-root expression split at ".",
// e.g. ["oktaUser", "id"] for $event.oktaUser.id; nil for Arazzo roots and
// for a bare custom root. Expr keeps only the string so that it stays
// comparable and cheap to copy.
func (e Expr) Segments() []string {
	if e.Name == "" || isArazzoRoot(e.Root) {
		return nil
	}
	return strings.Split(e.Name, ".")
}

func isArazzoRoot(r Root) bool {
	for _, a := range arazzoRoots {
		if a == r {
			return true
		}
	}
	return false
}

// Options changes what ParseWith accepts.
type Options struct {
	// Roots adds custom roots beyond Arazzo's, e.g. {"event", "env"} for
	// trigger configurations. A custom root takes a dotted path of
	// [A-Za-z0-9_-] segments and an optional JSON Pointer tail:
	// "$event.oktaUser.id", "$event.eventDetails#/outcome", "$env.HOME".
	// Default none: workflow documents only know Arazzo's roots. Root names
	// are letters and digits; a custom root cannot shadow an Arazzo root
	// because Arazzo's are matched first.
	Roots []string
}

func (o Options) custom(name string) bool {
	for _, r := range o.Roots {
		if r == name {
			return true
		}
	}
	return false
}

// Parse parses s as exactly one runtime expression using the Arazzo 1.1 ABNF
// (1.1 l.1334–1445), which accepts every 1.0.1 expression that names a step,
// workflow or source unambiguously.
func Parse(s string) (Expr, error) { return ParseWith(s, Options{}) }

// ParseWith is Parse with custom roots.
func ParseWith(s string, opts Options) (Expr, error) {
	e, n, err := parsePrefix(s, opts)
	if err != nil {
		return Expr{}, err
	}
	if n != len(s) {
		return Expr{}, trailingError(s, n, e)
	}
	return e, nil
}

func trailingError(s string, n int, e Expr) error {
	msg := "unexpected " + quoteRune(s[n:]) + " after " + s[:n]
	switch {
	case s[n] == '{' || s[n] == '}':
		msg += `; "{" and "}" are not allowed inside an expression`
	case e.Root == RootInputs || e.Root == RootOutputs || e.Root == RootSteps || e.Root == RootWorkflows || e.Root == RootComponents:
		msg += "; names may only contain letters, digits, '.', '-' and '_'"
	}
	return &SyntaxError{Text: s, Offset: n, Msg: msg}
}

func quoteRune(s string) string {
	for _, r := range s {
		return "'" + string(r) + "'"
	}
	return "end"
}

// parsePrefix parses the longest runtime expression at the start of s and
// returns it with the number of bytes it used. Every branch follows one ABNF
// rule; name = *CHAR rules take as much as they can, so callers that need a
// delimiter (conditions, bare tokens) cut s before calling.
func parsePrefix(s string, opts Options) (Expr, int, error) {
	if s == "" || s[0] != '$' {
		return Expr{}, 0, &SyntaxError{Text: s, Offset: 0, Msg: `a runtime expression starts with "$"`}
	}
	i := 1
	for i < len(s) && isAlnum(s[i]) {
		i++
	}
	root := s[1:i]
	if root == "" {
		return Expr{}, 0, &SyntaxError{Text: s, Offset: 1, Msg: `expected a root name after "$", e.g. $inputs or $response` + suggestion(s[1:], opts)}
	}
	e := Expr{Root: Root(root)}
	p := &exprParser{s: s, i: i, opts: opts}
	var err error
	switch Root(root) {
	case RootURL, RootMethod, RootStatusCode, RootSelf:
		// Complete as they are.
	case RootRequest, RootResponse, RootMessage:
		err = p.source(&e)
	case RootInputs, RootOutputs:
		if err = p.dot(root); err == nil {
			e.Name, err = p.identifier("name", false)
			if err == nil {
				e.Pointer, err = p.pointer()
			}
		}
	case RootSteps:
		err = p.steps(&e)
	case RootWorkflows:
		err = p.workflows(&e)
	case RootSourceDescriptions:
		err = p.sourceDescriptions(&e)
	case RootComponents:
		err = p.components(&e)
	default:
		if !opts.custom(root) {
			msg := "unknown root $" + root
			if sug := suggestion(root, opts); sug != "" {
				msg += sug
			} else {
				msg += "; expected one of $url, $method, $statusCode, $request, $response, $message, $inputs, $outputs, $steps, $workflows, $sourceDescriptions, $components, $self"
			}
			return Expr{}, 0, &SyntaxError{Text: s, Offset: 1, Msg: msg}
		}
		err = p.custom(&e)
	}
	if err != nil {
		return Expr{}, 0, err
	}
	e.Raw = s[:p.i]
	return e, p.i, nil
}

type exprParser struct {
	s    string
	i    int
	opts Options
}

func (p *exprParser) fail(at int, msg string) error {
	return &SyntaxError{Text: p.s, Offset: at, Msg: msg}
}

func (p *exprParser) dot(after string) error {
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		return nil
	}
	return p.fail(p.i, `expected "." after `+after)
}

// word reads [A-Za-z0-9]* for keyword positions such as "header" or "outputs".
func (p *exprParser) word() string {
	j := p.i
	for j < len(p.s) && isAlnum(p.s[j]) {
		j++
	}
	w := p.s[p.i:j]
	p.i = j
	return w
}

// identifier reads identifier (strict=false, [A-Za-z0-9._-]+) or
// identifier-strict (strict=true, [A-Za-z0-9_-]+).
func (p *exprParser) identifier(what string, strict bool) (string, error) {
	j := p.i
	for j < len(p.s) && (isAlnum(p.s[j]) || p.s[j] == '-' || p.s[j] == '_' || (!strict && p.s[j] == '.')) {
		j++
	}
	if j == p.i {
		chars := "letters, digits, '.', '-' or '_'"
		if strict {
			chars = "letters, digits, '-' or '_'"
		}
		return "", p.fail(p.i, "expected "+what+" ("+chars+")")
	}
	id := p.s[p.i:j]
	p.i = j
	return id, nil
}

// pointer reads an optional "#" json-pointer tail. reference-token excludes
// "{" and "}" in 1.1 (l.1409) so that embedded expressions end at "}".
// dottedPath reads `.a.b.0` after payload as the pointer /a/b/0 (see Expr.DottedPath).
func (p *exprParser) dottedPath(e *Expr) error {
	var b strings.Builder
	for p.i < len(p.s) && p.s[p.i] == '.' {
		start := p.i + 1
		j := start
		for j < len(p.s) && (isAlnum(p.s[j]) || p.s[j] == '_' || p.s[j] == '-') {
			j++
		}
		if j == start {
			return p.fail(start, `expected a name after "."; a body path is written as a JSON Pointer, e.g. #/id`)
		}
		b.WriteString("/" + p.s[start:j])
		p.i = j
	}
	e.Pointer, e.DottedPath = b.String(), true
	return nil
}

func (p *exprParser) pointer() (string, error) {
	if p.i >= len(p.s) || p.s[p.i] != '#' {
		return "", nil
	}
	start := p.i + 1
	j := start
	for j < len(p.s) {
		c := p.s[j]
		if c == '{' || c == '}' {
			break
		}
		if c == '~' {
			if j+1 >= len(p.s) || (p.s[j+1] != '0' && p.s[j+1] != '1') {
				return "", p.fail(j, `JSON Pointer escape "~" must be followed by "0" or "1"`)
			}
			j += 2
			continue
		}
		if c < 0x20 && c != '\t' {
			break
		}
		j++
	}
	ptr := p.s[start:j]
	if ptr != "" && ptr[0] != '/' {
		return "", p.fail(start, `JSON Pointer after "#" must start with "/", e.g. #/id`)
	}
	p.i = j
	return ptr, nil
}

// name reads name = *CHAR (1.1 l.1403, l.1420–1431): any character except
// controls, '"', '{' and '}', with JSON backslash escapes decoded.
func (p *exprParser) name() (string, error) {
	var b strings.Builder
	start := p.i
	plain := true
	j := p.i
	for j < len(p.s) {
		c := p.s[j]
		if c == '{' || c == '}' || c == '"' || c < 0x20 {
			break
		}
		if c == '\\' {
			r, n, ok := jsonEscape(p.s[j:])
			if !ok {
				return "", p.fail(j, `invalid escape in name; use \" \\ \/ \b \f \n \r \t or \uXXXX`)
			}
			if plain {
				b.WriteString(p.s[start:j])
				plain = false
			}
			b.WriteRune(r)
			j += n
			continue
		}
		if !plain {
			b.WriteByte(c)
		}
		j++
	}
	p.i = j
	if plain {
		return p.s[start:j], nil
	}
	return b.String(), nil
}

func jsonEscape(s string) (rune, int, bool) {
	if len(s) < 2 {
		return 0, 0, false
	}
	switch s[1] {
	case '"':
		return '"', 2, true
	case '\\':
		return '\\', 2, true
	case '/':
		return '/', 2, true
	case 'b':
		return '\b', 2, true
	case 'f':
		return '\f', 2, true
	case 'n':
		return '\n', 2, true
	case 'r':
		return '\r', 2, true
	case 't':
		return '\t', 2, true
	case 'u':
		if len(s) < 6 {
			return 0, 0, false
		}
		var r rune
		for _, c := range []byte(s[2:6]) {
			switch {
			case c >= '0' && c <= '9':
				r = r<<4 | rune(c-'0')
			case c >= 'a' && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case c >= 'A' && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, 0, false
			}
		}
		return r, 6, true
	}
	return 0, 0, false
}

func (p *exprParser) source(e *Expr) error {
	if err := p.dot("$" + string(e.Root)); err != nil {
		return err
	}
	at := p.i
	w := p.word()
	e.Source = w
	switch w {
	case SourceHeader:
		if err := p.dot(w); err != nil {
			return err
		}
		j := p.i
		for j < len(p.s) && isTchar(p.s[j]) {
			j++
		}
		if j == p.i {
			return p.fail(p.i, "expected a header name")
		}
		e.Name = p.s[p.i:j]
		p.i = j
		return nil
	case SourceQuery, SourcePath:
		if err := p.dot(w); err != nil {
			return err
		}
		n, err := p.name()
		if err != nil {
			return err
		}
		if n == "" {
			return p.fail(p.i, "expected a "+w+" parameter name")
		}
		e.Name = n
		return nil
	case SourceBody, SourcePayload:
		if w == SourcePayload && p.i < len(p.s) && p.s[p.i] == '.' {
			// Only $message.payload: in conditions, `$response.body.x` is member access, with its own
			// errors.
			return p.dottedPath(e)
		}
		var err error
		e.Pointer, err = p.pointer()
		return err
	}
	msg := "unknown source " + quoteWord(w) + "; expected header, query, path, body or payload"
	if s := suggest.Closest(w, []string{"header", "query", "path", "body", "payload"}); s != "" {
		msg = "unknown source " + quoteWord(w) + "; did you mean " + s + "?"
	}
	return p.fail(at, msg)
}

func quoteWord(w string) string {
	if w == "" {
		return "(empty)"
	}
	return `"` + w + `"`
}

func (p *exprParser) steps(e *Expr) error {
	if err := p.dot("$steps"); err != nil {
		return err
	}
	var err error
	if e.StepID, err = p.identifier("step id", true); err != nil {
		return err
	}
	if err = p.dot("the step id"); err != nil {
		return err
	}
	at := p.i
	e.Field = p.word()
	if e.Field != "outputs" {
		msg := "expected outputs after the step id, as in $steps." + e.StepID + ".outputs.<name>"
		if e.Field != "" && suggest.Closest(e.Field, []string{"outputs"}) != "" {
			msg = "unknown step field " + quoteWord(e.Field) + "; did you mean outputs?"
		}
		return p.fail(at, msg)
	}
	if err = p.dot("outputs"); err != nil {
		return err
	}
	if e.Name, err = p.identifier("output name", false); err != nil {
		return err
	}
	e.Pointer, err = p.pointer()
	return err
}

func (p *exprParser) workflows(e *Expr) error {
	if err := p.dot("$workflows"); err != nil {
		return err
	}
	var err error
	if e.WorkflowID, err = p.identifier("workflow id", true); err != nil {
		return err
	}
	if err = p.dot("the workflow id"); err != nil {
		return err
	}
	at := p.i
	e.Field = p.word()
	if e.Field != "inputs" && e.Field != "outputs" {
		msg := "expected inputs or outputs after the workflow id"
		if s := suggest.Closest(e.Field, []string{"inputs", "outputs"}); e.Field != "" && s != "" {
			msg = "unknown workflow field " + quoteWord(e.Field) + "; did you mean " + s + "?"
		}
		return p.fail(at, msg)
	}
	if err = p.dot(e.Field); err != nil {
		return err
	}
	if e.Name, err = p.identifier(strings.TrimSuffix(e.Field, "s")+" name", false); err != nil {
		return err
	}
	e.Pointer, err = p.pointer()
	return err
}

func (p *exprParser) sourceDescriptions(e *Expr) error {
	if err := p.dot("$sourceDescriptions"); err != nil {
		return err
	}
	var err error
	if e.SourceName, err = p.identifier("source description name", true); err != nil {
		return err
	}
	if err = p.dot("the source description name"); err != nil {
		return err
	}
	// source-reference-id = 1*CHAR: operationIds are unrestricted.
	if e.Ref, err = p.name(); err != nil {
		return err
	}
	if e.Ref == "" {
		return p.fail(p.i, "expected an operationId, workflowId or field name")
	}
	return nil
}

func (p *exprParser) components(e *Expr) error {
	if err := p.dot("$components"); err != nil {
		return err
	}
	at := p.i
	e.Kind = p.word()
	switch e.Kind {
	case "parameters", "successActions", "failureActions":
	case "inputs":
		// 1.0.1's "$components." name admits the reusable input schemas,
		// and 1.0.x documents use it; 1.1 dropped it from the ABNF.
	default:
		msg := "unknown component type " + quoteWord(e.Kind) + "; expected parameters, successActions, failureActions or inputs"
		if s := suggest.Closest(e.Kind, []string{"parameters", "successActions", "failureActions", "inputs"}); e.Kind != "" && s != "" {
			msg = "unknown component type " + quoteWord(e.Kind) + "; did you mean " + s + "?"
		}
		return p.fail(at, msg)
	}
	if err := p.dot(e.Kind); err != nil {
		return err
	}
	var err error
	e.Name, err = p.identifier("component name", false)
	return err
}

func (p *exprParser) custom(e *Expr) error {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] == '.' {
		// A dot must be followed by a segment; a trailing dot is left to
		// the caller (it ends a sentence in a bare template token).
		j := p.i + 1
		for j < len(p.s) && (isAlnum(p.s[j]) || p.s[j] == '-' || p.s[j] == '_') {
			j++
		}
		if j == p.i+1 {
			break
		}
		p.i = j
	}
	if p.i > start {
		e.Name = p.s[start+1 : p.i]
	}
	var err error
	e.Pointer, err = p.pointer()
	return err
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isTchar reports RFC 9110 token characters (1.1 l.1415–1417).
func isTchar(c byte) bool {
	if isAlnum(c) {
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

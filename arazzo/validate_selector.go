package arazzo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trama-dev/trama/arazzo/criterion"
	"github.com/trama-dev/trama/arazzo/expr"
)

// selectorVersions are the types of a Selector Object and of a targetSelectorType with the versions
// each allows, default first (1.1 "Expression Type Object").
var selectorVersions = map[string][]string{
	"jsonpath":    {criterion.RFC9535, criterion.GoessnerDraft00},
	"xpath":       {criterion.XPath31, criterion.XPath30, criterion.XPath20, criterion.XPath10},
	"jsonpointer": {criterion.RFC6901},
}

// selector checks a Selector Object: that the document may use one, its context expression, its type
// and version, its selector (parsed as its type says) and whether its type can apply to what the context
// is known to hold. inValue is set for a Selector Object inside a value, which 1.0 reads as a literal
// object.
func (v *validator) selector(s *Selector, sc scope, inValue bool) {
	if v.doc.minor == 0 {
		hint := ""
		if inValue {
			hint = " (Arazzo 1.0 sends an object of this shape as it is; to keep doing so, write the payload as JSON text)"
		}
		v.ds.errorf(s.Position(), "requires-1.1", "this is a Selector Object, an Arazzo 1.1 feature, but the document declares arazzo %s: declare arazzo: 1.1.0%s", v.doc.Arazzo, hint)
	}
	if s.Context != "" {
		v.expression(s.Context, s.Pos("context"), sc, "selector context")
	}
	versionPos := s.Pos("type")
	if s.Has("type.version") {
		versionPos = s.Pos("type.version")
	}
	if s.Type == "" || !v.expressionType("selector", s.Type, s.Version, s.Pos("type"), versionPos) || !s.Has("selector") {
		return
	}
	kind := criterion.Kind(s.Type)
	warnings, err := criterion.CheckSelector(kind, s.Version, s.Selector)
	if err != nil {
		v.ds.errorf(s.Pos("selector"), "invalid-selector", "%v", err)
		return
	}
	v.versionWarnings(kind, warnings, versionPos)
	v.embedded(s.Selector, s.Pos("selector"), sc, "selector")
	if shape, why := v.contextShape(s.Context, sc); shape != "" && (shape == "json") == (kind == criterion.XPath) {
		want := "an xpath selector"
		if shape == "json" {
			want = "a jsonpath or jsonpointer selector"
		}
		v.ds.errorf(s.Pos("type"), "selector-context", "%s selector on %s, which holds %s (%s): the selector cannot apply to it; use %s",
			s.Type, s.Context, strings.ToUpper(shape), why, want)
	}
}

// replacement checks a Payload Replacement Object's target: its type (targetSelectorType, else XPath for
// an XML payload and JSON Pointer otherwise, 1.1 "Payload Replacement Object"), its syntax, and that the
// type suits the payload.
func (v *validator) replacement(rb *RequestBody, r *PayloadReplacement, sc scope) {
	xml := strings.Contains(strings.ToLower(rb.ContentType), "xml")
	kind, version := "jsonpointer", r.TargetVersion
	if xml {
		kind = "xpath"
	}
	if r.Has("targetSelectorType") {
		if v.doc.minor == 0 {
			v.ds.errorf(r.KeyPos("targetSelectorType"), "requires-1.1", "targetSelectorType is an Arazzo 1.1 field but the document declares arazzo %s: declare arazzo: 1.1.0", v.doc.Arazzo)
		}
		versionPos := r.Pos("targetSelectorType")
		if r.Has("targetSelectorType.version") {
			versionPos = r.Pos("targetSelectorType.version")
		}
		if r.TargetType == "" || !v.expressionType("targetSelectorType", r.TargetType, version, r.Pos("targetSelectorType"), versionPos) {
			return
		}
		kind = r.TargetType
	}
	if !r.Has("target") {
		return // missing-field
	}
	warnings, err := criterion.CheckTarget(criterion.Kind(kind), version, r.Target)
	if err != nil {
		msg := err.Error()
		switch {
		case !r.Has("targetSelectorType") && kind == "jsonpointer" && strings.HasPrefix(r.Target, "$"):
			msg += `; a JSONPath target needs targetSelectorType: jsonpath (Arazzo 1.1)`
		case !r.Has("targetSelectorType") && kind == "jsonpointer":
			msg += "; XPath targets need an XML contentType or targetSelectorType: xpath"
		}
		v.ds.errorf(r.Pos("target"), "invalid-target", "replacement %s", msg)
		return
	}
	v.versionWarnings(criterion.Kind(kind), warnings, r.Pos("targetSelectorType"))
	v.embedded(r.Target, r.Pos("target"), sc, "replacement target")
	_, structured := rb.Payload.(map[string]any)
	if _, list := rb.Payload.([]any); list {
		structured = true
	}
	switch {
	case kind == "xpath" && (structured || rb.ContentType != "" && !xml):
		v.ds.errorf(r.Pos("target"), "invalid-target", "replacement target %q is XPath, which applies to an XML payload, but the payload is JSON%s", r.Target, contentTypeNote(rb))
	case kind != "xpath" && xml:
		v.ds.errorf(r.Pos("target"), "invalid-target", "replacement target %q is %s, which applies to a JSON payload, but the contentType is %q", r.Target, kind, rb.ContentType)
	}
}

func contentTypeNote(rb *RequestBody) string {
	if rb.ContentType == "" {
		return ""
	}
	return fmt.Sprintf(" (contentType %q)", rb.ContentType)
}

// expressionType checks the type and version of a Selector Object or a targetSelectorType against the
// Expression Type Object's table, and reports whether both are known.
func (v *validator) expressionType(what, typ, version string, typePos, versionPos Pos) bool {
	versions, ok := selectorVersions[typ]
	if !ok {
		v.ds.errorf(typePos, "unknown-selector-type", "%s type %q; want jsonpath, xpath or jsonpointer", what, typ)
		return false
	}
	if version != "" && !slices.Contains(versions, version) {
		v.ds.errorf(versionPos, "unknown-selector-version", "%s version %q for %s; want %s", what, version, typ, strings.Join(versions, ", "))
		return false
	}
	return true
}

// versionWarnings reports where trama evaluates a selector or target with other semantics than its
// version's, with the codes criteria use for the same findings.
func (v *validator) versionWarnings(kind criterion.Kind, warnings []string, p Pos) {
	code := "jsonpath-version"
	if kind == criterion.XPath {
		code = "xpath-version"
	}
	for _, w := range warnings {
		v.ds.warnf(p, code, "%s", w)
	}
}

// embedded checks the {$…} runtime expressions a selector or target embeds. The specification defines
// embedding for the conditions of jsonpath, xpath and regex criteria (1.1 "Runtime Expressions in
// Conditions"); trama applies the same rule to selectors and targets of those types.
func (v *validator) embedded(text string, p Pos, sc scope, what string) {
	if !strings.Contains(text, "{$") {
		return
	}
	t, err := expr.ParseTemplate(text, expr.Strict)
	if err != nil {
		v.ds.errorf(p, "invalid-expression", "%s %q: %s", what, text, syntaxMessage(err))
		return
	}
	for _, e := range t.Expressions() {
		v.reference(e, p, sc)
	}
}

// contextShape says what a selector's context is known to hold before a run: "json" (a JSON value:
// an object, an array or a scalar of one) or "xml" (XML text), with why; "" when it cannot be told.
func (v *validator) contextShape(context string, sc scope) (shape, why string) {
	text := strings.TrimSpace(context)
	if strings.HasPrefix(text, "{") && strings.HasSuffix(text, "}") {
		text = text[1 : len(text)-1]
	}
	e, err := expr.Parse(text)
	if err != nil {
		return "", ""
	}
	switch {
	case e.Pointer != "" && (e.Root == expr.RootRequest || e.Root == expr.RootResponse) && e.Source == expr.SourceBody:
		return "json", "a JSON Pointer reads it from a JSON body"
	case e.Root == expr.RootRequest && e.Source == expr.SourceBody && sc.wf != nil && sc.step >= 0:
		rb := sc.wf.Steps[sc.step].RequestBody
		if rb == nil {
			return "", ""
		}
		ct := strings.ToLower(rb.ContentType)
		switch rb.Payload.(type) {
		case map[string]any, []any:
			return "json", "the step's payload is an object or array"
		case string:
			if strings.Contains(ct, "xml") {
				return "xml", fmt.Sprintf("the step's contentType is %q", rb.ContentType)
			}
		}
	case e.Root == expr.RootResponse && e.Source == expr.SourceBody && sc.wf != nil && sc.step >= 0:
		return v.responseShape(sc.wf.Steps[sc.step])
	case e.Root == expr.RootInputs && e.Pointer == "" && sc.wf != nil:
		m, _ := inputSchema(v.doc, sc.wf.Inputs)
		props, _ := m["properties"].(map[string]any)
		prop, _ := props[e.Name].(map[string]any)
		if t, _ := prop["type"].(string); t == "object" || t == "array" {
			return "json", fmt.Sprintf("input %q is an %s", e.Name, t)
		}
	}
	return "", ""
}

// responseShape is contextShape for $response.body: what the step's operation documents its responses
// carry, when every documented media type is JSON, or every one XML.
func (v *validator) responseShape(step *Step) (shape, why string) {
	if step.WorkflowID != "" {
		return "", ""
	}
	ro, _, err := v.b.resolveOperation(v.doc, step)
	if err != nil || ro.Source.OpenAPI == nil {
		return "", ""
	}
	types, ok, err := ro.Source.OpenAPI.ResponseMediaTypes(ro.Op)
	if err != nil || !ok || len(types) == 0 {
		return "", ""
	}
	json, xml := 0, 0
	for _, t := range types {
		t = strings.ToLower(t)
		switch {
		case t == "application/json" || strings.HasSuffix(t, "+json"):
			json++
		case strings.HasSuffix(t, "/xml") || strings.HasSuffix(t, "+xml"):
			xml++
		}
	}
	what := fmt.Sprintf("operation %s documents responses of %s only", opName(ro.Op), strings.Join(types, ", "))
	switch len(types) {
	case json:
		return "json", what
	case xml:
		return "xml", what
	}
	return "", ""
}

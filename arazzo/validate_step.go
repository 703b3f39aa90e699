package arazzo

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/arazzo/expr"
	"github.com/trama-dev/trama/openapi"
)

var parameterLocations = map[string]bool{"path": true, "query": true, "header": true, "cookie": true}

// parameterList checks a parameters list: references, `in`, duplicates and
// the expressions in values.
func (v *validator) parameterList(list []*Parameter, sc scope, needIn bool) {
	type key struct{ name, in string }
	seen := make(map[key]bool)
	for _, p := range list {
		eff := v.parameter(p, sc, needIn)
		if eff == nil {
			continue
		}
		k := key{eff.Name, eff.In}
		if eff.In == "header" {
			k.name = strings.ToLower(k.name)
		}
		if seen[k] {
			v.ds.errorf(p.Position(), "duplicate-parameter", "parameter %q (in %q) is listed twice", eff.Name, eff.In)
		}
		seen[k] = true
	}
}

// parameter checks one parameter and returns its effective form, or nil
// when a reference does not resolve.
func (v *validator) parameter(p *Parameter, sc scope, needIn bool) *Parameter {
	eff, err := v.doc.ResolveParameter(p)
	if err != nil {
		v.ds.errorf(p.Pos("reference"), "unknown-component", "%v", err)
		return nil
	}
	if p.IsReference() && p.Has("value") {
		v.values(p.valueNode("value"), sc)
	}
	switch {
	case eff.In == "" && needIn:
		v.ds.errorf(eff.Position(), "missing-in", "parameter %q has no `in`; a step that calls an operation must say where each parameter goes", eff.Name)
	case eff.In == "querystring":
		if v.doc.minor == 0 {
			v.ds.warnf(eff.Pos("in"), "requires-1.1", "in: querystring is an Arazzo 1.1 location but the document declares arazzo %s", v.doc.Arazzo)
		}
	case eff.In != "" && !parameterLocations[eff.In]:
		v.ds.errorf(eff.Pos("in"), "invalid-in", "parameter %q has in %q; want path, query, header or cookie", eff.Name, eff.In)
	}
	if !p.IsReference() {
		v.values(p.valueNode("value"), sc)
	}
	return eff
}

func (v *validator) workflowStep(w *Workflow, s *Step) {
	tdoc, target, err := v.b.ResolveWorkflow(v.doc, s.WorkflowID)
	if err != nil {
		v.ds.errorf(s.Pos("workflowId"), "unknown-workflow", "%v", err)
		return
	}
	props, known := inputProperties(tdoc, target.Inputs)
	for _, p := range s.Parameters {
		eff, err := v.doc.ResolveParameter(p)
		if err != nil {
			continue
		}
		if eff.In != "" {
			v.ds.warnf(eff.Pos("in"), "ignored-in", "step %q calls workflow %q, so parameter %q maps to an input and its `in` is ignored", s.StepID, target.WorkflowID, eff.Name)
		}
		if known && !props[eff.Name] {
			v.ds.warnf(eff.Position(), "unknown-parameter", "workflow %q has no input %q", target.WorkflowID, eff.Name)
		}
	}
	if s.RequestBody != nil {
		v.ds.warnf(s.KeyPos("requestBody"), "unexpected-request-body", "step %q calls a workflow; its requestBody is ignored", s.StepID)
	}
}

func (v *validator) operationStep(w *Workflow, s *Step) {
	field := "operationId"
	if s.OperationPath != "" {
		field = "operationPath"
	}
	ro, note, err := v.b.resolveOperation(v.doc, s)
	if err != nil {
		if v.sourceFailed(s) {
			return // the source-load error already explains it
		}
		v.ds.errorf(s.Pos(field), resolveErrorCode(err), "step %q: %v", s.StepID, err)
		return
	}
	if note != nil {
		v.ds.warnf(s.Pos(field), note.code, "step %q: %s", s.StepID, note.msg)
	}
	op := ro.Op
	v.documentedStatuses(s, ro)
	v.bodyDiscriminator(s, ro)
	params, err := v.doc.StepParameters(w, s)
	if err != nil {
		return // reported by parameterList
	}
	apiKeys := apiKeyParameters(ro.Source.OpenAPI)
	for _, p := range params {
		if p.In == "" {
			continue
		}
		if declared(op.Parameters, p.Name, p.In) {
			continue
		}
		if apiKeys[apiKeyKey(p.In, p.Name)] {
			continue // sent by the source's apiKey security scheme
		}
		if p.In == "querystring" {
			v.ds.warnf(p.Position(), "unknown-parameter", "operation %s (%s %s) declares no querystring parameter, so it does not expect step %q to send the whole query string; the API may ignore or reject it", opName(op), op.Method, op.Path, s.StepID)
			continue
		}
		v.ds.warnf(p.Position(), "unknown-parameter", "operation %s (%s %s) declares no %s parameter %q; the API may ignore or reject it", opName(op), op.Method, op.Path, p.In, p.Name)
	}
	for _, op := range op.Parameters {
		if !op.Required {
			continue
		}
		supplied := false
		for _, p := range params {
			if sameParameter(p.Name, p.In, op.Name, op.In) {
				supplied = true
				v.optionalForRequired(w, s, p, op.In, op.Name, ro.Op)
				break
			}
		}
		if !supplied {
			v.ds.warnf(s.Pos(field), "missing-required-parameter", "step %q does not set required %s parameter %q of operation %s", s.StepID, op.In, op.Name, opName(ro.Op))
		}
	}
	switch rb := op.RequestBody; {
	case rb != nil && rb.Required && s.RequestBody == nil:
		v.ds.warnf(s.Pos(field), "missing-request-body", "operation %s requires a request body but step %q sends none", opName(op), s.StepID)
	case rb == nil && s.RequestBody != nil:
		v.ds.warnf(s.KeyPos("requestBody"), "unexpected-request-body", "operation %s declares no request body but step %q sends one", opName(op), s.StepID)
	case rb != nil && s.RequestBody != nil && s.RequestBody.ContentType != "" && len(rb.ContentTypes) > 0 && !mediaTypeListed(rb.ContentTypes, s.RequestBody.ContentType):
		v.ds.warnf(s.RequestBody.Pos("contentType"), "content-type", "operation %s accepts %s, not %q", opName(op), strings.Join(rb.ContentTypes, ", "), s.RequestBody.ContentType)
	}
}

// resolveErrorCode is the diagnostic code of an error resolving a step's operation or channel.
func resolveErrorCode(err error) string {
	switch {
	case errors.Is(err, ErrAmbiguousOperation):
		return "ambiguous-operation"
	case errors.Is(err, ErrUnknownSource):
		return "unknown-source"
	}
	return "unknown-operation"
}

// sourceFailed reports whether the step's operation lives in a source that
// is declared but did not load.
func (v *validator) sourceFailed(s *Step) bool {
	srcs := v.b.sources[v.doc]
	for _, sd := range v.doc.SourceDescriptions {
		if srcs[sd.Name] == nil && (sd.Type == "" || sd.Type == "openapi") {
			return true
		}
	}
	return false
}

func opName(op *openapi.Operation) string {
	if op.ID != "" {
		return op.ID
	}
	return op.Method + " " + op.Path
}

func declared(params []*openapi.Parameter, name, in string) bool {
	for _, p := range params {
		if sameParameter(name, in, p.Name, p.In) {
			return true
		}
	}
	return false
}

// sameParameter compares parameter identities; header names are
// case-insensitive (RFC 9110), all others are not. A querystring parameter
// (Arazzo 1.1, OpenAPI 3.2) is the whole query string and its name is never
// sent, so any two are the same whatever their names: an operation declares
// at most one.
func sameParameter(name, in, otherName, otherIn string) bool {
	if in != otherIn {
		return false
	}
	switch in {
	case "header":
		return strings.EqualFold(name, otherName)
	case "querystring":
		return true
	}
	return name == otherName
}

func apiKeyKey(in, name string) string {
	if in == "header" {
		name = strings.ToLower(name)
	}
	return in + "\x00" + name
}

// apiKeyParameters lists the parameters the source's apiKey security schemes
// carry (Okta's `Authorization` header), which steps may set without the
// operation declaring them.
func apiKeyParameters(doc *openapi.Document) map[string]bool {
	out := make(map[string]bool)
	for _, s := range doc.SecuritySchemes() {
		if s.Type == "apiKey" && s.Name != "" {
			out[apiKeyKey(s.In, s.Name)] = true
		}
	}
	return out
}

func mediaTypeListed(list []string, ct string) bool {
	base, _, _ := strings.Cut(ct, ";")
	base = strings.TrimSpace(strings.ToLower(base))
	for _, l := range list {
		l = strings.ToLower(l)
		if l == base || l == "*/*" {
			return true
		}
		if major, ok := strings.CutSuffix(l, "/*"); ok && strings.HasPrefix(base, major+"/") {
			return true
		}
	}
	return false
}

// ResolveWorkflow finds the workflow ref names from doc: a workflowId of doc
// itself, or `$sourceDescriptions.<name>.<workflowId>` for a workflow of an
// arazzo source. It returns the document that holds the workflow, which is
// the scope for the workflow's own references and components.
func (b *Bundle) ResolveWorkflow(doc *Document, ref string) (*Document, *Workflow, error) {
	id := ref
	if strings.HasPrefix(id, "{") && strings.HasSuffix(id, "}") {
		id = id[1 : len(id)-1]
	}
	if rest, ok := strings.CutPrefix(id, "$sourceDescriptions."); ok {
		name, wid, ok := strings.Cut(rest, ".")
		if !ok || wid == "" {
			return nil, nil, fmt.Errorf("workflow reference %q: want $sourceDescriptions.<name>.<workflowId>", ref)
		}
		src := b.sources[doc][name]
		if src == nil {
			return nil, nil, fmt.Errorf("workflow reference %q: no loaded source description %q: %w", ref, name, ErrUnknownSource)
		}
		if src.Arazzo == nil {
			return nil, nil, fmt.Errorf("workflow reference %q: source %q is not an arazzo source: %w", ref, name, ErrUnknownSource)
		}
		w := src.Arazzo.Workflow(wid)
		if w == nil {
			return nil, nil, fmt.Errorf("workflow reference %q: source %q has no workflow %q", ref, name, wid)
		}
		return src.Arazzo, w, nil
	}
	if w := doc.Workflow(id); w != nil {
		return doc, w, nil
	}
	for _, name := range slices.Sorted(maps.Keys(b.sources[doc])) {
		if src := b.sources[doc][name]; src.Arazzo != nil && src.Arazzo.Workflow(id) != nil {
			return nil, nil, fmt.Errorf("no workflow %q in this document; source %q has one: write $sourceDescriptions.%s.%s", id, name, name, id)
		}
	}
	return nil, nil, fmt.Errorf("no workflow %q in this document", id)
}

func mappingPairs(n *yaml.Node) [][2]*yaml.Node {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([][2]*yaml.Node, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, [2]*yaml.Node{resolveAlias(n.Content[i]), n.Content[i+1]})
	}
	return out
}

// documentedStatuses warns about a success criterion that pins a status the operation does not
// answer with: one its source description does not document, or one the Authority (Okta's current
// description) does not, as when Okta's catalog expects 202 from a DELETE that Okta answers with 204.
// Such a step fails whenever the API answers as documented.
func (v *validator) documentedStatuses(s *Step, ro *ResolvedOperation) {
	if ro.Source.OpenAPI == nil {
		return
	}
	var (
		described, known []string
		who              string
		loaded           bool
	)
	for _, c := range s.SuccessCriteria {
		if c.EffectiveType() != "simple" || c.Condition == "" {
			continue
		}
		parsed, err := expr.ParseCondition(c.Condition, expr.Options{})
		if err != nil {
			continue // reported by criterion
		}
		want, ok := parsed.StatusCodes()
		if !ok {
			continue
		}
		if !loaded {
			loaded = true
			if codes, has, err := ro.Source.OpenAPI.ResponseCodes(ro.Op); err == nil && has {
				described = codes
			}
			if v.opts.Authority != nil {
				f := v.opts.Authority(ro.Source, ro.Op)
				known, who = f.Statuses, f.Who
			}
		}
		op := fmt.Sprintf("%s (%s %s)", opName(ro.Op), ro.Op.Method, ro.Op.Path)
		switch {
		case described != nil && !anyDocumented(described, want):
			v.ds.warnf(c.Pos("condition"), "undocumented-status",
				"step %q expects status %s, but source %q documents %s for %s: the step fails whenever the API answers as documented",
				s.StepID, joinInts(want, " or "), ro.Source.Name, strings.Join(described, ", "), op)
		case known != nil && !anyDocumented(known, want):
			v.ds.warnf(c.Pos("condition"), "undocumented-status",
				"step %q expects status %s, but %s documents %s for %s (source %q is out of date): the step fails whenever the API answers as documented",
				s.StepID, joinInts(want, " or "), who, strings.Join(known, ", "), op, ro.Source.Name)
		}
	}
}

// anyDocumented reports whether a responses object covers one of the statuses.
func anyDocumented(codes []string, statuses []int) bool {
	for _, st := range statuses {
		if documentedStatus(codes, st) {
			return true
		}
	}
	return false
}

// documentedStatus reports whether a responses object covers status: its code, its range (2XX), or
// default.
func documentedStatus(codes []string, status int) bool {
	exact, class := strconv.Itoa(status), strconv.Itoa(status/100)+"XX"
	for _, c := range codes {
		if c == exact || strings.EqualFold(c, class) || c == "default" {
			return true
		}
	}
	return false
}

func joinInts(xs []int, sep string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strconv.Itoa(x)
	}
	return strings.Join(out, sep)
}

// optionalForRequired warns when a parameter the operation requires takes its whole value from an
// optional input without a default: trama leaves a parameter out when its optional input was not
// given, so a run without that input fails at this step (the path cannot be built, or the API refuses
// the request). Okta's catalog does this with create-group-and-add-members' secondaryUserId.
func (v *validator) optionalForRequired(w *Workflow, s *Step, p *Parameter, in, name string, op *openapi.Operation) {
	str, ok := p.Value.(string)
	if !ok || !strings.HasPrefix(str, "$inputs.") {
		return
	}
	e, err := expr.Parse(str)
	if err != nil || e.Root != expr.RootInputs || e.Pointer != "" {
		return
	}
	schema, _ := w.Inputs.(map[string]any)
	props, _ := schema["properties"].(map[string]any)
	prop, declared := props[e.Name].(map[string]any)
	if !declared {
		return // unknown inputs are reported elsewhere
	}
	if _, hasDefault := prop["default"]; hasDefault {
		return
	}
	if req, _ := schema["required"].([]any); slices.Contains(req, any(e.Name)) {
		return
	}
	v.ds.warnf(p.Pos("value"), "optional-input-required",
		"step %q fills %s parameter %q, which operation %s requires, from input %q, which is optional and has no default: a run without %s fails at this step; list it under required, give it a default, or guard the step",
		s.StepID, in, name, opName(op), e.Name, e.Name)
}

// bodyDiscriminator warns about a literal request body without the property the authority's schema
// picks the body's variant by: the API cannot tell what the body is and refuses it, as Okta refuses the
// catalog's create-policy-with-rule rule body, which has a name but no type.
func (v *validator) bodyDiscriminator(s *Step, ro *ResolvedOperation) {
	if v.opts.Authority == nil || s.RequestBody == nil {
		return
	}
	payload, ok := s.RequestBody.Payload.(map[string]any)
	if !ok {
		return // an expression or a string: its members are not known before the run
	}
	f := v.opts.Authority(ro.Source, ro.Op)
	if f.BodyDiscriminator == "" {
		return
	}
	if _, has := payload[f.BodyDiscriminator]; has {
		return
	}
	for _, r := range s.RequestBody.Replacements {
		if r.Target == "/"+f.BodyDiscriminator {
			return
		}
	}
	v.ds.warnf(s.RequestBody.Pos("payload"), "missing-discriminator",
		"step %q sends a body without %q, which %s requires of %s (%s %s) to tell which kind of body it is: the API refuses the request",
		s.StepID, f.BodyDiscriminator, f.Who, opName(ro.Op), ro.Op.Method, ro.Op.Path)
}

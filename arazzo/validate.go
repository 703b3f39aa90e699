package arazzo

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/trama-dev/trama/internal/lazyregexp"
	"github.com/trama-dev/trama/openapi"
)

// ValidateOptions tunes Validate.
type ValidateOptions struct {
	// Strict makes a bare `$expression` inside a longer string an error
	// instead of a warning. Default false: real workflows (Okta's catalog)
	// write `SSWS $inputs.token` and trama runs them in compatibility mode.
	Strict bool
	// Authority, when set, says what an authority other than the source description documents about
	// an operation (Okta's current management description, when the source is an older one): a success
	// criterion pinning a status the authority does not document is a warning, even where an outdated
	// description agrees with it, and so is a body without the property the authority's schema picks
	// the body's variant by.
	Authority func(src *Source, op *openapi.Operation) AuthorityFacts
}

// AuthorityFacts is what an Authority documents about one operation; the zero value knows nothing.
type AuthorityFacts struct {
	// Who names the authority in warnings, e.g. "Okta's management API description 2026.06.3".
	Who string
	// Statuses are the response statuses the operation answers with; nil when unknown.
	Statuses []string
	// BodyDiscriminator is the property a JSON request body must carry for the API to pick the body's
	// variant (a policy rule's "type"); "" when none.
	BodyDiscriminator string
}

var (
	idPattern        = lazyregexp.New(`^[A-Za-z0-9_\-]+$`)
	outputKeyPattern = lazyregexp.New(`^[a-zA-Z0-9\.\-_]+$`)
)

// Validate checks every document of the bundle: required fields and types
// (found by Parse), unique and well-formed ids, references between steps,
// workflows, components and sources, operations and their parameters,
// criteria, actions and every runtime expression. It returns the bundle's
// load diagnostics plus its own findings, sorted by file, line and column.
func (b *Bundle) Validate(opts ValidateOptions) []Diagnostic {
	out := slices.Clone(b.Diagnostics)
	for _, doc := range b.Documents {
		v := &validator{b: b, doc: doc, opts: opts, ds: diagnostics{file: doc.File}}
		v.document()
		out = append(out, v.ds.list...)
	}
	sortDiagnostics(out)
	// A workflow-level parameter or a shared component is checked once per
	// step that uses it; report each finding once.
	return slices.CompactFunc(out, func(a, b Diagnostic) bool { return a == b })
}

type validator struct {
	b    *Bundle
	doc  *Document
	opts ValidateOptions
	ds   diagnostics
}

// scope is where an expression is written: which workflow, and which step
// (-1 for workflow-level fields). Components have no workflow.
type scope struct {
	wf   *Workflow
	step int
}

func (v *validator) document() {
	doc := v.doc
	if doc.minor == 0 && doc.Self != "" {
		v.ds.warnf(doc.KeyPos("$self"), "requires-1.1", "$self is an Arazzo 1.1 field but the document declares arazzo %s", doc.Arazzo)
	}
	v.sources()
	ids := make(map[string]bool)
	for _, w := range doc.Workflows {
		if w.WorkflowID == "" {
			continue
		}
		if ids[w.WorkflowID] {
			v.ds.errorf(w.Pos("workflowId"), "duplicate-id", "workflowId %q is used by another workflow of this document", w.WorkflowID)
		}
		ids[w.WorkflowID] = true
		if !idPattern.MatchString(w.WorkflowID) {
			v.ds.warnf(w.Pos("workflowId"), "invalid-id", "workflowId %q should match [A-Za-z0-9_-]+, or runtime expressions cannot name it", w.WorkflowID)
		}
	}
	for _, w := range doc.Workflows {
		v.workflow(w)
	}
	v.workflowCycles()
	v.components()
}

func (v *validator) sources() {
	names := make(map[string]bool)
	for _, s := range v.doc.SourceDescriptions {
		if s.Name != "" {
			if names[s.Name] {
				v.ds.errorf(s.Pos("name"), "duplicate-id", "source description name %q is used twice", s.Name)
			}
			names[s.Name] = true
			if !idPattern.MatchString(s.Name) {
				v.ds.warnf(s.Pos("name"), "invalid-id", "source description name %q should match [A-Za-z0-9_-]+, or runtime expressions cannot name it", s.Name)
			}
		}
	}
}

func (v *validator) workflow(w *Workflow) {
	sc := scope{wf: w, step: -1}
	for i, dep := range w.DependsOn {
		if _, _, err := v.b.ResolveWorkflow(v.doc, dep); err != nil {
			v.ds.errorf(w.DependsOnPos(i), "unknown-workflow", "dependsOn: %v", err)
		}
	}
	v.inputSchema(w)
	v.outputs(&w.located, w.Outputs, w.OutputPos, sc, "workflow")
	v.parameterList(w.Parameters, sc, false)
	v.actionList(w.SuccessActions, false, sc)
	v.actionList(w.FailureActions, true, sc)

	ids := make(map[string]bool)
	for _, s := range w.Steps {
		if s.StepID == "" {
			continue
		}
		if ids[s.StepID] {
			v.ds.errorf(s.Pos("stepId"), "duplicate-id", "stepId %q is used by another step of workflow %q", s.StepID, w.WorkflowID)
		}
		ids[s.StepID] = true
		if !idPattern.MatchString(s.StepID) {
			v.ds.warnf(s.Pos("stepId"), "invalid-id", "stepId %q should match [A-Za-z0-9_-]+, or runtime expressions cannot name it", s.StepID)
		}
	}
	for i, s := range w.Steps {
		v.step(w, s, i)
	}
	v.stepCycles(w)
}

func (v *validator) step(w *Workflow, s *Step, i int) {
	sc := scope{wf: w, step: i}
	targets := 0
	for _, f := range []string{"operationId", "operationPath", "channelPath", "workflowId"} {
		if s.Has(f) {
			targets++
		}
	}
	switch {
	case targets == 0 && s.StepID != "":
		v.ds.errorf(s.Position(), "step-target", "step %q needs exactly one of operationId, operationPath, channelPath and workflowId", s.StepID)
	case targets > 1:
		v.ds.errorf(s.Position(), "step-target", "step %q sets more than one of operationId, operationPath, channelPath and workflowId; they are mutually exclusive", s.StepID)
	}
	if len(s.DependsOn) > 0 && v.doc.minor == 0 {
		v.ds.warnf(s.KeyPos("dependsOn"), "requires-1.1", "step dependsOn is an Arazzo 1.1 field but the document declares arazzo %s", v.doc.Arazzo)
	}
	for j, dep := range s.DependsOn {
		if err := v.stepDependency(w, dep); err != nil {
			v.ds.errorf(s.DependsOnPos(j), "unknown-step", "dependsOn: %v", err)
		}
	}

	operationStep := s.WorkflowID == "" && targets > 0
	v.parameterList(s.Parameters, sc, operationStep)
	if operationStep {
		// Workflow parameters apply to every step, so an operation step
		// needs their `in` too.
		for _, p := range w.Parameters {
			if eff, err := v.doc.ResolveParameter(p); err == nil && eff.In == "" {
				v.ds.errorf(eff.Position(), "missing-in", "parameter %q has no `in`, which every step that calls an operation needs (step %q)", eff.Name, s.StepID)
			}
		}
	}
	switch {
	case s.WorkflowID != "" && targets == 1:
		v.workflowStep(w, s)
	case targets == 1 && v.b.IsAsync(v.doc, s):
		v.asyncStep(w, s)
	case targets == 1:
		v.operationStep(w, s)
	}
	if (s.Action != "" || s.CorrelationID != nil) && targets == 1 && !v.b.IsAsync(v.doc, s) {
		key := "action"
		if s.Action == "" {
			key = "correlationId"
		}
		v.ds.warnf(s.KeyPos(key), "ignored-async-field", "step %q calls no AsyncAPI operation, so its action and correlationId are ignored", s.StepID)
	}
	if rb := s.RequestBody; rb != nil {
		v.values(rb.valueNode("payload"), sc)
		for _, r := range rb.Replacements {
			v.replacement(rb, r, sc)
			v.values(r.valueNode("value"), sc)
		}
	}
	v.criteria(s.SuccessCriteria, sc)
	v.actionList(s.OnSuccess, false, sc)
	v.actionList(s.OnFailure, true, sc)
	v.outputs(&s.located, s.Outputs, s.OutputPos, sc, "step")
}

// stepDependency checks one step dependsOn entry: a stepId of the same
// workflow, $workflows.<id>.steps.<stepId> or
// $sourceDescriptions.<name>.<workflowId>.steps.<stepId>.
func (v *validator) stepDependency(w *Workflow, dep string) error {
	if rest, ok := strings.CutPrefix(dep, "$workflows."); ok {
		wid, sid, ok := strings.Cut(rest, ".steps.")
		if !ok {
			return fmt.Errorf("%q: want $workflows.<workflowId>.steps.<stepId>", dep)
		}
		t := v.doc.Workflow(wid)
		if t == nil {
			return fmt.Errorf("%q: no workflow %q in this document", dep, wid)
		}
		if t.Step(sid) == nil {
			return fmt.Errorf("%q: workflow %q has no step %q", dep, wid, sid)
		}
		return nil
	}
	if strings.HasPrefix(dep, "$sourceDescriptions.") {
		ref, sid, ok := strings.Cut(dep, ".steps.")
		if !ok {
			return fmt.Errorf("%q: want $sourceDescriptions.<name>.<workflowId>.steps.<stepId>", dep)
		}
		_, t, err := v.b.ResolveWorkflow(v.doc, ref)
		if err != nil {
			return err
		}
		if t.Step(sid) == nil {
			return fmt.Errorf("%q: workflow %q has no step %q", dep, t.WorkflowID, sid)
		}
		return nil
	}
	if w.Step(dep) == nil {
		return fmt.Errorf("no step %q in workflow %q", dep, w.WorkflowID)
	}
	return nil
}

func (v *validator) outputs(l *located, outs map[string]any, pos func(string) Pos, sc scope, what string) {
	if len(outs) == 0 {
		return
	}
	m := l.valueNode("outputs")
	for _, kv := range mappingPairs(m) {
		name := kv[0].Value
		if !outputKeyPattern.MatchString(name) {
			v.ds.errorf(nodePos(kv[0]), "invalid-output-name", "%s output name %q must match ^[a-zA-Z0-9.\\-_]+$", what, name)
		}
		switch o := outs[name].(type) {
		case string:
			v.expression(o, pos(name), sc, fmt.Sprintf("%s output %q", what, name))
		case *Selector:
			v.selector(o, sc, false)
		}
	}
}

func (v *validator) components() {
	c := v.doc.Components
	if c == nil {
		return
	}
	for _, field := range []string{"inputs", "parameters", "successActions", "failureActions"} {
		for _, kv := range mappingPairs(c.valueNode(field)) {
			if !outputKeyPattern.MatchString(kv[0].Value) {
				v.ds.errorf(nodePos(kv[0]), "invalid-component-key", "components.%s key %q must match ^[a-zA-Z0-9.\\-_]+$", field, kv[0].Value)
			}
		}
	}
	sc := scope{step: -1}
	for _, name := range slices.Sorted(maps.Keys(c.Parameters)) {
		v.parameter(c.Parameters[name], sc, false)
	}
	for _, name := range slices.Sorted(maps.Keys(c.SuccessActions)) {
		v.action(c.SuccessActions[name], false, sc)
	}
	for _, name := range slices.Sorted(maps.Keys(c.FailureActions)) {
		v.action(c.FailureActions[name], true, sc)
	}
}

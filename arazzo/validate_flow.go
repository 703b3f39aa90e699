package arazzo

import (
	"regexp"
	"strings"

	"github.com/trama-dev/trama/arazzo/criterion"
	"github.com/trama-dev/trama/arazzo/expr"
	"github.com/trama-dev/trama/internal/lazyregexp"
)

func (v *validator) actionList(list []*Action, failure bool, sc scope) {
	names := make(map[string]bool)
	for _, a := range list {
		eff := v.action(a, failure, sc)
		if eff == nil || eff.Name == "" {
			continue
		}
		if names[eff.Name] {
			v.ds.errorf(a.Position(), "duplicate-name", "action name %q is used twice in one list", eff.Name)
		}
		names[eff.Name] = true
	}
}

// action checks one action in the context of sc and returns its effective
// form, or nil when its reference does not resolve.
func (v *validator) action(a *Action, failure bool, sc scope) *Action {
	resolve, kind := v.doc.ResolveSuccessAction, "success"
	if failure {
		resolve, kind = v.doc.ResolveFailureAction, "failure"
	}
	eff, err := resolve(a)
	if err != nil {
		v.ds.errorf(a.Pos("reference"), "unknown-component", "%v", err)
		return nil
	}
	switch eff.Type {
	case "end", "goto":
	case "retry":
		if !failure {
			v.ds.errorf(eff.Pos("type"), "invalid-action-type", "success action %q has type retry; success actions are end or goto", eff.Name)
		}
	case "":
	default:
		want := "end or goto"
		if failure {
			want = "end, goto or retry"
		}
		v.ds.errorf(eff.Pos("type"), "invalid-action-type", "%s action %q has type %q; want %s", kind, eff.Name, eff.Type, want)
	}
	if eff.StepID != "" && eff.WorkflowID != "" {
		v.ds.errorf(eff.Position(), "action-target", "action %q sets both stepId and workflowId; they are mutually exclusive", eff.Name)
	}
	switch eff.Type {
	case "goto":
		if eff.StepID == "" && eff.WorkflowID == "" {
			v.ds.errorf(eff.Position(), "action-target", "goto action %q needs a stepId or a workflowId", eff.Name)
		}
	case "end":
		for _, f := range []string{"stepId", "workflowId"} {
			if eff.Has(f) {
				v.ds.warnf(eff.KeyPos(f), "action-fields", "end action %q ignores %s", eff.Name, f)
			}
		}
	}
	if eff.Type != "retry" {
		for _, f := range []string{"retryAfter", "retryLimit"} {
			if eff.Has(f) {
				v.ds.warnf(eff.KeyPos(f), "action-fields", "%s only applies to retry actions; action %q is %s", f, eff.Name, eff.Type)
			}
		}
	}
	if eff.RetryAfter != nil && *eff.RetryAfter < 0 {
		v.ds.errorf(eff.Pos("retryAfter"), "invalid-retry", "retryAfter %v is negative; it is a delay in seconds", *eff.RetryAfter)
	}
	if eff.RetryLimit != nil && *eff.RetryLimit < 0 {
		v.ds.errorf(eff.Pos("retryLimit"), "invalid-retry", "retryLimit %d is negative", *eff.RetryLimit)
	}
	if eff.StepID != "" && sc.wf != nil && sc.wf.Step(eff.StepID) == nil {
		v.ds.errorf(eff.Pos("stepId"), "unknown-step", "action %q: no step %q in workflow %q", eff.Name, eff.StepID, sc.wf.WorkflowID)
	}
	if eff.WorkflowID != "" {
		if _, _, err := v.b.ResolveWorkflow(v.doc, eff.WorkflowID); err != nil {
			v.ds.errorf(eff.Pos("workflowId"), "unknown-workflow", "action %q: %v", eff.Name, err)
		}
	}
	v.parameterList(eff.Parameters, sc, false)
	v.criteria(eff.Criteria, sc)
	return eff
}

func (v *validator) criteria(list []*Criterion, sc scope) {
	for _, c := range list {
		v.criterion(c, sc)
	}
}

var (
	jsonPathVersions = map[string]bool{"": true, "rfc9535": true, "draft-goessner-dispatch-jsonpath-00": true}
	xpathVersions    = map[string]bool{"": true, "xpath-10": true, "xpath-20": true, "xpath-30": true, "xpath-31": true}
	// lengthComparison matches the Okta catalog's `$.length > 0`: a
	// JavaScript-style comparison, not a JSONPath query.
	lengthComparison = lazyregexp.New(`^\s*\$(\.[A-Za-z_][A-Za-z0-9_]*)*\s*(==|!=|<=|>=|<|>)\s*\S+\s*$`)
)

func (v *validator) criterion(c *Criterion, sc scope) {
	typ := c.EffectiveType()
	versionPos := c.Pos("type")
	if c.Has("type.version") {
		versionPos = c.Pos("type.version")
	}
	if c.Type != "" && c.Context == "" {
		sev := Error
		if typ == "simple" {
			sev = Warning
		}
		v.ds.add(sev, c.Position(), "missing-context", "criterion of type %s needs a context (e.g. $response.body)", typ)
	}
	if c.Context != "" {
		v.expression(c.Context, c.Pos("context"), sc, "criterion context")
	}
	cond := c.Condition
	p := c.Pos("condition")
	switch typ {
	case "simple":
		if c.Version != "" {
			v.ds.warnf(versionPos, "unknown-criterion-version", "simple criteria have no version; %q is ignored", c.Version)
		}
		if cond == "" {
			return
		}
		parsed, err := expr.ParseCondition(cond, expr.Options{})
		if err != nil {
			v.ds.errorf(shiftPos(c.valueNode("condition"), p, err), "invalid-condition", "condition %q: %s", cond, syntaxMessage(err))
			return
		}
		for _, e := range parsed.Expressions() {
			v.reference(e, p, sc)
		}
	case "regex":
		if c.Version != "" {
			v.ds.errorf(versionPos, "unknown-criterion-version", "regex criteria have no version (the Expression Type Object names jsonpath and xpath versions); write type: regex")
		}
		if _, err := regexp.Compile(cond); err != nil {
			v.ds.errorf(p, "invalid-regex", "regex %q does not compile: %v%s", cond, err, regexHint(cond))
		}
	case "jsonpath":
		if !jsonPathVersions[c.Version] {
			v.ds.errorf(versionPos, "unknown-criterion-version", "jsonpath version %q; want rfc9535 or draft-goessner-dispatch-jsonpath-00", c.Version)
			return
		}
		if c.Version == criterion.GoessnerDraft00 {
			v.ds.warnf(versionPos, "jsonpath-version", "trama evaluates Goessner JSONPath as RFC 9535, reading a final .length and [(@.length-n)] as JavaScript does; filters follow RFC 9535 (no type coercion) and other script expressions are refused")
		}
		// Check accepts the compatibility comparison `$.length > 0`; CheckSelector only queries.
		if _, err := criterion.Check(criterion.JSONPath, c.Version, cond); err != nil {
			v.ds.errorf(p, "invalid-jsonpath", "%v", err)
		} else if _, err := criterion.CheckSelector(criterion.JSONPath, c.Version, cond); err != nil && lengthComparison.MatchString(cond) {
			v.ds.warnf(p, "jsonpath-compat", "%q is a comparison, not an RFC 9535 JSONPath query; trama evaluates it for compatibility (write a simple condition such as $response.body#/0 != null, or a filter such as $[?length(@) > 0])", cond)
		}
	case "xpath":
		if !xpathVersions[c.Version] {
			v.ds.errorf(versionPos, "unknown-criterion-version", "xpath version %q; want xpath-10, xpath-20, xpath-30 or xpath-31", c.Version)
			return
		} else if c.Version != "xpath-10" {
			ver := c.Version
			if ver == "" {
				ver = "xpath-31 (the default)"
			}
			v.ds.warnf(versionPos, "xpath-version", "%s: trama evaluates XPath with XPath 1.0 semantics", ver)
		}
		if _, err := criterion.Check(criterion.XPath, c.Version, cond); err != nil {
			v.ds.errorf(p, "invalid-xpath", "%v", err)
		}
	case "jsonpointer":
		v.ds.errorf(c.Pos("type"), "unknown-criterion-type", "criterion type %q: jsonpointer is a selector type (Selector Objects, replacement targets), not a criterion type; test a value with a simple condition such as $response.body#/id != null", c.Type)
	default:
		v.ds.errorf(c.Pos("type"), "unknown-criterion-type", "criterion type %q; want simple, regex, jsonpath or xpath", c.Type)
	}
	if v.doc.minor == 0 && (c.Version == "rfc9535" || c.Version == "xpath-31") {
		v.ds.warnf(versionPos, "requires-1.1", "version %s is named by Arazzo 1.1 but the document declares arazzo %s (it is the default either way)", c.Version, v.doc.Arazzo)
	}
}

// regexHint says why a pattern that works elsewhere fails under RE2.
func regexHint(pattern string) string {
	switch {
	case strings.Contains(pattern, "(?=") || strings.Contains(pattern, "(?!") ||
		strings.Contains(pattern, "(?<=") || strings.Contains(pattern, "(?<!"):
		return " (it uses lookaround, which trama's RE2 regular expressions do not support)"
	case regexp.MustCompile(`\\[1-9]|\\k<`).MatchString(pattern):
		return " (it uses backreferences, which trama's RE2 regular expressions do not support)"
	}
	return ""
}

// workflowCycles reports dependsOn cycles between the document's workflows.
func (v *validator) workflowCycles() {
	byID := make(map[string]*Workflow)
	for _, w := range v.doc.Workflows {
		byID[w.WorkflowID] = w
	}
	state := make(map[string]int) // 0 new, 1 on stack, 2 done
	var visit func(w *Workflow, path []string)
	visit = func(w *Workflow, path []string) {
		state[w.WorkflowID] = 1
		for i, dep := range w.DependsOn {
			t := byID[dep]
			if t == nil {
				continue
			}
			switch state[dep] {
			case 1:
				v.ds.errorf(w.DependsOnPos(i), "dependency-cycle", "workflow dependsOn forms a cycle: %s", cycleText(append(path, w.WorkflowID), dep))
			case 0:
				visit(t, append(path, w.WorkflowID))
			}
		}
		state[w.WorkflowID] = 2
	}
	for _, w := range v.doc.Workflows {
		if state[w.WorkflowID] == 0 {
			visit(w, nil)
		}
	}
}

// stepCycles reports dependsOn cycles between the steps of w.
func (v *validator) stepCycles(w *Workflow) {
	state := make(map[string]int)
	var visit func(s *Step, path []string)
	visit = func(s *Step, path []string) {
		state[s.StepID] = 1
		for i, dep := range s.DependsOn {
			t := w.Step(dep)
			if t == nil {
				continue
			}
			switch state[dep] {
			case 1:
				v.ds.errorf(s.DependsOnPos(i), "dependency-cycle", "step dependsOn forms a cycle: %s", cycleText(append(path, s.StepID), dep))
			case 0:
				visit(t, append(path, s.StepID))
			}
		}
		state[s.StepID] = 2
	}
	for _, s := range w.Steps {
		if state[s.StepID] == 0 {
			visit(s, nil)
		}
	}
}

func cycleText(path []string, back string) string {
	start := 0
	for i, p := range path {
		if p == back {
			start = i
		}
	}
	return strings.Join(append(path[start:], back), " -> ")
}

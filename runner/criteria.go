package runner

import (
	"context"
	"fmt"
	"strings"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/arazzo/criterion"
	"github.com/trama-dev/trama/arazzo/expr"
)

// checkSuccess applies a step's success criteria: all must pass. A step without criteria succeeds on any
// 2xx response. It returns a note for every criterion that failed.
func (x *execution) checkSuccess(ctx context.Context, step *arazzo.Step, sc *scope) (bool, []CriterionNote) {
	if len(step.SuccessCriteria) == 0 {
		if sc.resp == nil {
			return true, nil
		}
		if sc.resp.status >= 200 && sc.resp.status < 300 {
			return true, nil
		}
		return false, []CriterionNote{{Condition: "2xx status (no successCriteria)", Message: fmt.Sprintf("status %d", sc.resp.status)}}
	}
	var notes []CriterionNote
	ok := true
	for _, c := range step.SuccessCriteria {
		passed, msg := x.criterion(ctx, c, sc)
		if !passed {
			ok = false
			notes = append(notes, CriterionNote{Condition: c.Condition, Message: x.secrets.Redact(msg)})
		}
	}
	return ok, notes
}

// criteriaPass reports whether all criteria of an action pass. An evaluation error makes a criterion
// fail (1.1 l.1040), so it only ends up in the error for cancellation.
func (x *execution) criteriaPass(ctx context.Context, crits []*arazzo.Criterion, sc *scope) (bool, error) {
	for _, c := range crits {
		if ok, _ := x.criterion(ctx, c, sc); !ok {
			return false, ctx.Err()
		}
	}
	return true, ctx.Err()
}

// criterion evaluates one criterion. The message says why it did not pass.
func (x *execution) criterion(ctx context.Context, c *arazzo.Criterion, sc *scope) (bool, string) {
	sc.ctx = ctx
	switch kind := c.EffectiveType(); kind {
	case "simple":
		cond, err := x.r.condition(c.Condition)
		if err != nil {
			return false, err.Error()
		}
		ok, err := cond.Eval(sc)
		if err != nil {
			return false, err.Error()
		}
		if !ok {
			return false, x.explainFalse(cond, sc)
		}
		return true, ""
	case "regex", "jsonpath", "xpath":
		e, err := x.r.expression(c.Context)
		if err != nil {
			return false, fmt.Sprintf("context %q: %v", c.Context, err)
		}
		v, found, err := expr.Eval(e, sc)
		if err != nil {
			return false, fmt.Sprintf("context %s: %v", c.Context, err)
		}
		if !found {
			return false, fmt.Sprintf("context %s has no value", c.Context)
		}
		condText := c.Condition
		if strings.Contains(condText, "{$") {
			t, err := x.r.strictTemplate(condText)
			if err != nil {
				return false, err.Error()
			}
			rendered, err := t.Eval(sc)
			if err != nil {
				return false, err.Error()
			}
			condText, _ = scalarText(rendered)
		}
		ok, err := criterion.Evaluate(criterion.Kind(kind), c.Version, condText, v)
		if err != nil {
			return false, fmt.Sprintf("%s %q: %v", kind, c.Condition, err)
		}
		if !ok {
			return false, fmt.Sprintf("%s %q did not match %s", kind, c.Condition, c.Context)
		}
		return true, ""
	default:
		return false, fmt.Sprintf("criterion type %q is not supported (simple, regex, jsonpath, xpath)", kind)
	}
}

// explainFalse says what the expressions of a false condition evaluated to, so a failed step shows
// "$statusCode is 404" rather than only the condition.
func (x *execution) explainFalse(cond *expr.Condition, sc *scope) string {
	var parts []string
	for _, e := range cond.Expressions() {
		v, found, err := expr.Eval(e, sc)
		switch {
		case err != nil:
			parts = append(parts, fmt.Sprintf("%s: %v", e.Raw, err))
		case !found:
			parts = append(parts, e.Raw+" has no value")
		default:
			text, _ := scalarText(v)
			if len(text) > 120 {
				text = text[:117] + "..."
			}
			parts = append(parts, fmt.Sprintf("%s is %s", e.Raw, text))
		}
	}
	if len(parts) == 0 {
		return "condition is false"
	}
	return "condition is false: " + strings.Join(parts, ", ")
}

// failureMessage summarizes why a step's success criteria failed.
func failureMessage(status int, notes []CriterionNote, body any) string {
	var b strings.Builder
	if status != 0 {
		fmt.Fprintf(&b, "status %d: ", status)
	}
	for i, n := range notes {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "criterion %q failed", n.Condition)
		if n.Message != "" {
			b.WriteString(" (" + n.Message + ")")
		}
	}
	if m, ok := body.(map[string]any); ok {
		// Surface an API's own error summary (Okta: errorCode + errorSummary).
		if code, ok := m["errorCode"].(string); ok {
			summary, _ := m["errorSummary"].(string)
			fmt.Fprintf(&b, "; server said %s: %s", code, summary)
		}
	}
	return b.String()
}

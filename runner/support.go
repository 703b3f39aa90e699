package runner

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/arazzo/expr"
	"github.com/trama-dev/trama/secret"
)

func (r *Runner) mode() expr.Mode {
	if r.opts.Strict {
		return expr.Strict
	}
	return expr.Compat
}

// template returns the compiled template of a string value, parsing it once per Runner.
func (r *Runner) template(s string) (*expr.Template, error) {
	if v, ok := r.templates.Load(s); ok {
		return v.(*expr.Template), nil
	}
	t, err := expr.ParseTemplate(s, r.mode())
	if err != nil {
		return nil, err
	}
	r.templates.Store(s, t)
	return t, nil
}

// strictTemplate compiles the condition text of a regex, jsonpath or xpath criterion, where runtime
// expressions may only appear as {$…} (1.1 l.875).
func (r *Runner) strictTemplate(s string) (*expr.Template, error) {
	key := "\x00strict\x00" + s
	if v, ok := r.templates.Load(key); ok {
		return v.(*expr.Template), nil
	}
	t, err := expr.ParseTemplate(s, expr.Strict)
	if err != nil {
		return nil, err
	}
	r.templates.Store(key, t)
	return t, nil
}

func (r *Runner) condition(s string) (*expr.Condition, error) {
	if v, ok := r.conds.Load(s); ok {
		return v.(*expr.Condition), nil
	}
	c, err := expr.ParseCondition(s, expr.Options{})
	if err != nil {
		return nil, fmt.Errorf("condition %q: %w", s, err)
	}
	r.conds.Store(s, c)
	return c, nil
}

func (r *Runner) expression(s string) (expr.Expr, error) {
	if v, ok := r.exprs.Load(s); ok {
		return v.(expr.Expr), nil
	}
	e, err := expr.Parse(strings.TrimSpace(s))
	if err != nil {
		return expr.Expr{}, err
	}
	r.exprs.Store(s, e)
	return e, nil
}

// evalValue evaluates every string and Selector Object inside a value (maps and slices walked, copied),
// leaving other values as they are.
func (x *execution) evalValue(ctx context.Context, v any, sc *scope) (any, error) {
	switch t := v.(type) {
	case string:
		return x.evalString(ctx, t, sc)
	case *arazzo.Selector:
		return x.evalSelector(ctx, t, sc)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			if x.absentOptional(sc.st, e) {
				continue
			}
			ev, err := x.evalValue(ctx, e, sc)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = ev
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			ev, err := x.evalValue(ctx, e, sc)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = ev
		}
		return out, nil
	default:
		return v, nil
	}
}

// evalString evaluates a string value that may hold expressions. Strings without "$" are literal and
// skip the template cache entirely.
func (x *execution) evalString(ctx context.Context, s string, sc *scope) (any, error) {
	if strings.IndexByte(s, '$') < 0 {
		return s, nil
	}
	t, err := x.r.template(s)
	if err != nil {
		return nil, err
	}
	sc.ctx = ctx
	return t.Eval(sc)
}

// absentOptional reports whether a value is left out because it comes from an optional input the caller
// did not give: the value is exactly `$inputs.X`, or a Selector Object whose context is.
func (x *execution) absentOptional(st *wfState, v any) bool {
	switch t := v.(type) {
	case string:
		return x.absentOptionalInput(st, t)
	case *arazzo.Selector:
		return x.absentOptionalInput(st, unbrace(t.Context))
	}
	return false
}

// absentOptionalInput reports whether s is exactly `$inputs.X` for an optional input the caller did not
// give. Such a value is left out — an object field omitted, a parameter not sent — rather than failing
// the step: leaving an optional input out means "do not send it".
func (x *execution) absentOptionalInput(st *wfState, s string) bool {
	if len(s) < 8 || s[0] != '$' {
		return false
	}
	t, err := x.r.template(s)
	if err != nil || !t.IsExpression() {
		return false
	}
	e := t.Expressions()[0]
	if e.Root != expr.RootInputs {
		return false
	}
	if _, given := st.inputs[e.Name]; given {
		return false
	}
	return !st.schema.required(e.Name)
}

// lookupWorkflow finds a workflow by a local workflowId or `$sourceDescriptions.<name>.<workflowId>`.
func (r *Runner) lookupWorkflow(doc *arazzo.Document, ref string) (*arazzo.Document, *arazzo.Workflow, error) {
	return r.bundle.ResolveWorkflow(doc, ref)
}

// serverURL picks the base URL of an operation: the --server override for its source, else the
// operation's or path's servers, else the description's first server, with server variables expanded.
func (r *Runner) serverURL(ro *arazzo.ResolvedOperation) (string, error) {
	name := ro.Source.Name
	if u, ok := r.opts.Servers[name]; ok {
		return strings.TrimSuffix(u, "/"), nil
	}
	servers := ro.Op.Servers
	if len(servers) == 0 && ro.Source.OpenAPI != nil {
		servers = ro.Source.OpenAPI.Servers()
	}
	if len(servers) == 0 {
		return "", fmt.Errorf("source %q declares no servers: pass --server %s=URL", name, name)
	}
	u, err := servers[0].Expand(r.opts.ServerVariables)
	if err != nil {
		return "", fmt.Errorf("source %q server %s: %w", name, servers[0].URL, err)
	}
	if !strings.Contains(u, "://") {
		// A relative server URL is relative to where the description was read from.
		base, err := url.Parse(ro.Source.Location)
		if err != nil || (base.Scheme != "http" && base.Scheme != "https") {
			return "", fmt.Errorf("source %q has the relative server URL %q: pass --server %s=URL", name, u, name)
		}
		ref, err := url.Parse(u)
		if err != nil {
			return "", fmt.Errorf("source %q server %q: %w", name, u, err)
		}
		u = base.ResolveReference(ref).String()
	}
	return strings.TrimSuffix(u, "/"), nil
}

// maskValue returns a copy of v with secret values and secret-named fields masked.
func maskValue(v any, s *secret.Set) map[string]any {
	if v == nil {
		return map[string]any{}
	}
	masked := secret.RedactJSON(v, s)
	if m, ok := masked.(map[string]any); ok {
		return m
	}
	return map[string]any{}
}

func secondsToDuration(s float64) time.Duration {
	if s <= 0 {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}

// sortedKeys returns m's keys in order, for deterministic outputs. It runs once per step, so it sizes its
// slice up front rather than collecting an iterator.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

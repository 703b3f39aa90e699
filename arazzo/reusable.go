package arazzo

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnresolvedReference is wrapped by the Resolve methods when a Reusable
// Object points at a component that does not exist.
var ErrUnresolvedReference = errors.New("unresolved component reference")

// componentRef splits `$components.<kind>.<name>` (braces allowed, since the
// field is typed `{expression}`) into kind and name.
func componentRef(ref string) (kind, name string, ok bool) {
	ref = strings.TrimSpace(ref)
	if strings.HasPrefix(ref, "{") && strings.HasSuffix(ref, "}") {
		ref = ref[1 : len(ref)-1]
	}
	rest, ok := strings.CutPrefix(ref, "$components.")
	if !ok {
		return "", "", false
	}
	kind, name, ok = strings.Cut(rest, ".")
	return kind, name, ok && name != ""
}

// ResolveParameter returns the effective parameter for p: p itself when it is
// a Parameter Object, otherwise a copy of the component it references with
// the Reusable Object's value, when written, overriding the component's
// value. Positions stay exact: fields come from the component, an overriding
// value from the reference, and Position() is the reference's.
func (d *Document) ResolveParameter(p *Parameter) (*Parameter, error) {
	if !p.IsReference() {
		return p, nil
	}
	kind, name, ok := componentRef(p.Reference)
	if !ok || kind != "parameters" {
		return nil, fmt.Errorf("parameter reference %q: want $components.parameters.<name>: %w", p.Reference, ErrUnresolvedReference)
	}
	c := d.components().Parameters[name]
	if c == nil {
		return nil, fmt.Errorf("parameter reference %q: no component parameter %q: %w", p.Reference, name, ErrUnresolvedReference)
	}
	eff := *c
	eff.located = c.located.clone()
	eff.node = p.node
	if p.Has("value") {
		eff.Value = p.Value
		eff.fields["value"] = p.fields["value"]
	}
	return &eff, nil
}

// ResolveSuccessAction returns the effective success action for a: a itself,
// or the component it references.
func (d *Document) ResolveSuccessAction(a *Action) (*Action, error) {
	return d.resolveAction(a, "successActions", d.components().SuccessActions)
}

// ResolveFailureAction returns the effective failure action for a: a itself,
// or the component it references.
func (d *Document) ResolveFailureAction(a *Action) (*Action, error) {
	return d.resolveAction(a, "failureActions", d.components().FailureActions)
}

func (d *Document) resolveAction(a *Action, want string, comps map[string]*Action) (*Action, error) {
	if !a.IsReference() {
		return a, nil
	}
	kind, name, ok := componentRef(a.Reference)
	if !ok || kind != want {
		return nil, fmt.Errorf("action reference %q: want $components.%s.<name>: %w", a.Reference, want, ErrUnresolvedReference)
	}
	c := comps[name]
	if c == nil {
		return nil, fmt.Errorf("action reference %q: no component %s %q: %w", a.Reference, want, name, ErrUnresolvedReference)
	}
	return c, nil
}

// StepParameters returns the parameters step s of workflow w sends, resolved:
// the workflow's parameters overridden by the step's ones with the same name
// and location (the specification lets a step override a workflow parameter
// but never remove it). Workflow parameters come first, in document order.
func (d *Document) StepParameters(w *Workflow, s *Step) ([]*Parameter, error) {
	type key struct{ name, in string }
	var out []*Parameter
	index := make(map[key]int)
	add := func(list []*Parameter) error {
		for _, p := range list {
			eff, err := d.ResolveParameter(p)
			if err != nil {
				return err
			}
			k := key{eff.Name, eff.In}
			if i, ok := index[k]; ok {
				out[i] = eff
				continue
			}
			index[k] = len(out)
			out = append(out, eff)
		}
		return nil
	}
	if err := add(w.Parameters); err != nil {
		return nil, err
	}
	if err := add(s.Parameters); err != nil {
		return nil, err
	}
	return out, nil
}

// StepSuccessActions returns the success actions that apply after step s of
// workflow w succeeds, resolved, in the order they are tried: the step's own
// actions first, then the workflow's ones whose name the step did not
// override.
func (d *Document) StepSuccessActions(w *Workflow, s *Step) ([]*Action, error) {
	return d.mergeActions(s.OnSuccess, w.SuccessActions, d.ResolveSuccessAction)
}

// StepFailureActions is StepSuccessActions for failure actions.
func (d *Document) StepFailureActions(w *Workflow, s *Step) ([]*Action, error) {
	return d.mergeActions(s.OnFailure, w.FailureActions, d.ResolveFailureAction)
}

func (d *Document) mergeActions(step, workflow []*Action, resolve func(*Action) (*Action, error)) ([]*Action, error) {
	var out []*Action
	names := make(map[string]bool)
	for _, a := range step {
		eff, err := resolve(a)
		if err != nil {
			return nil, err
		}
		names[eff.Name] = true
		out = append(out, eff)
	}
	for _, a := range workflow {
		eff, err := resolve(a)
		if err != nil {
			return nil, err
		}
		if !names[eff.Name] {
			out = append(out, eff)
		}
	}
	return out, nil
}

// components returns d.Components, or an empty set for documents built in
// code without one.
func (d *Document) components() *Components {
	if d.Components == nil {
		return &Components{}
	}
	return d.Components
}

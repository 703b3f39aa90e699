package runner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/arazzo/expr"
	"github.com/trama-dev/trama/secret"
)

// scope resolves runtime expressions for one step attempt (or for a workflow's outputs). It implements
// expr.Resolver.
type scope struct {
	x          *execution
	st         *wfState
	ctx        context.Context
	stepID     string
	req        *requestData
	resp       *responseData
	msg        *Message       // $message: what a receive step received, or a send step sent
	subOutputs map[string]any // $outputs in the outputs of a step that called a workflow
}

// Resolve returns the base value of e; package expr applies its JSON Pointer.
func (s *scope) Resolve(e expr.Expr) (any, bool, error) {
	switch e.Root {
	case expr.RootURL:
		if s.req == nil {
			return nil, false, nil
		}
		return s.req.url, true, nil
	case expr.RootMethod:
		if s.req == nil {
			return nil, false, nil
		}
		return s.req.method, true, nil
	case expr.RootStatusCode:
		if s.resp == nil {
			return nil, false, nil
		}
		return s.resp.status, true, nil
	case expr.RootRequest:
		if s.req == nil {
			return nil, false, nil
		}
		switch e.Source {
		case expr.SourceHeader:
			return headerValue(s.req.header, e.Name)
		case expr.SourceQuery:
			vs, ok := s.req.query[e.Name]
			if !ok || len(vs) == 0 {
				return nil, false, nil
			}
			return vs[0], true, nil
		case expr.SourcePath:
			v, ok := s.req.path[e.Name]
			return v, ok, nil
		case expr.SourceBody:
			return s.req.body, s.req.body != nil, nil
		}
		return nil, false, nil
	case expr.RootResponse:
		if s.resp == nil {
			return nil, false, nil
		}
		switch e.Source {
		case expr.SourceHeader:
			return headerValue(s.resp.header, e.Name)
		case expr.SourceBody:
			return s.resp.body, s.resp.body != nil, nil
		}
		return nil, false, nil
	case expr.RootMessage:
		if s.msg == nil {
			return nil, false, nil
		}
		switch e.Source {
		case expr.SourceHeader:
			for k, v := range s.msg.Header {
				if strings.EqualFold(k, e.Name) {
					return v, true, nil
				}
			}
			return nil, false, nil
		case expr.SourcePayload:
			return s.msg.Payload, s.msg.Payload != nil, nil
		}
		return nil, false, nil
	case expr.RootInputs:
		if v, ok := s.st.inputs[e.Name]; ok {
			return v, true, nil
		}
		return s.askInput(e.Name)
	case expr.RootOutputs:
		if s.subOutputs != nil {
			v, ok := s.subOutputs[e.Name]
			return v, ok, nil
		}
		if s.st.outputs != nil {
			v, ok := s.st.outputs[e.Name]
			return v, ok, nil
		}
		return nil, false, nil
	case expr.RootSteps:
		outs, ok := s.st.steps[e.StepID]
		if !ok {
			return nil, false, &notRunError{stepID: e.StepID, workflowID: s.st.wf.WorkflowID}
		}
		if e.Field != "" && e.Field != "outputs" {
			return nil, false, nil
		}
		if e.Name == "" {
			return outs, true, nil
		}
		v, ok := outs[e.Name]
		if !ok {
			if step := s.st.wf.Step(e.StepID); step != nil {
				if src, declared := step.Outputs[e.Name]; declared {
					return nil, false, fmt.Errorf("%w: step %q left output %q unset, because %s found nothing in its response",
						expr.ErrNotFound, e.StepID, e.Name, arazzo.OutputText(src))
				}
			}
		}
		return v, ok, nil
	case expr.RootWorkflows:
		for wf, st := range s.x.done {
			if wf.WorkflowID != e.WorkflowID {
				continue
			}
			var m map[string]any
			switch e.Field {
			case "inputs":
				m = st.inputs
			case "outputs":
				m = st.outputs
			default:
				return nil, false, nil
			}
			if e.Name == "" {
				return m, true, nil
			}
			v, ok := m[e.Name]
			return v, ok, nil
		}
		return nil, false, fmt.Errorf("workflow %q has not run in this run (list it in dependsOn)", e.WorkflowID)
	case expr.RootSourceDescriptions:
		sd := s.st.doc.SourceDescription(e.SourceName)
		if sd == nil {
			return nil, false, nil
		}
		switch e.Ref {
		case "url":
			return sd.URL, true, nil
		case "name":
			return sd.Name, true, nil
		case "type":
			return sd.Type, true, nil
		}
		return nil, false, nil
	case expr.RootComponents:
		c := s.st.doc.Components
		if c == nil {
			return nil, false, nil
		}
		switch e.Kind {
		case "parameters":
			if p, ok := c.Parameters[e.Name]; ok {
				return p.Value, true, nil
			}
		case "inputs":
			if v, ok := c.Inputs[e.Name]; ok {
				return v, true, nil
			}
		}
		return nil, false, nil
	case expr.RootSelf:
		if s.st.doc.Self != "" {
			return s.st.doc.Self, true, nil
		}
		return s.st.doc.File, true, nil
	}
	return nil, false, nil
}

// headerValue reads one header case-insensitively. `$response.header.X` stands for a single value
// (1.0.1 l.857); repeated headers give their first value.
func headerValue(h http.Header, name string) (any, bool, error) {
	vs := h.Values(name)
	if len(vs) == 0 {
		return nil, false, nil
	}
	return vs[0], true, nil
}

// askInput asks the InputProvider for an input the caller did not give, once, and keeps the answer for the
// rest of the workflow.
func (s *scope) askInput(name string) (any, bool, error) {
	p := s.x.provider
	if p == nil {
		return nil, false, nil
	}
	// Only required inputs are asked for: an optional input left out means "do not send it".
	if s.st.schema == nil || s.st.schema.raw == nil || !s.st.schema.required(name) {
		return nil, false, nil
	}
	ctx := s.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	req := InputRequest{
		WorkflowID:  s.st.wf.WorkflowID,
		Name:        name,
		Schema:      s.st.schema.property(name),
		StepID:      s.stepID,
		Inputs:      s.st.inputs,
		StepOutputs: s.st.steps,
		Responses:   s.st.responses,
		StepOrder:   slices.Clone(s.st.order),
	}
	asked := time.Now()
	v, err := p.Input(ctx, req)
	s.x.waited += time.Since(asked)
	if errors.Is(err, ErrInputLater) {
		p := &InputPending{WorkflowID: req.WorkflowID, StepID: req.StepID, Name: name, Schema: req.Schema}
		s.x.pending = p
		return nil, false, p
	}
	if err != nil {
		return nil, false, fmt.Errorf("input %q was not given and could not be obtained: %w", name, err)
	}
	if text, ok := v.(string); ok && s.st.schema.raw != nil {
		if cv, err := CoerceInput(s.st.schema.raw, name, text); err == nil {
			v = cv
		} else {
			return nil, false, err
		}
	}
	s.st.inputs[name] = v
	if s.st.schema != nil {
		if problems := s.st.schema.validate(s.st.inputs, func(string) bool { return true }); len(problems) > 0 {
			for _, pr := range problems {
				if strings.HasPrefix(pr.Path, "/"+name) {
					delete(s.st.inputs, name)
					return nil, false, fmt.Errorf("input %q: %s", name, pr.Message)
				}
			}
		}
	}
	s.x.rememberSecretInputs(s.st.schema, map[string]any{name: v})
	return v, true, nil
}

// rememberSecretInputs adds the values of secret inputs to the run's secret set: inputs whose schema says
// `format: password` or whose name says token, secret, password or key.
func (x *execution) rememberSecretInputs(schema *inputSchema, inputs map[string]any) {
	for name, v := range inputs {
		s, ok := v.(string)
		if !ok || s == "" {
			continue
		}
		format, _ := schema.property(name)["format"].(string)
		if format == "password" || secret.IsSecretName(name) {
			x.secrets.Add(s)
		}
	}
}

// rememberCredential adds the credential part of a credential header's value to the secret set: the part
// after the scheme ("SSWS abc" → "abc", so reports show "SSWS ****"), the value of a cookie pair, or the
// whole value.
func (x *execution) rememberCredential(value string) {
	value = strings.TrimSpace(value)
	switch {
	case strings.IndexByte(value, ' ') > 0:
		x.secrets.Add(strings.TrimSpace(value[strings.IndexByte(value, ' ')+1:]))
	case strings.IndexByte(value, '=') > 0:
		x.secrets.Add(value[strings.IndexByte(value, '=')+1:])
	default:
		x.secrets.Add(value)
	}
}

// notRunError is a reference to a step that has not run in this execution of its workflow.
type notRunError struct{ stepID, workflowID string }

func (e *notRunError) Error() string {
	return fmt.Sprintf("step %q has not run yet in workflow %q", e.stepID, e.workflowID)
}

// unset reports whether err means a value was never produced (it does not exist, or the step that
// would produce it did not run) rather than that an expression is wrong.
func unset(err error) bool {
	var nr *notRunError
	return errors.Is(err, expr.ErrNotFound) || errors.As(err, &nr)
}

package worker

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/secret"
	"github.com/trama-dev/trama/trigger"
)

// Plan is what a run executes with, fixed when the event is dispatched and stored with the run, so that
// a configuration changed meanwhile, or another replica with another configuration, runs it exactly as
// it was accepted. It holds no secret.
type Plan struct {
	Trigger  string `json:"trigger"`
	File     string `json:"file"`
	Workflow string `json:"workflow"`
	// Inputs are the evaluated inputs, secret ones left out.
	Inputs map[string]any `json:"inputs"`
	// EnvInputs are the templates of secret inputs that read $env: evaluated when the run executes, over
	// the event and the environment of the process running it, so the secret is never stored.
	EnvInputs map[string]any `json:"envInputs,omitempty"`
	// ConfigInputs name secret inputs written literally in the configuration: their values are taken
	// from the trigger of the same name in the configuration the run executes under.
	ConfigInputs []string `json:"configInputs,omitempty"`
	// Resend is the trigger's resend policy.
	Resend config.Resend `json:"resend"`
	// Connection names the connection that authenticates the workflow's requests; its credential is
	// read from the configuration the run executes under, never stored.
	Connection string `json:"connection,omitempty"`
	// InputHelpers and InputTimeout are the trigger's: who is asked for an input the run needs, and how
	// long the run waits for it when nobody can answer.
	InputHelpers []string      `json:"inputHelpers,omitempty"`
	InputTimeout time.Duration `json:"inputTimeout,omitempty"`
}

// newPlan pins what fire starts.
func newPlan(f trigger.Fire) Plan {
	t := f.Trigger
	p := Plan{Trigger: t.Name, File: t.Run.File, Workflow: t.Run.Workflow, Inputs: map[string]any{}, Resend: t.Resend,
		Connection: t.Connection, InputHelpers: t.InputHelpers, InputTimeout: t.InputTimeout}
	for _, in := range t.Inputs {
		v, ok := f.Inputs[in.Name]
		if !ok {
			continue
		}
		switch {
		case !slices.Contains(f.SecretInputs, in.Name):
			p.Inputs[in.Name] = v
		case in.ReadsEnv:
			if p.EnvInputs == nil {
				p.EnvInputs = map[string]any{}
			}
			p.EnvInputs[in.Name] = in.Value
		default:
			p.ConfigInputs = append(p.ConfigInputs, in.Name)
		}
	}
	return p
}

// plan decodes a stored plan.
func plan(raw json.RawMessage) (Plan, error) {
	var p Plan
	if len(raw) == 0 {
		return p, fmt.Errorf("the run has no plan: it was created by a version of trama before 2026-12; replay its event to run it again")
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("the run's plan is unreadable: %w", err)
	}
	return p, nil
}

// maskedInputs are the inputs as the history shows them: every secret one masked.
func (p Plan) maskedInputs() map[string]any {
	out := make(map[string]any, len(p.Inputs)+len(p.EnvInputs)+len(p.ConfigInputs))
	for k, v := range p.Inputs {
		out[k] = secret.RedactJSON(v, nil)
	}
	for k := range p.EnvInputs {
		out[k] = secret.Mask
	}
	for _, k := range p.ConfigInputs {
		out[k] = secret.Mask
	}
	return out
}

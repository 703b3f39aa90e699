package trigger

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/trama-dev/trama/arazzo/expr"
	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/secret"
)

// Matcher decides which triggers an event fires and with which inputs. It is safe for concurrent use.
type Matcher struct {
	triggers []*config.Trigger
	byType   map[string][]*config.Trigger
	self     func(context.Context) (string, error)
}

// Option configures a Matcher.
type Option func(*Matcher)

// SelfActor sets how the Matcher learns the Okta id of trama's own identity, for ignoreActor: self. By
// default NewMatcher uses OktaSelf with the configuration's okta section; tests and the demo pass the
// id they already know.
func SelfActor(f func(ctx context.Context) (string, error)) Option {
	return func(m *Matcher) { m.self = f }
}

// selfTimeout bounds the default /users/me lookup, so a hanging Okta cannot hold a dispatch job forever.
const selfTimeout = 10 * time.Second

// NewMatcher prepares cfg's triggers for matching.
func NewMatcher(cfg *config.Config, opts ...Option) (*Matcher, error) {
	if cfg == nil {
		return nil, errors.New("trigger: NewMatcher needs a configuration")
	}
	m := &Matcher{triggers: cfg.Triggers, byType: map[string][]*config.Trigger{}}
	for _, o := range opts {
		o(m)
	}
	for _, t := range cfg.Triggers {
		for _, on := range t.On {
			m.byType[on] = append(m.byType[on], t)
		}
		if t.IgnoreActor == config.IgnoreSelf && m.self == nil {
			if cfg.Okta == nil {
				return nil, fmt.Errorf("trigger %q: ignoreActor: self needs the okta section (orgUrl with a service app or an API token) or a SelfActor option", t.Name)
			}
			m.self = OktaIdentity(&http.Client{Timeout: selfTimeout}, cfg.Okta)
		}
	}
	return m, nil
}

// EventTypes returns every event type some trigger listens to, sorted: what the receiver counts as
// wanted and what backfill polls by default.
func (m *Matcher) EventTypes() []string {
	out := make([]string, 0, len(m.byType))
	for t := range m.byType {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Listens reports whether any trigger listens to eventType. The receiver stores events of other types
// for the history without dispatching them: no trigger could fire.
func (m *Matcher) Listens(eventType string) bool {
	return len(m.byType[eventType]) > 0
}

// Fire is a trigger an event fires: one workflow run to start.
type Fire struct {
	Trigger *config.Trigger
	// Inputs are the evaluated workflow inputs.
	Inputs map[string]any
	// SecretInputs names the inputs the history must mask (Input.Secret), sorted.
	SecretInputs []string
	// CoalesceKey and ConcurrencyKey are the trigger's keys evaluated for the event; "" when the trigger
	// has none or the key is empty.
	CoalesceKey, ConcurrencyKey string
}

// MaskedInputs returns a copy of Inputs with every secret input replaced by secret.Mask, and names that
// look secret masked inside nested values too: what the history may store.
func (f Fire) MaskedInputs() map[string]any {
	out := make(map[string]any, len(f.Inputs))
	for k, v := range f.Inputs {
		if slices.Contains(f.SecretInputs, k) && v != nil {
			out[k] = secret.Mask
			continue
		}
		out[k] = secret.RedactJSON(v, nil)
	}
	return out
}

// SkipReason says why a trigger whose event type matched did not fire.
type SkipReason string

// The reasons a matching trigger is skipped, as the history and metrics record them.
const (
	// SkippedLoopGuard: the event's actor is the trigger's ignoreActor (or trama itself for "self").
	SkippedLoopGuard SkipReason = "loop-guard"
	// SkippedWhenFalse: the when condition evaluated to false.
	SkippedWhenFalse SkipReason = "when-false"
	// SkippedWhenError: the when condition could not be evaluated (for example it orders a missing value
	// against an object); the trigger is skipped, the others still run.
	SkippedWhenError SkipReason = "when-error"
	// SkippedInputError: an input could not be evaluated (a card field or environment variable missing).
	SkippedInputError SkipReason = "input-error"
)

// Skip is a trigger that matched the event type but did not fire.
type Skip struct {
	Trigger *config.Trigger
	Reason  SkipReason
	// Message explains the skip for the history; values read from $env are masked in it.
	Message string
}

// Match returns, for one event (as its card), every trigger it fires, in configuration order, with the
// inputs evaluated over $event (the card; JSON Pointer tails such as $event.eventDetails#/outcome/result
// allowed) and $env (env, or os.LookupEnv when nil). It also returns the triggers that matched the event
// type but were skipped, and why.
//
// A trigger whose condition or inputs fail to evaluate is skipped with the error as its message; it does
// not affect the other triggers. err is non-nil only when the event cannot be matched at all: ctx is done,
// or trama's own identity (ignoreActor: self) cannot be resolved, in which case the caller should retry
// later rather than risk a loop.
func (m *Matcher) Match(ctx context.Context, card okta.Card, env func(string) (string, bool)) (fired []Fire, skipped []Skip, err error) {
	candidates := m.byType[card.EventType]
	if len(candidates) == 0 {
		return nil, nil, nil
	}
	if env == nil {
		env = os.LookupEnv
	}
	event := card.Value()
	actor := ""
	if card.Admin != nil {
		actor = card.Admin.ID
	}
	selfID, selfKnown := "", false
	for _, t := range candidates {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if actor != "" && t.IgnoreActor != "" {
			ignored := t.IgnoreActor
			if ignored == config.IgnoreSelf {
				if !selfKnown {
					if selfID, err = m.self(ctx); err != nil {
						return nil, nil, fmt.Errorf("trigger %q: resolve trama's own Okta identity for ignoreActor: self: %w", t.Name, err)
					}
					selfKnown = true
				}
				ignored = selfID
			}
			if actor == ignored {
				skipped = append(skipped, Skip{Trigger: t, Reason: SkippedLoopGuard,
					Message: fmt.Sprintf("actor %s is ignored (ignoreActor: %s)", actor, t.IgnoreActor)})
				continue
			}
		}
		r := &resolver{event: event, env: env}
		if t.When != nil {
			ok, err := t.When.Eval(r)
			if err != nil {
				skipped = append(skipped, Skip{Trigger: t, Reason: SkippedWhenError,
					Message: r.used.Redact(fmt.Sprintf("when %s: %v", t.When, err))})
				continue
			}
			if !ok {
				skipped = append(skipped, Skip{Trigger: t, Reason: SkippedWhenFalse,
					Message: "when is false: " + r.used.Redact(t.When.String())})
				continue
			}
		}
		f, err := evalInputs(t, r)
		if err != nil {
			skipped = append(skipped, Skip{Trigger: t, Reason: SkippedInputError, Message: r.used.Redact(err.Error())})
			continue
		}
		if c := t.Coalesce; c != nil {
			if f.CoalesceKey, err = evalKey(c.Key, r); err != nil {
				skipped = append(skipped, Skip{Trigger: t, Reason: SkippedInputError, Message: "coalesce key: " + err.Error()})
				continue
			}
		}
		if c := t.Concurrency; c != nil {
			if f.ConcurrencyKey, err = evalKey(c.Key, r); err != nil {
				skipped = append(skipped, Skip{Trigger: t, Reason: SkippedInputError, Message: "concurrency key: " + err.Error()})
				continue
			}
		}
		fired = append(fired, f)
	}
	return fired, skipped, nil
}

// evalKey evaluates a coalesce or concurrency key for the event: its text, "" for a missing value.
func evalKey(key any, r *resolver) (string, error) {
	v, err := expr.EvalValueWith(key, expr.Compat, config.ExprOptions, r)
	if err != nil || v == nil {
		return "", err
	}
	return fmt.Sprint(v), nil
}

func evalInputs(t *config.Trigger, r *resolver) (Fire, error) {
	f := Fire{Trigger: t, Inputs: make(map[string]any, len(t.Inputs))}
	for _, in := range t.Inputs {
		v, err := expr.EvalValueWith(in.Value, expr.Compat, config.ExprOptions, r)
		if err != nil {
			return Fire{}, fmt.Errorf("input %s: %w", in.Name, err)
		}
		f.Inputs[in.Name] = v
		if in.Secret {
			f.SecretInputs = append(f.SecretInputs, in.Name)
		}
	}
	slices.Sort(f.SecretInputs)
	return f, nil
}

// EvalInput evaluates one input value (a template as Input.Value holds it) for an event card, reading
// $env through env (os.LookupEnv when nil): how a run dispatched earlier computes its secret inputs when it
// executes, since secrets are never stored.
func EvalInput(value any, card okta.Card, env func(string) (string, bool)) (any, error) {
	if env == nil {
		env = os.LookupEnv
	}
	r := &resolver{event: card.Value(), env: env}
	v, err := expr.EvalValueWith(value, expr.Compat, config.ExprOptions, r)
	if err != nil {
		return nil, errors.New(r.used.Redact(err.Error()))
	}
	return v, nil
}

// resolver gives expressions the card as $event and the environment as $env, remembering every
// environment value it hands out so messages can mask them.
type resolver struct {
	event map[string]any
	env   func(string) (string, bool)
	used  secret.Set
}

func (r *resolver) Resolve(e expr.Expr) (any, bool, error) {
	switch e.Root {
	case "event":
		return r.event, true, nil
	case "env":
		v, ok := r.env(e.Name)
		if !ok {
			return nil, false, nil
		}
		r.used.Add(v)
		// Eval walks Name inside the root's value, so hand it a one-variable environment.
		return map[string]any{e.Name: v}, true, nil
	}
	return nil, false, fmt.Errorf("$%s is not available in a trigger", e.Root)
}

package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/asyncapi"
	"github.com/trama-dev/trama/secret"
)

// attemptAsync runs one attempt of a step that sends or receives a message (Arazzo 1.1, "Defining Success
// for Asynchronous Steps"): a send succeeds once the Messenger took the message; a receive succeeds when a
// correlated message arrives within the step's timeout and its successCriteria, evaluated over
// `$message`, pass. No message in time is a failure, and the step's onFailure actions apply.
func (x *execution) attemptAsync(ctx context.Context, st *wfState, step *arazzo.Step, ra *arazzo.ResolvedAsync, rerr error,
	seq, attempt int) (*outcome, error) {
	start := x.r.opts.now()
	sc := &scope{x: x, st: st, stepID: step.StepID, ctx: ctx}
	out := &outcome{sc: sc}
	fail := func(format string, args ...any) (*outcome, error) {
		out.msg = x.secrets.Redact(fmt.Sprintf(format, args...))
		out.result.Duration = x.r.opts.now().Sub(start)
		out.result.DurationMs = ms(out.result.Duration)
		return out, ctx.Err()
	}
	if rerr != nil {
		return fail("%v", rerr)
	}
	if x.messenger == nil {
		return fail("step %q %ss on %s, but no message transport is configured for it", step.StepID, step.Action, ra.Channel.Address)
	}
	ch, err := x.channel(ctx, st, step, ra, sc)
	if err != nil {
		return fail("%v", err)
	}
	header := map[string]string{}
	params, err := x.effectiveParameters(st, step)
	if err != nil {
		return fail("%v", err)
	}
	for _, p := range params {
		if p.In != "header" || x.absentOptional(st, p.Value) {
			continue
		}
		v, err := x.evalValue(ctx, p.Value, sc)
		if err != nil {
			return fail("header %q: %v", p.Name, err)
		}
		text, err := scalarText(v)
		if err != nil {
			return fail("header %q: %v", p.Name, err)
		}
		header[p.Name] = text
		if isCredentialHeader(p.Name) {
			x.rememberCredential(text)
		}
	}
	out.result.Request = &RequestInfo{Method: strings.ToUpper(step.Action), URL: secret.RedactURL(channelURL(ch), x.secrets)}

	switch step.Action {
	case "send":
		m := Message{Header: header}
		if rb := step.RequestBody; rb != nil {
			m.ContentType = rb.ContentType
			if m.ContentType == "" {
				m.ContentType = messageContentType(ra)
			}
			payload, err := x.evalValue(ctx, rb.Payload, sc)
			if err != nil {
				return fail("payload: %v", err)
			}
			if len(rb.Replacements) > 0 {
				payload = replaceable(payload, m.ContentType)
			}
			for _, rep := range rb.Replacements {
				if payload, err = x.replace(ctx, payload, rep, mediaTypeOf(m.ContentType), sc); err != nil {
					return fail("payload replacement %q: %v", rep.Target, err)
				}
			}
			m.Payload = payload
		}
		if g := x.guard; g != nil {
			safe, _ := step.Extensions["x-trama-resend"].(bool)
			if err := g.Sending(ctx, Sending{Seq: seq, WorkflowID: st.wf.WorkflowID, StepID: step.StepID, Attempt: attempt,
				Method: out.result.Request.Method, URL: out.result.Request.URL, SafeToResend: safe}); err != nil {
				return out, &checkpointError{err}
			}
		}
		if err := x.messenger.Send(ctx, ch, m); err != nil {
			return fail("send on %s: %v", ch, err)
		}
		sc.msg = &m
		x.observeMessage(st, step, attempt, start, m, true)
	case "receive":
		// Since is the run's start, not the step's: a reply to the step before (a confirmation, a push the
		// user approved at once) may come before this step begins listening, and it is this run's.
		r := Receive{WorkflowID: st.wf.WorkflowID, StepID: step.StepID, Seq: seq, Channel: ch, Since: x.since, Header: header,
			CorrelationLocation: ra.CorrelationLocation()}
		if step.Timeout != nil {
			r.Timeout = time.Duration(*step.Timeout) * time.Millisecond
		}
		if step.CorrelationID != nil {
			v, err := x.evalValue(ctx, step.CorrelationID, sc)
			if err != nil {
				return fail("correlationId: %v", err)
			}
			if r.Correlation, err = scalarText(v); err != nil {
				return fail("correlationId: %v", err)
			}
		}
		m, err := x.messenger.Receive(ctx, r)
		switch {
		case errors.Is(err, ErrMessageLater):
			x.pending = &MessagePending{Receive: r}
			return out, x.pending
		case errors.Is(err, ErrNoMessage):
			return fail("%v", err)
		case err != nil:
			if errors.Is(ctx.Err(), context.DeadlineExceeded) && step.Timeout != nil {
				// The step's own timeout ended the wait (the run's context is checked by the caller).
				return fail("%v: nothing on %s correlated with %q within the step's timeout of %d ms", ErrNoMessage, ch, r.Correlation, *step.Timeout)
			}
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			return fail("receive on %s: %v", ch, err)
		}
		sc.msg = &m
		x.observeMessage(st, step, attempt, start, m, false)
	default:
		return fail("step %q has action %q; want send or receive", step.StepID, step.Action)
	}
	out.result.Duration = x.r.opts.now().Sub(start)
	out.result.DurationMs = ms(out.result.Duration)
	ok, notes := x.checkSuccess(ctx, step, sc)
	out.result.Criteria = notes
	if !ok {
		out.msg = failureMessage(0, notes, sc.msg.Payload)
		return out, ctx.Err()
	}
	return x.stepOutputs(ctx, step, sc, out)
}

// observeMessage tells the observer about the message a step sent or received, as an Exchange without
// HTTP (the history keeps it as the step's request or response).
func (x *execution) observeMessage(st *wfState, step *arazzo.Step, attempt int, start time.Time, m Message, sent bool) {
	obs := x.obs
	if obs == nil {
		return
	}
	body, err := json.Marshal(map[string]any{"header": m.Header, "payload": m.Payload})
	if err != nil {
		return
	}
	xc := Exchange{WorkflowID: st.wf.WorkflowID, StepID: step.StepID, Attempt: attempt, Start: start,
		Duration: x.r.opts.now().Sub(start)}
	if sent {
		xc.RequestBody = body
	} else {
		xc.ResponseBody = body
	}
	obs.Exchange(xc)
}

// channel resolves where an asynchronous step's messages go: the channel's address with its parameters
// filled from the step's parameters of the same name, and the source's server.
func (x *execution) channel(ctx context.Context, st *wfState, step *arazzo.Step, ra *arazzo.ResolvedAsync, sc *scope) (Channel, error) {
	ch := Channel{Source: ra.Source.Name, Address: ra.Channel.Address}
	if ra.Operation != nil {
		ch.OperationID = ra.Operation.ID
	}
	var err error
	ch.Protocol, ch.URL, err = x.r.asyncServer(ra)
	if err != nil {
		return ch, err
	}
	params, _ := x.effectiveParameters(st, step)
	for _, name := range ra.Channel.Parameters {
		var value *arazzo.Parameter
		for _, p := range params {
			if p.Name == name {
				value = p
			}
		}
		if value == nil {
			return ch, fmt.Errorf("channel %q has the parameter {%s}: give it as a step parameter named %q", ra.Channel.Address, name, name)
		}
		v, err := x.evalValue(ctx, value.Value, sc)
		if err != nil {
			return ch, fmt.Errorf("channel parameter %q: %w", name, err)
		}
		text, err := scalarText(v)
		if err != nil {
			return ch, fmt.Errorf("channel parameter %q: %w", name, err)
		}
		if err := channelParameterValue(ch.Protocol, text); err != nil {
			return ch, fmt.Errorf("channel %q parameter %q: %w", ra.Channel.Address, name, err)
		}
		ch.Address = strings.ReplaceAll(ch.Address, "{"+name+"}", text)
	}
	return ch, nil
}

// channelParameterValue refuses a value that would change which channel the address names rather than
// fill one part of it: brokers' wildcards (`*` `>` on NATS, `+` `#` on MQTT), white space, and on NATS the
// `.` that separates a subject's tokens. A receive with `*` in its subject would take messages meant for
// other channels.
func channelParameterValue(protocol, v string) error {
	switch {
	case v == "":
		return errors.New("the value is empty")
	case strings.ContainsAny(v, "*>+#"):
		return fmt.Errorf("the value %q holds a wildcard (* > + #), which would widen the channel", v)
	case strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return fmt.Errorf("the value %q holds white space or a control character", v)
	case protocol == "nats" && strings.Contains(v, "."):
		return fmt.Errorf("the value %q holds a \".\", which on NATS would split it into several subject tokens", v)
	}
	return nil
}

// asyncServer is the protocol and URL of the server an AsyncAPI source's channel uses: Options.Servers
// for the source's name, else the channel's first server, else the description's first by name, with
// its variables filled from Options.ServerVariables or their defaults. A source without servers has
// neither (Okta's event stream needs only its org URL, given as the override).
func (r *Runner) asyncServer(ra *arazzo.ResolvedAsync) (protocol, u string, err error) {
	name := ra.Source.Name
	if over, ok := r.opts.Servers[name]; ok {
		scheme, _, _ := strings.Cut(over, "://")
		return scheme, strings.TrimSuffix(over, "/"), nil
	}
	doc := ra.Source.AsyncAPI
	var pick *asyncapi.Server
	if len(ra.Channel.Servers) > 0 {
		pick = doc.Servers[ra.Channel.Servers[0]]
	}
	if pick == nil {
		names := make([]string, 0, len(doc.Servers))
		for n := range doc.Servers {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(names) == 0 {
			return "", "", nil
		}
		pick = doc.Servers[names[0]]
	}
	u = pick.URL
	for v, sv := range pick.Variables {
		value, ok := r.opts.ServerVariables[v]
		if !ok {
			value = sv.Default
		}
		if len(sv.Enum) > 0 && ok && !slices.Contains(sv.Enum, value) {
			return "", "", fmt.Errorf("source %q server %s: variable %s=%q is not one of %s", name, pick.Name, v, value, strings.Join(sv.Enum, ", "))
		}
		u = strings.ReplaceAll(u, "{"+v+"}", value)
	}
	if !strings.Contains(u, "://") && pick.Protocol != "" {
		u = pick.Protocol + "://" + u
	}
	return pick.Protocol, strings.TrimSuffix(u, "/"), nil
}

// channelURL is how a channel shows in results and reports: the server URL and the address.
func channelURL(ch Channel) string {
	if ch.URL == "" {
		return ch.Address
	}
	u, err := url.Parse(ch.URL)
	if err != nil {
		return ch.Address
	}
	return strings.TrimSuffix(u.String(), "/") + "/" + strings.TrimPrefix(ch.Address, "/")
}

// messageContentType is the content type the step's first message declares.
func messageContentType(ra *arazzo.ResolvedAsync) string {
	for _, m := range ra.Messages() {
		if m.ContentType != "" {
			return m.ContentType
		}
	}
	return "application/json"
}

// Route is a Messenger that hands each channel to the Messenger pick chooses: Okta's event stream to
// one, a broker's channels to another.
type Route func(ch Channel) (Messenger, error)

// Send sends through the chosen Messenger.
func (r Route) Send(ctx context.Context, ch Channel, m Message) error {
	mm, err := r(ch)
	if err != nil {
		return err
	}
	return mm.Send(ctx, ch, m)
}

// Receive receives through the chosen Messenger.
func (r Route) Receive(ctx context.Context, rc Receive) (Message, error) {
	mm, err := r(rc.Channel)
	if err != nil {
		return Message{}, err
	}
	return mm.Receive(ctx, rc)
}

package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/okta/eventstream"
	"github.com/trama-dev/trama/queue"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/store"
)

// A receive step on Okta's event stream (package eventstream) does not block a worker: the run waits,
// holding no lease and no goroutine, and the events that arrive later (by hook or backfill, into the
// inbox every event goes through) are matched against the waiting runs at dispatch. The first that
// correlates is delivered, and the run resumes at the same step with it as $message; a wait that times
// out resumes the run too, and the step fails so its onFailure actions decide. Channels of other
// transports (a broker) are received in the attempt, through Worker.Messenger.

// catchUpLimit bounds how many recent events a run that starts waiting looks through.
const catchUpLimit = 1000

// runMessenger is the Messenger of one attempt of a run.
type runMessenger struct {
	w   *Worker
	run store.Run
	// given is set once the message delivered to the run was handed to its receive step: a later
	// receive step of the same attempt waits for a message of its own.
	given bool
}

func (m *runMessenger) Send(ctx context.Context, ch runner.Channel, msg runner.Message) error {
	if eventstream.IsOkta(ch.Address) {
		return (&eventstream.SystemLog{}).Send(ctx, ch, msg)
	}
	if m.w.Messenger == nil {
		return fmt.Errorf("channel %s: trama serve has no message broker configured (messaging.nats)", ch)
	}
	return m.w.Messenger.Send(ctx, ch, msg)
}

func (m *runMessenger) Receive(ctx context.Context, r runner.Receive) (runner.Message, error) {
	if !eventstream.IsOkta(r.Channel.Address) {
		if m.w.Messenger == nil {
			return runner.Message{}, fmt.Errorf("channel %s: trama serve has no message broker configured (messaging.nats)", r.Channel)
		}
		return m.w.Messenger.Receive(ctx, r)
	}
	if m.given {
		return runner.Message{}, runner.ErrMessageLater
	}
	if len(m.run.Received) == 0 {
		// The event may be in the inbox already (the user approved before the step began): take it now,
		// while the attempt still holds the run, instead of waiting for it.
		if msg, ok, err := m.arrived(ctx, r); err != nil || ok {
			m.given = ok
			return msg, err
		}
		return runner.Message{}, runner.ErrMessageLater
	}
	m.given = true
	var rec store.Received
	if err := json.Unmarshal(m.run.Received, &rec); err != nil {
		return runner.Message{}, fmt.Errorf("the message delivered to run %s is unreadable: %w", m.run.ID, err)
	}
	if rec.TimedOut {
		return runner.Message{}, fmt.Errorf("%w: %s on %s", runner.ErrNoMessage, eventstream.Describe(r), r.Channel)
	}
	if rec.Seq != r.Seq {
		return runner.Message{}, runner.ErrMessageLater
	}
	var msg runner.Message
	d := json.NewDecoder(strings.NewReader(string(rec.Message)))
	d.UseNumber()
	if err := d.Decode(&msg); err != nil {
		return runner.Message{}, fmt.Errorf("the message delivered to run %s is unreadable: %w", m.run.ID, err)
	}
	return msg, nil
}

// arrived looks for r's event among those received since the run started.
func (m *runMessenger) arrived(ctx context.Context, r runner.Receive) (runner.Message, bool, error) {
	if s := m.run.StartedAt; !s.IsZero() && (r.Since.IsZero() || s.Before(r.Since)) {
		r.Since = s
	}
	srcs, err := m.w.Store.EventsSince(ctx, []string{eventstream.EventType(r.Channel.Address)}, r.Since, catchUpLimit)
	if err != nil {
		return runner.Message{}, false, fmt.Errorf("look for events received since the run started: %w", err)
	}
	for _, src := range srcs {
		if msg, ok := eventMessage(r, src); ok {
			return msg, true, nil
		}
	}
	return runner.Message{}, false, nil
}

// waitMessage stops the run until an event correlates or its wait times out: the step's timeout, or
// the trigger's inputTimeout when the step sets none. An event already in the inbox (it arrived while
// the step was starting) is delivered at once.
func (w *Worker) waitMessage(ctx context.Context, a *queue.Attempt, p Plan, pending *runner.MessagePending) error {
	r := pending.Receive
	timeout := r.Timeout
	if timeout <= 0 {
		if timeout = p.InputTimeout; timeout <= 0 {
			timeout = config.DefaultInputTimeout
		}
	}
	// Events that arrived since the run first started can be its message (a phone that approved at once,
	// before the step began); a later attempt's start would pass them by.
	since := r.Since
	if s := a.Run.StartedAt; !s.IsZero() && (since.IsZero() || s.Before(since)) {
		since = s
	}
	if since.IsZero() {
		since = time.Now()
	}
	wt := store.Waiting{WorkflowID: r.WorkflowID, StepID: r.StepID, Since: since, Until: since.Add(timeout),
		Message: &store.MessageWait{Seq: r.Seq, Source: r.Channel.Source, Channel: r.Channel.Address,
			EventType: eventstream.EventType(r.Channel.Address), Correlation: r.Correlation, Location: r.CorrelationLocation}}
	if err := a.HoldWaiting(ctx, wt); err != nil {
		return err
	}
	w.Metrics.Run(a.Run.Trigger, string(store.RunWaiting))
	w.logger().Info("run waits for a message", "run", a.Run.ID, "trigger", a.Run.Trigger, "channel", r.Channel.Address,
		"step", r.StepID, "until", wt.Until)
	run := a.Run
	run.Waiting = &wt
	srcs, err := w.Store.EventsSince(ctx, []string{wt.Message.EventType}, since, catchUpLimit)
	if err != nil {
		// The wait is recorded; later events still reach it at dispatch.
		w.logger().Warn("could not look for events that arrived before the wait", "run", run.ID, "err", err)
		return nil
	}
	for _, src := range srcs {
		if delivered, err := w.deliver(ctx, run, src); delivered || err != nil {
			return nil
		}
	}
	return nil
}

// wakeWaiting delivers the events of a dispatch batch to the runs that wait for them. An error (the
// store could not be read or written) fails the batch's dispatch, which is then retried: a waiting run
// must not miss its event because of a transient failure.
func (w *Worker) wakeWaiting(ctx context.Context, ds []store.Dispatch) error {
	var types []string
	for _, d := range ds {
		if !slices.Contains(types, d.Type) {
			types = append(types, d.Type)
		}
	}
	runs, err := w.Store.WaitingForEvents(ctx, types)
	if err != nil {
		return fmt.Errorf("read the runs waiting for events: %w", err)
	}
	if len(runs) == 0 {
		return nil
	}
	var uuids []string
	for _, d := range ds {
		for _, r := range runs {
			if mw := r.Waiting.Message; mw != nil && (mw.EventType == "*" || mw.EventType == d.Type) {
				uuids = append(uuids, d.UUID)
				break
			}
		}
	}
	srcs, err := w.Store.CardSources(ctx, uuids)
	if err != nil {
		return fmt.Errorf("read the events runs wait for: %w", err)
	}
	for _, r := range runs {
		for _, u := range uuids {
			src, ok := srcs[u]
			if !ok {
				continue
			}
			delivered, err := w.deliver(ctx, r, src)
			if err != nil {
				return err
			}
			if delivered {
				break
			}
		}
	}
	return nil
}

// deliver gives the event to the waiting run when it is the message the run waits for.
func (w *Worker) deliver(ctx context.Context, run store.Run, src store.CardSource) (bool, error) {
	if run.Waiting == nil || run.Waiting.Message == nil {
		return false, nil
	}
	mw := run.Waiting.Message
	r := runner.Receive{Channel: runner.Channel{Source: mw.Source, Address: mw.Channel}, Correlation: mw.Correlation,
		CorrelationLocation: mw.Location, Since: run.Waiting.Since}
	msg, ok := eventMessage(r, src)
	if !ok {
		return false, nil
	}
	raw, err := json.Marshal(msg)
	if err != nil {
		return false, err
	}
	ok, err = w.Store.DeliverMessage(ctx, run.ID, store.Received{Seq: mw.Seq, EventUUID: src.UUID, Message: raw})
	if err != nil {
		w.logger().Warn("could not deliver an event to its waiting run", "run", run.ID, "event", src.UUID, "err", err)
		return false, err
	}
	if ok {
		w.logger().Info("event delivered to a waiting run", "run", run.ID, "event", src.UUID, "step", run.Waiting.StepID)
	}
	return ok, nil
}

// eventMessage is the message a stored event is to receive step r, when it is one r waits for: received
// since r.Since (trama's own clock, on both sides: an event received before the run started is not its
// message), of the channel's type, and correlated.
func eventMessage(r runner.Receive, src store.CardSource) (runner.Message, bool) {
	ev, err := eventstream.Event(src.Payload)
	if err != nil || src.ReceivedAt.Before(r.Since) {
		return runner.Message{}, false
	}
	msg, err := eventstream.MessageOf(r.Channel.Address, src.Payload, okta.DeliveryMeta{EventID: src.EventID,
		EventTime: okta.Time{Time: src.EventTime}, Source: src.HookSource})
	if err != nil || !eventstream.Correlates(r, ev, msg) {
		return runner.Message{}, false
	}
	return msg, true
}

// ReceivedEventTypes lists the Okta event types the triggers' workflows receive in AsyncAPI steps ("*" for
// any type), sorted. The receiver dispatches events of these types even when no trigger fires on them,
// so that the runs waiting for them see them. A workflow that does not load is left out here; its
// trigger reports the error when it fires.
func (w *Worker) ReceivedEventTypes(ctx context.Context) []string {
	var types []string
	for _, t := range w.Config.Triggers {
		v, err := w.current(ctx, t.Run.File)
		if err != nil {
			continue
		}
		b := v.runner.Bundle()
		for _, doc := range b.Documents {
			for _, wf := range doc.Workflows {
				for _, step := range wf.Steps {
					if step.Action != "receive" {
						continue
					}
					if ra, err := b.ResolveAsync(doc, step); err == nil && ra != nil && eventstream.IsOkta(ra.Channel.Address) {
						if et := eventstream.EventType(ra.Channel.Address); !slices.Contains(types, et) {
							types = append(types, et)
						}
					}
				}
			}
		}
	}
	slices.Sort(types)
	return types
}

package worker

import (
	"go.opentelemetry.io/otel/attribute"

	"context"
	"encoding/json"
	"fmt"
	"github.com/trama-dev/trama/tracing"

	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/queue"
	"github.com/trama-dev/trama/store"
)

// Dispatch matches a batch of events against the triggers and returns, for each, one run per trigger it
// fires, for every replay number the dispatch covers, each pinned to its trigger, inputs and workflow
// version. The queue creates them idempotently, so a dispatch repeated after a crash creates nothing
// twice. The events some trigger listens for are read in one query.
func (w *Worker) Dispatch(ctx context.Context, ds []store.Dispatch) []queue.DispatchResult {
	out := make([]queue.DispatchResult, len(ds))
	if err := w.wakeWaiting(ctx, ds); err != nil {
		// Retried as a whole: delivery to a waiting run and the runs a dispatch creates are idempotent.
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	var wanted []string
	for _, d := range ds {
		// Most of an org's events fire nothing; building their card would cost a read and a full
		// decode of the payload for each.
		if w.listens(d.Type) {
			wanted = append(wanted, d.UUID)
		}
	}
	if len(wanted) == 0 {
		return out
	}
	sources, err := w.Store.CardSources(ctx, wanted)
	if err != nil {
		for i, d := range ds {
			if w.listens(d.Type) {
				out[i].Err = err
			}
		}
		return out
	}
	for i, d := range ds {
		if !w.listens(d.Type) {
			continue
		}
		src, ok := sources[d.UUID]
		if !ok {
			out[i].Err = fmt.Errorf("event %s: %w", d.UUID, store.ErrNotFound)
			continue
		}
		out[i].Outcome, out[i].Err = w.dispatchOne(ctx, d, src)
	}
	return out
}

// dispatchOne matches one event.
func (w *Worker) dispatchOne(ctx context.Context, d store.Dispatch, src store.CardSource) (out store.Outcome, err error) {
	ctx, span := tracing.Span(ctx, d.UUID, func() (string, []attribute.KeyValue) {
		return "dispatch " + src.Type, []attribute.KeyValue{attribute.String("okta.event.uuid", d.UUID), attribute.Int("trama.replay.to", d.To)}
	})
	defer func() {
		if span.IsRecording() {
			span.SetAttributes(attribute.Int("trama.runs", len(out.Runs)), attribute.Int("trama.skipped", len(out.Skipped)))
		}
		tracing.End(span, err)
	}()
	card, err := history.CardOf(src)
	if err != nil {
		return store.Outcome{}, fmt.Errorf("event %s: stored payload is not a LogEvent: %w", d.UUID, err)
	}
	fired, skipped, err := w.Matcher.Match(ctx, card, w.env())
	if err != nil {
		return store.Outcome{}, fmt.Errorf("match event %s: %w", d.UUID, err)
	}
	for _, s := range skipped {
		w.logger().Info("trigger skipped", "event", d.UUID, "type", src.Type, "trigger", s.Trigger.Name, "reason", s.Reason, "detail", s.Message)
		out.Skipped = append(out.Skipped, store.Skip{Trigger: s.Trigger.Name, Reason: string(s.Reason), Detail: s.Message})
	}
	for _, f := range fired {
		v, err := w.current(ctx, f.Trigger.Run.File)
		if err != nil {
			return store.Outcome{}, fmt.Errorf("trigger %s: workflow %s: %w", f.Trigger.Name, f.Trigger.Run.File, err)
		}
		p := newPlan(f)
		raw, err := json.Marshal(p)
		if err != nil {
			return store.Outcome{}, fmt.Errorf("trigger %s: plan: %w", f.Trigger.Name, err)
		}
		in, err := json.Marshal(p.maskedInputs())
		if err != nil {
			return store.Outcome{}, fmt.Errorf("trigger %s inputs: %w", f.Trigger.Name, err)
		}
		for replay := d.From; replay <= d.To; replay++ {
			nr := store.NewRun{Trigger: f.Trigger.Name, Replay: replay, WorkflowFile: f.Trigger.Run.File,
				WorkflowID: f.Trigger.Run.Workflow, Inputs: in, Plan: raw, Version: v.digest}
			if c := f.Trigger.Coalesce; c != nil && f.CoalesceKey != "" {
				nr.Coalesce = &store.Coalescing{Key: f.CoalesceKey, Window: c.Window, Keep: c.Keep}
			}
			if c := f.Trigger.Concurrency; c != nil && f.ConcurrencyKey != "" {
				nr.ConcurrencyKey, nr.ConcurrencyLimit = f.ConcurrencyKey, c.Limit
			}
			out.Runs = append(out.Runs, nr)
		}
	}
	return out, nil
}

// dispatched is told about the runs a dispatch created.
func (w *Worker) dispatched(d store.Dispatch, created []store.Run) {
	for _, r := range created {
		w.Metrics.Run(r.Trigger, "created")
		w.logger().Info("run created", "run", r.ID, "event", d.UUID, "trigger", r.Trigger, "workflow", r.WorkflowID)
	}
}

// listens reports whether some trigger listens to eventType.
func (w *Worker) listens(eventType string) bool {
	w.typesOnce.Do(func() {
		w.types = make(map[string]bool)
		for _, t := range w.Matcher.EventTypes() {
			w.types[t] = true
		}
	})
	return w.types[eventType]
}

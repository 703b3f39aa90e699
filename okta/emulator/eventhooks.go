package emulator

import (
	"io"
	"net/http"

	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/okta/eventhook"
)

// The event-hook handlers decode and route; the eventhook package owns the hooks, their verification
// and deliveries, and raises the event_hook.* System Log events. Those raised during an API call are
// held until the handler completes them with the call's actor, client and request id (claimHookEvents);
// failed deliveries are logged as background jobs.

func (e *Emulator) readHookInput(rq *request) (eventhook.Input, error) {
	data, err := io.ReadAll(io.LimitReader(rq.r.Body, 1<<20))
	if err != nil {
		return eventhook.Input{}, errMalformed()
	}
	return eventhook.DecodeInput(data)
}

// hookEmit receives the registry's events. event_hook.delivery comes from a delivery goroutine and is
// logged at once; every other type is raised on the goroutine of an API call and waits to be claimed.
func (e *Emulator) hookEmit(ev okta.LogEvent) {
	if ev.EventType == "event_hook.delivery" {
		e.emitBackground(ev)
		return
	}
	e.hookMu.Lock()
	e.hookPending = append(e.hookPending, ev)
	e.hookMu.Unlock()
}

// claimHookEvents logs the pending events about hook id as caused by rq.
func (e *Emulator) claimHookEvents(rq *request, id string) {
	e.hookMu.Lock()
	var mine []okta.LogEvent
	kept := e.hookPending[:0]
	for _, ev := range e.hookPending {
		if len(ev.Target) > 0 && ev.Target[0].ID == id {
			mine = append(mine, ev)
		} else {
			kept = append(kept, ev)
		}
	}
	e.hookPending = kept
	e.hookMu.Unlock()
	if len(mine) == 0 {
		return
	}
	e.mu.Lock()
	for i, ev := range mine {
		full := e.event(rq, ev.EventType, ev.DisplayMessage, "", ev.Target...)
		full.Outcome = ev.Outcome
		full.Severity = ev.Severity
		if ev.DebugContext != nil {
			for k, v := range ev.DebugContext.DebugData {
				full.DebugContext.DebugData[k] = v
			}
		}
		mine[i] = full
	}
	e.mu.Unlock()
	e.emit(mine...)
}

func (e *Emulator) listEventHooks(rq *request) (int, any, error) {
	hooks := e.hooks.List()
	out := make([]map[string]any, 0, len(hooks))
	for _, h := range hooks {
		out = append(out, e.renderHook(h))
	}
	return http.StatusOK, out, nil
}

func (e *Emulator) createEventHook(rq *request) (int, any, error) {
	in, err := e.readHookInput(rq)
	if err != nil {
		return 0, nil, err
	}
	createdBy, _ := e.creator(rq)
	h, err := e.hooks.Create(rq.r.Context(), in, createdBy)
	if err != nil {
		return 0, nil, err
	}
	e.claimHookEvents(rq, h.ID)
	return http.StatusOK, e.renderHook(h), nil
}

func (e *Emulator) getEventHook(rq *request) (int, any, error) {
	h, err := e.hooks.Get(rq.r.PathValue("hookId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderHook(h), nil
}

func (e *Emulator) replaceEventHook(rq *request) (int, any, error) {
	defer e.claimHookEvents(rq, rq.r.PathValue("hookId"))
	in, err := e.readHookInput(rq)
	if err != nil {
		return 0, nil, err
	}
	h, err := e.hooks.Replace(rq.r.Context(), rq.r.PathValue("hookId"), in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderHook(h), nil
}

func (e *Emulator) deleteEventHook(rq *request) (int, any, error) {
	defer e.claimHookEvents(rq, rq.r.PathValue("hookId"))
	if err := e.hooks.Delete(rq.r.PathValue("hookId")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (e *Emulator) activateEventHook(rq *request) (int, any, error) {
	defer e.claimHookEvents(rq, rq.r.PathValue("hookId"))
	h, err := e.hooks.Activate(rq.r.PathValue("hookId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderHook(h), nil
}

func (e *Emulator) deactivateEventHook(rq *request) (int, any, error) {
	defer e.claimHookEvents(rq, rq.r.PathValue("hookId"))
	h, err := e.hooks.Deactivate(rq.r.PathValue("hookId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderHook(h), nil
}

// verifyEventHook runs the one-time verification GET. The registry logs event_hook.verified either way.
func (e *Emulator) verifyEventHook(rq *request) (int, any, error) {
	defer e.claimHookEvents(rq, rq.r.PathValue("hookId"))
	h, err := e.hooks.Verify(rq.r.Context(), rq.r.PathValue("hookId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderHook(h), nil
}

// renderHook is the hook's EventHook object. A hook without an auth scheme omits authScheme rather than
// sending null: the description declares it non-nullable and okta.md records no null from a real org.
func (e *Emulator) renderHook(h eventhook.Hook) map[string]any {
	out := h.Render(e.opts.BaseURL)
	if ch, ok := out["channel"].(map[string]any); ok {
		if cfg, ok := ch["config"].(map[string]any); ok {
			if v, present := cfg["authScheme"]; present && v == nil {
				delete(cfg, "authScheme")
			}
		}
	}
	return out
}

package console

import (
	"net/http"

	"github.com/trama-dev/trama/history"
)

// eventView is one event's page: its card, the runs it started, the triggers it skipped, the event as
// Okta sent it, and who replayed it.
type eventView struct {
	Event history.Event
	Card  []history.CardRow
	Title string
}

func (c *Console) event(w http.ResponseWriter, r *http.Request, s session) {
	c.showEvent(w, r, s, http.StatusOK, notices[r.URL.Query().Get("done")], "")
}

func (c *Console) showEvent(w http.ResponseWriter, r *http.Request, s session, status int, notice, errMsg string) {
	ctx, cancel := c.ctx(r)
	defer cancel()
	ev, err := history.ShowEvent(ctx, c.st, r.PathValue("uuid"))
	if err != nil {
		st, msg := storeError(err)
		c.fail(w, r, &s, st, msg)
		return
	}
	body := eventView{Event: ev, Title: ev.Type}
	if ev.Card != nil {
		body.Card = history.CardRows(*ev.Card)
		if ev.Type == "user.mfa.factor.activate" {
			body.Title = "User MFA Factor Activated"
		}
	}
	v := view{Title: "Event " + ev.UUID, Nav: "events", Session: &s, Notice: notice, Error: errMsg, Body: body,
		Live: liveURL("event", map[string][]string{"uuid": {ev.UUID}}, eventVersion(ev))}
	c.render(w, r, status, "event", v)
}

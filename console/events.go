package console

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/store"
)

// eventsView is the events list, or, with outcome=quarantined, the events kept apart because they
// could not be stored as events.
type eventsView struct {
	Q        url.Values
	Outcomes []string
	// Types are the event types the triggers listen to, offered in the type field.
	Types       []string
	Events      []history.Event
	Quarantined []quarantinedView
	Next, First string
	Filtered    bool
}

type quarantinedView struct {
	Delivery   string
	Hook       string
	ReceivedAt string
	history.QuarantinedEvent
}

// quarantinedPage is how many deliveries one page of quarantined events reads: each is one more query.
const quarantinedPage = 20

func (c *Console) events(w http.ResponseWriter, r *http.Request, s session) {
	q := r.URL.Query()
	v := view{Title: "Events", Nav: "events", Session: &s}
	body := eventsView{Q: q, Outcomes: []string{"ran", "skipped", "duplicate", "pending", "none", "quarantined"}, Types: c.eventTypes()}
	ctx, cancel := c.ctx(r)
	defer cancel()
	if q.Get("outcome") == "quarantined" {
		c.quarantined(w, r, v, body)
		return
	}
	f, err := history.ParseEventFilter(q)
	if err != nil {
		v.Error, v.Body = err.Error(), body
		c.render(w, r, http.StatusBadRequest, "events", v)
		return
	}
	events, next, err := c.st.ListEvents(ctx, f)
	if err != nil {
		status, msg := storeError(err)
		v.Error, v.Body = msg, body
		c.render(w, r, status, "events", v)
		return
	}
	body.Events = history.NewPage(events, next, history.ListedEvent).Items
	if next != "" {
		body.Next = withQuery(r.URL.Path, q, "after", next)
	}
	if f.After != "" {
		body.First = withQuery(r.URL.Path, q, "after", "")
	} else {
		v.Live = liveURL("events", q, eventsVersion(events))
	}
	body.Filtered = f.Type != "" || f.User != "" || f.Outcome != "" || f.Source != "" || !f.Since.IsZero() || !f.Until.IsZero()
	v.Body = body
	c.render(w, r, http.StatusOK, "events", v)
}

func (c *Console) eventTypes() []string {
	var out []string
	for _, t := range c.cfg.Triggers {
		for _, on := range t.On {
			if !slices.Contains(out, on) {
				out = append(out, on)
			}
		}
	}
	return out
}

// quarantined lists the events of deliveries that had to be kept apart, with the reasons.
func (c *Console) quarantined(w http.ResponseWriter, r *http.Request, v view, body eventsView) {
	ctx, cancel := c.ctx(r)
	defer cancel()
	q := r.URL.Query()
	body.Filtered = true
	f := store.DeliveryFilter{Quarantined: true, Page: store.Page{Limit: quarantinedPage, After: q.Get("after")}}
	ds, next, err := c.st.ListDeliveries(ctx, f)
	if err == nil {
		for _, d := range ds {
			full, gerr := c.st.GetDelivery(ctx, d.ID)
			if gerr != nil {
				err = gerr
				break
			}
			for _, qe := range history.FromDelivery(full).QuarantinedEvents {
				body.Quarantined = append(body.Quarantined, quarantinedView{Delivery: d.ID, Hook: d.Hook,
					ReceivedAt: showTime(d.ReceivedAt), QuarantinedEvent: qe})
			}
		}
	}
	if err != nil {
		status, msg := storeError(err)
		v.Error, v.Body = msg, body
		c.render(w, r, status, "events", v)
		return
	}
	if next != "" {
		body.Next = withQuery(r.URL.Path, q, "after", next)
	}
	if f.After != "" {
		body.First = withQuery(r.URL.Path, q, "after", "")
	}
	v.Body = body
	c.render(w, r, http.StatusOK, "events", v)
}

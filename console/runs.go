package console

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/store"
)

// runsView is the runs list: the filter form, one page of runs and the links to the next.
type runsView struct {
	Q         url.Values
	Statuses  []string
	Triggers  []string
	Workflows []string
	Runs      []listedRun
	// Next is the URL of the next (older) page; First the URL of the first when this is not it.
	Next, First string
	Filtered    bool
}

// listedRun is a run in a list, with the Okta user its event is about.
type listedRun struct {
	history.Run
	User store.EventUser
}

func (c *Console) runs(w http.ResponseWriter, r *http.Request, s session) {
	q := r.URL.Query()
	v := view{Title: "Runs", Nav: "runs", Session: &s}
	body := runsView{Q: q, Statuses: statuses(), Triggers: c.triggerNames(), Workflows: c.workflowIDs()}
	f, err := history.ParseRunFilter(q)
	if err != nil {
		v.Error = err.Error()
		v.Body = body
		c.render(w, r, http.StatusBadRequest, "runs", v)
		return
	}
	ctx, cancel := c.ctx(r)
	defer cancel()
	runs, next, err := c.st.ListRuns(ctx, f)
	if err != nil {
		status, msg := storeError(err)
		v.Error, v.Body = msg, body
		c.render(w, r, status, "runs", v)
		return
	}
	users := c.users(r, runs)
	for _, run := range runs {
		body.Runs = append(body.Runs, listedRun{Run: history.ListedRun(run), User: users[run.EventUUID]})
	}
	if next != "" {
		body.Next = withQuery(r.URL.Path, q, "after", next)
	}
	if f.After != "" {
		body.First = withQuery(r.URL.Path, q, "after", "")
	} else {
		v.Live = liveURL("runs", q, runsVersion(runs))
	}
	body.Filtered = f.Status != "" || f.Trigger != "" || f.Workflow != "" || f.User != "" || f.EventUUID != "" ||
		!f.Since.IsZero() || !f.Until.IsZero()
	v.Body = body
	c.render(w, r, http.StatusOK, "runs", v)
}

// users reads the Okta user of each run's event, in one indexed query for the page (the events'
// payloads stay unread). A page whose users cannot be read shows no users rather than no runs.
func (c *Console) users(r *http.Request, runs []store.Run) map[string]store.EventUser {
	var uuids []string
	for _, run := range runs {
		if !slices.Contains(uuids, run.EventUUID) {
			uuids = append(uuids, run.EventUUID)
		}
	}
	ctx, cancel := c.ctx(r)
	defer cancel()
	users, err := c.st.EventUsers(ctx, uuids)
	if err != nil {
		c.logger.Warn("console: read the users of a runs page", "error", err)
		return nil
	}
	return users
}

func statuses() []string {
	out := make([]string, len(store.RunStatuses))
	for i, s := range store.RunStatuses {
		out[i] = string(s)
	}
	return out
}

func (c *Console) triggerNames() []string {
	var out []string
	for _, t := range c.cfg.Triggers {
		out = append(out, t.Name)
	}
	return out
}

func (c *Console) workflowIDs() []string {
	var out []string
	for _, t := range c.cfg.Triggers {
		if !slices.Contains(out, t.Run.Workflow) {
			out = append(out, t.Run.Workflow)
		}
	}
	return out
}

// withQuery is path with q, key set to value (removed when value is "").
func withQuery(path string, q url.Values, key, value string) string {
	n := url.Values{}
	for k, vs := range q {
		if k != key && k != "v" {
			n[k] = vs
		}
	}
	if value != "" {
		n.Set(key, value)
	}
	if len(n) == 0 {
		return path
	}
	return path + "?" + n.Encode()
}

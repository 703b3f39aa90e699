package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/trama-dev/trama/bench/latency"
	"github.com/trama-dev/trama/store"
)

// flowsView lists each trigger as a flow: what fires it, what it runs, and how its recent runs went.
type flowsView struct {
	Flows []flowView
	// Recent is how many of each flow's latest runs the figures are over.
	Recent int
}

type flowView struct {
	Name, On, When, File, Workflow, Connection string
	Runs                                       string // URL of the flow's runs
	Counts                                     []countView
	Total, Finished, Failed                    int
	FailureRate                                string
	P50, P99                                   string
}

type countView struct {
	Status string
	N      int
	URL    string
}

// flowRecent is how many recent runs a flow's figures read: one indexed page per trigger, so the page
// costs the same whatever the size of the history.
const flowRecent = 200

func (c *Console) flows(w http.ResponseWriter, r *http.Request, s session) {
	ctx, cancel := c.ctx(r)
	defer cancel()
	body := flowsView{Recent: flowRecent}
	for _, t := range c.cfg.Triggers {
		fv := flowView{Name: t.Name, On: strings.Join(t.On, ", "), File: t.Run.File, Workflow: t.Run.Workflow,
			Connection: t.Connection, Runs: Prefix + "runs?" + url.Values{"trigger": {t.Name}}.Encode()}
		if t.When != nil {
			fv.When = t.When.String()
		}
		runs, _, err := c.st.ListRuns(ctx, store.RunFilter{Trigger: t.Name, Page: store.Page{Limit: flowRecent}})
		if err != nil {
			status, msg := storeError(err)
			c.fail(w, r, &s, status, msg)
			return
		}
		byStatus := map[store.RunStatus]int{}
		var durations []time.Duration
		for _, run := range runs {
			byStatus[run.Status]++
			if run.Status.Finished() && !run.StartedAt.IsZero() && !run.FinishedAt.IsZero() {
				durations = append(durations, run.FinishedAt.Sub(run.StartedAt))
			}
		}
		for _, st := range store.RunStatuses {
			if n := byStatus[st]; n > 0 {
				fv.Counts = append(fv.Counts, countView{Status: string(st), N: n,
					URL: Prefix + "runs?" + url.Values{"trigger": {t.Name}, "status": {string(st)}}.Encode()})
			}
		}
		fv.Total = len(runs)
		fv.Failed = byStatus[store.RunFailed]
		fv.Finished = fv.Failed + byStatus[store.RunSucceeded]
		if fv.Finished > 0 {
			fv.FailureRate = percent(fv.Failed, fv.Finished)
		}
		if len(durations) > 0 {
			sum := latency.Summarize(durations)
			fv.P50, fv.P99 = showMs(sum.P50), showMs(sum.P99)
		}
		body.Flows = append(body.Flows, fv)
	}
	c.render(w, r, http.StatusOK, "flows", view{Title: "Flows", Nav: "flows", Session: &s, Body: body})
}

// percent shows n of of as a percentage to one decimal, without a trailing ".0".
func percent(n, of int) string {
	p := float64(n) * 100 / float64(of)
	switch {
	case p == 0:
		return "0%"
	case p < 1:
		return "<1%"
	}
	return strings.TrimSuffix(strconv.FormatFloat(p, 'f', 1, 64), ".0") + "%"
}

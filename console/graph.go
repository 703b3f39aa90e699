package console

import (
	"fmt"
	"strings"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/history"
)

// The workflow graph of a run page: the workflow's steps top to bottom in document order, the implicit
// "next" edges between them, success gotos routed on the right, failure gotos and retries on the left,
// and the path the run took drawn over it. It is plain SVG made here, so the page needs no script and
// no library to show it; an ordered list says the same in words for screen readers and small screens.

const (
	nodeW    = 250
	nodeH    = 46
	rowGap   = 30
	laneStep = 14
	margin   = 16
	maxLabel = 34
)

type graph struct {
	Width, Height int
	Nodes         []gnode
	Edges         []gedge
	// Items describe each step and where it leads, in order.
	Items []gitem
}

type gnode struct {
	X, Y, W, H   int
	TX, TY, SubY int // text positions
	Label, Sub   string
	Class        string
	Title        string
}

type gedge struct {
	D     string
	Class string
	Title string
}

type gitem struct {
	StepID, Operation string
	// Ran says what happened to the step in this run ("" when it did not run).
	Ran   string
	Class string
	Leads []string
}

// edgeKey identifies an edge so the run's decisions can mark the ones taken: kind is next, goto, end,
// fail or retry; failure edges are apart from success ones.
type edgeKey struct {
	from      int
	kind      string
	to        string
	onFailure bool
}

// buildGraph draws workflow wf of doc with the path of steps (a run's executed steps, in order). It
// returns nil when the document has no such workflow.
func buildGraph(doc *arazzo.Document, wfID string, steps []history.Step, waitingStep, doubtStep string) *graph {
	var wf *arazzo.Workflow
	for _, w := range doc.Workflows {
		if w.WorkflowID == wfID {
			wf = w
		}
	}
	if wf == nil {
		return nil
	}
	n := len(wf.Steps)
	index := map[string]int{}
	for i, s := range wf.Steps {
		index[s.StepID] = i
	}

	// What the run did at each step: its executions (latest run attempt of each seq) and decisions.
	taken := map[edgeKey]bool{}
	ran := make([][]history.Step, n)
	latest := map[int]history.Step{}
	for _, s := range steps {
		if s.WorkflowID != "" {
			continue // a dependency's or sub-workflow's step
		}
		if prev, ok := latest[s.Seq]; !ok || s.RunAttempt >= prev.RunAttempt {
			latest[s.Seq] = s
		}
	}
	for seq := 1; len(latest) > 0 && seq <= maxSeq(latest); seq++ {
		s, ok := latest[seq]
		if !ok {
			continue
		}
		i, ok := index[s.StepID]
		if !ok {
			continue
		}
		ran[i] = append(ran[i], s)
		if d := s.Decision; d != nil {
			switch d.Kind {
			case "next":
				taken[edgeKey{from: i, kind: "next"}] = true
			case "goto":
				taken[edgeKey{from: i, kind: "goto", to: d.StepID + d.WorkflowID, onFailure: d.OnFailure}] = true
			case "end":
				taken[edgeKey{from: i, kind: "end", onFailure: d.OnFailure}] = true
			case "fail":
				if d.Action != "" {
					// A failure action of type end ended the run: its edge is the one taken.
					taken[edgeKey{from: i, kind: "end", onFailure: true, to: d.Action}] = true
				} else {
					taken[edgeKey{from: i, kind: "fail", onFailure: true}] = true
				}
			}
		}
		if s.Attempts > 1 {
			taken[edgeKey{from: i, kind: "retry", onFailure: true}] = true
		}
	}

	g := &graph{}
	type route struct {
		key   edgeKey
		to    int // step index, n for end, n+1 for fail, -1 for another workflow
		label string
	}
	var right, left []route
	items := make([]gitem, n)
	usesFail := false
	for i, s := range wf.Steps {
		item := gitem{StepID: s.StepID, Operation: operation(s)}
		success, _ := doc.StepSuccessActions(wf, s)
		falls := true
		for _, a := range success {
			switch a.Type {
			case "goto":
				to := -1
				if j, ok := index[a.StepID]; ok && a.StepID != "" {
					to = j
				}
				right = append(right, route{edgeKey{i, "goto", a.StepID + a.WorkflowID, false}, to, actionText(a)})
				item.Leads = append(item.Leads, "on success "+actionText(a))
			case "end":
				right = append(right, route{edgeKey{i, "end", "", false}, n, actionText(a)})
				item.Leads = append(item.Leads, "on success "+actionText(a))
			default:
				continue
			}
			if len(a.Criteria) == 0 {
				falls = false
				break
			}
		}
		if falls {
			next := "the next step"
			if i == n-1 {
				next = "the end"
			}
			item.Leads = append(item.Leads, "otherwise on success: "+next)
		}
		failure, _ := doc.StepFailureActions(wf, s)
		for _, a := range failure {
			switch a.Type {
			case "goto":
				to := -1
				if j, ok := index[a.StepID]; ok && a.StepID != "" {
					to = j
				}
				left = append(left, route{edgeKey{i, "goto", a.StepID + a.WorkflowID, true}, to, actionText(a)})
			case "end":
				left = append(left, route{edgeKey{i, "end", a.Name, true}, n + 1, actionText(a)})
				usesFail = true
			case "retry":
				left = append(left, route{edgeKey{i, "retry", "", true}, i, actionText(a)})
			default:
				continue
			}
			item.Leads = append(item.Leads, "on failure "+actionText(a))
		}
		item.Leads = append(item.Leads, "otherwise on failure: the run fails")
		if taken[edgeKey{from: i, kind: "fail", onFailure: true}] {
			left = append(left, route{edgeKey{i, "fail", "", true}, n + 1, "the run fails"})
			usesFail = true
		}
		item.Ran, item.Class = ranText(ran[i], s.StepID == waitingStep, s.StepID == doubtStep)
		items[i] = item
	}
	g.Items = items

	leftW := margin + len(left)*laneStep
	x := leftW + margin
	rows := n + 1 // the steps, then the end (and fail) terminals
	g.Width = x + nodeW + margin + len(right)*laneStep + margin
	g.Height = margin + rows*(nodeH+rowGap) + margin
	top := func(i int) int { return margin + i*(nodeH+rowGap) }
	for i, s := range wf.Steps {
		label, sub := clipText(s.StepID), clipText(operation(s))
		_, class := ranText(ran[i], s.StepID == waitingStep, s.StepID == doubtStep)
		g.Nodes = append(g.Nodes, gnode{X: x, Y: top(i), W: nodeW, H: nodeH, TX: x + 12, TY: top(i) + 19, SubY: top(i) + 36,
			Label: label, Sub: sub, Class: "g-node " + class, Title: s.StepID + ": " + items[i].Ran})
	}
	endW := nodeW/2 - 8
	endX, failX := x, x+nodeW/2+8
	g.Nodes = append(g.Nodes, gnode{X: endX, Y: top(n), W: endW, H: nodeH, TX: endX + 12, TY: top(n) + 28, Label: "end", Class: "g-node g-end", Title: "the workflow ends"})
	if usesFail {
		g.Nodes = append(g.Nodes, gnode{X: failX, Y: top(n), W: endW, H: nodeH, TX: failX + 12, TY: top(n) + 28, Label: "fail", Class: "g-node g-fail", Title: "the run fails"})
	}
	cls := func(k edgeKey, base string) string {
		if taken[k] {
			return base + " taken"
		}
		return base
	}
	// The implicit next edges, straight down.
	for i := 0; i < n; i++ {
		k := edgeKey{from: i, kind: "next"}
		y1 := top(i) + nodeH
		g.Edges = append(g.Edges, gedge{D: fmt.Sprintf("M%d %d V%d", x+nodeW/2-40, y1, y1+rowGap-2), Class: cls(k, "g-edge"),
			Title: wf.Steps[i].StepID + " → next"})
	}
	targetY := func(to int) (int, int) { // the point an edge arrives at, and the x of that side
		switch {
		case to == n:
			return top(n) + nodeH/2, endX + endW
		case to == n+1:
			return top(n) + nodeH/2, failX + endW
		case to < 0:
			return top(n) + nodeH/2, endX + endW // another workflow: drawn to the bottom
		default:
			return top(to) + nodeH/2, x + nodeW
		}
	}
	for lane, rt := range right {
		y1 := top(rt.key.from) + nodeH/2 - 6
		y2, _ := targetY(rt.to)
		lx := x + nodeW + margin + lane*laneStep
		end := x + nodeW
		if rt.to == n || rt.to < 0 {
			end = endX + endW
			y2 = top(n) + nodeH/2 - 6 + lane%3*4
		}
		if rt.to == n+1 {
			end = failX + endW
		}
		g.Edges = append(g.Edges, gedge{D: fmt.Sprintf("M%d %d H%d V%d H%d", x+nodeW, y1, lx, y2+2, end+2),
			Class: cls(rt.key, "g-edge g-goto"), Title: wf.Steps[rt.key.from].StepID + " on success " + rt.label})
	}
	for lane, rt := range left {
		y1 := top(rt.key.from) + nodeH/2 + 6
		lx := leftW - lane*laneStep
		var d string
		switch {
		case rt.key.kind == "retry":
			d = fmt.Sprintf("M%d %d H%d V%d H%d", x, y1, lx, y1-14, x-2)
		case rt.to == n+1:
			d = fmt.Sprintf("M%d %d H%d V%d H%d", x, y1, lx, top(n)+nodeH+8, failX+endW/2)
			d += fmt.Sprintf(" V%d", top(n)+nodeH+2)
		case rt.to < 0:
			d = fmt.Sprintf("M%d %d H%d V%d H%d", x, y1, lx, top(n)+nodeH/2+6, endX-2)
		default:
			d = fmt.Sprintf("M%d %d H%d V%d H%d", x, y1, lx, top(rt.to)+nodeH/2+6, x-2)
		}
		g.Edges = append(g.Edges, gedge{D: d, Class: cls(rt.key, "g-edge g-failure"),
			Title: wf.Steps[rt.key.from].StepID + " on failure " + rt.label})
	}
	return g
}

func maxSeq(m map[int]history.Step) int {
	hi := 0
	for k := range m {
		hi = max(hi, k)
	}
	return hi
}

// ranText says what became of a step in the run, and the class that colours it.
func ranText(execs []history.Step, waiting, doubt bool) (string, string) {
	switch {
	case doubt:
		return "its request is in doubt", "attention"
	case waiting && len(execs) == 0:
		return "waits for an input", "attention"
	case len(execs) == 0:
		return "did not run", "idle"
	}
	last := execs[len(execs)-1]
	what := last.Status
	if len(execs) > 1 {
		what = fmt.Sprintf("ran %d times, last %s", len(execs), last.Status)
	}
	if last.Attempts > 1 {
		what += fmt.Sprintf(" after %d attempts", last.Attempts)
	}
	if d := last.Decision; d != nil {
		switch d.Kind {
		case "goto":
			what += ", then went to " + d.StepID + d.WorkflowID
		case "end":
			what += ", then ended the workflow"
		case "fail":
			what += ", and the run failed"
		}
	}
	return what, statusClass(last.Status)
}

func operation(s *arazzo.Step) string { return s.Target() }

// actionText says what an action does, with its criteria.
func actionText(a *arazzo.Action) string {
	var what string
	switch a.Type {
	case "goto":
		what = "go to " + a.StepID + a.WorkflowID
	case "end":
		what = "end"
	case "retry":
		limit := 1
		if a.RetryLimit != nil {
			limit = *a.RetryLimit
		}
		what = fmt.Sprintf("retry up to %d times", limit)
		if a.StepID != "" || a.WorkflowID != "" {
			what += ", then go to " + a.StepID + a.WorkflowID
		}
	}
	if a.Name != "" {
		what = a.Name + ": " + what
	}
	var conds []string
	for _, c := range a.Criteria {
		conds = append(conds, c.Condition)
	}
	if len(conds) > 0 {
		what += " when " + strings.Join(conds, " and ")
	}
	return what
}

func clipText(s string) string {
	r := []rune(s)
	if len(r) > maxLabel {
		return string(r[:maxLabel-1]) + "…"
	}
	return s
}

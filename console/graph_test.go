package console

import (
	"strings"
	"testing"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/runner"
)

const graphDoc = `arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions: [{name: api, url: ./api.yaml, type: openapi}]
workflows:
  - workflowId: wf
    steps:
      - stepId: first
        operationId: getThing
        onSuccess:
          - {name: skipAhead, type: goto, stepId: third, criteria: [{condition: $statusCode == 200}]}
        onFailure:
          - {name: again, type: retry, retryLimit: 3}
      - stepId: second
        operationId: getThing
      - stepId: third
        operationId: getThing
        onFailure:
          - {name: giveUp, type: end}
`

// TestGraphPath: the graph marks the edges the run's decisions took — a goto, the implicit next, the
// end of a failure action — and the steps by outcome, and says in words what each step did.
func TestGraphPath(t *testing.T) {
	doc, _, err := arazzo.Parse([]byte(graphDoc), "wf.arazzo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	steps := []history.Step{
		{Seq: 1, RunAttempt: 1, StepID: "first", Status: "succeeded", Attempts: 2, Decision: &runner.Decision{Kind: "goto", StepID: "third"}},
		{Seq: 2, RunAttempt: 1, StepID: "third", Status: "failed", Decision: &runner.Decision{Kind: "fail", Action: "giveUp", OnFailure: true}},
		{Seq: 3, RunAttempt: 1, StepID: "first", Status: "succeeded", WorkflowID: "a-dependency"},
	}
	g := buildGraph(doc, "wf", steps, "", "")
	if g == nil {
		t.Fatal("no graph")
	}
	var taken []string
	for _, e := range g.Edges {
		if strings.HasSuffix(e.Class, " taken") {
			taken = append(taken, e.Title)
		}
	}
	want := []string{"first on success skipAhead: go to third when $statusCode == 200", "first on failure again: retry up to 3 times",
		"third on failure giveUp: end"}
	if strings.Join(taken, "|") != strings.Join(want, "|") {
		t.Errorf("taken edges:\n%s\nwant:\n%s", strings.Join(taken, "\n"), strings.Join(want, "\n"))
	}
	classes := map[string]string{}
	for _, n := range g.Nodes {
		classes[n.Label] = n.Class
	}
	if classes["first"] != "g-node ok" || classes["second"] != "g-node idle" || classes["third"] != "g-node bad" || classes["fail"] != "g-node g-fail" {
		t.Errorf("node classes %v", classes)
	}
	if g.Items[0].Ran != "succeeded after 2 attempts, then went to third" || g.Items[1].Ran != "did not run" || g.Items[2].Ran != "failed, and the run failed" {
		t.Errorf("items %+v", g.Items)
	}
	if buildGraph(doc, "no-such-workflow", steps, "", "") != nil {
		t.Error("a graph for a workflow the document does not have")
	}
}

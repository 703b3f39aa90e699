package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/secret"
)

func loadFlows(t testing.TB) *arazzo.Bundle {
	t.Helper()
	b, err := (&arazzo.Loader{}).Load(context.Background(), "testdata/flows.arazzo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range b.Validate(arazzo.ValidateOptions{}) {
		if d.Severity == arazzo.Error {
			t.Fatalf("testdata has a validation error: %s", d)
		}
	}
	return b
}

// sleeps records the delays the runner asked for instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func run(t *testing.T, api *testAPI, workflow string, inputs map[string]any, mod func(*runner.Options)) *runner.Result {
	t.Helper()
	opts := runner.Options{Servers: map[string]string{"api": api.srv.URL + "/v1"}}
	if mod != nil {
		mod(&opts)
	}
	res, err := runner.New(loadFlows(t), opts).Run(context.Background(), workflow, inputs)
	if err != nil {
		t.Fatalf("Run(%s): %v", workflow, err)
	}
	return res
}

func wantSucceeded(t *testing.T, res *runner.Result) {
	t.Helper()
	if res.Status != runner.StatusSucceeded {
		b, _ := json.MarshalIndent(res, "", "  ")
		t.Fatalf("workflow %s: status %s, want succeeded\n%s", res.WorkflowID, res.Status, b)
	}
}

func stepIDs(res *runner.Result) string {
	var ids []string
	for _, s := range res.Steps {
		ids = append(ids, s.StepID)
	}
	return strings.Join(ids, ",")
}

func TestRunCRUDCriteriaAndReplacements(t *testing.T) {
	api := newTestAPI(t)
	res := run(t, api, "crud", map[string]any{"name": "Widget", "size": json.Number("5")}, nil)
	wantSucceeded(t, res)
	if got := stepIDs(res); got != "create,read,report" {
		t.Errorf("steps = %s", got)
	}
	if res.Outputs["id"] != "item-1" || res.Outputs["status"] != "ACTIVE" {
		t.Errorf("outputs = %v", res.Outputs)
	}
	echo, _ := res.Outputs["echo"].(map[string]any)
	meta, _ := echo["meta"].(map[string]any)
	if meta["owner"] != "owner-Widget" {
		t.Errorf("replacement /meta/owner: got %v", echo)
	}
	if tags, _ := echo["tags"].([]any); len(tags) != 3 || tags[2] != "c" {
		t.Errorf("replacement /tags/- should append: got %v", echo["tags"])
	}
	if n, ok := echo["size"].(json.Number); !ok || n.String() != "5" {
		t.Errorf("a whole-value expression keeps its JSON type: size = %#v", echo["size"])
	}
	if !strings.HasSuffix(res.Outputs["readURL"].(string), "/v1/items/item-1?fields=name,status") {
		t.Errorf("query form explode=false: url = %v", res.Outputs["readURL"])
	}
	for _, s := range res.Steps {
		if s.Request == nil || s.Response == nil || s.Response.StatusCode != 200 || s.Attempts != 1 {
			t.Errorf("step %s: request %+v response %+v attempts %d", s.StepID, s.Request, s.Response, s.Attempts)
		}
	}
}

func TestRetryHonoursServerRetryAfter(t *testing.T) {
	api := newTestAPI(t)
	api.flakyFails, api.flakyHeader = 2, "0"
	var sl sleeps
	res := run(t, api, "retrying", nil, func(o *runner.Options) { o.Sleep = sl.sleep })
	wantSucceeded(t, res)
	if len(res.Steps) != 1 || res.Steps[0].Attempts != 3 {
		t.Fatalf("want one step with 3 attempts, got %+v", res.Steps)
	}
	if len(sl.d) != 2 || sl.d[0] != 0 || sl.d[1] != 0 {
		t.Errorf("Retry-After: 0 must overrule retryAfter: 5; slept %v", sl.d)
	}
	if got := res.Outputs; len(got) != 0 {
		t.Errorf("workflow without outputs: %v", got)
	}
}

func TestRetryUsesRetryAfterWithoutServerHint(t *testing.T) {
	api := newTestAPI(t)
	api.flakyFails = 1
	var sl sleeps
	res := run(t, api, "retrying", nil, func(o *runner.Options) { o.Sleep = sl.sleep })
	wantSucceeded(t, res)
	if len(sl.d) != 1 || sl.d[0] != 5*time.Second {
		t.Errorf("slept %v, want [5s]", sl.d)
	}
}

func TestExhaustedRetryFallsThroughToNextFailureAction(t *testing.T) {
	api := newTestAPI(t)
	api.flakyFails = 100
	var sl sleeps
	res := run(t, api, "exhausted", nil, func(o *runner.Options) { o.Sleep = sl.sleep })
	wantSucceeded(t, res)
	if got := stepIDs(res); got != "flaky,fallback" {
		t.Fatalf("steps = %s, want flaky,fallback (retry once, then goto)", got)
	}
	if res.Steps[0].Attempts != 2 || res.Steps[0].Status != runner.StatusFailed {
		t.Errorf("flaky: %+v", res.Steps[0])
	}
	if len(sl.d) != 1 || sl.d[0] != 500*time.Millisecond {
		t.Errorf("retryLimit defaults to 1 and retryAfter is decimal seconds: slept %v", sl.d)
	}
	if api.count("POST /v1/counter") != 0 {
		t.Error("goto skipped the step in between, which ran anyway")
	}
}

func TestGotoLoopEndsOnCondition(t *testing.T) {
	api := newTestAPI(t)
	res := run(t, api, "polling", nil, nil)
	wantSucceeded(t, res)
	if got := stepIDs(res); got != "bump,bump,bump" {
		t.Errorf("steps = %s", got)
	}
	if n, _ := res.Outputs["n"].(json.Number); n.String() != "3" {
		t.Errorf("n = %v", res.Outputs["n"])
	}
	if api.count("GET /v1/flaky") != 0 {
		t.Error("end action did not end the workflow")
	}
}

func TestMaxStepsStopsLoops(t *testing.T) {
	api := newTestAPI(t)
	res := run(t, api, "polling", nil, func(o *runner.Options) { o.MaxSteps = 2 })
	if res.Status != runner.StatusFailed || res.Error == nil || !strings.Contains(res.Error.Message, "limit of 2 step executions") {
		t.Fatalf("want a failure naming the limit, got %+v", res.Error)
	}
}

func TestSubWorkflowAndDependsOn(t *testing.T) {
	api := newTestAPI(t)
	res := run(t, api, "parent", nil, nil)
	wantSucceeded(t, res)
	if res.Outputs["prefix"] != "item-1" || res.Outputs["childId"] != "item-2" {
		t.Errorf("outputs = %v", res.Outputs)
	}
	if got := stepIDs(res); got != "create,create,callChild" {
		t.Errorf("steps = %s (setup's create, child's create, then the calling step)", got)
	}
	if res.Steps[1].WorkflowID != "child" {
		t.Errorf("child step reports workflow %q", res.Steps[1].WorkflowID)
	}
}

func TestFormMultipartAndComponents(t *testing.T) {
	api := newTestAPI(t)
	res := run(t, api, "bodies", nil, nil)
	wantSucceeded(t, res)
	form, _ := res.Outputs["form"].(map[string]any)
	if form["grant_type"] != "client_credentials" {
		t.Errorf("form = %v", form)
	}
	if scope, _ := form["scope"].([]any); len(scope) != 2 {
		t.Errorf("form arrays repeat the field: %v", form["scope"])
	}
	if res.Outputs["trace"] != "wf-trace" {
		t.Errorf("a reusable parameter's value override applies: trace = %v", res.Outputs["trace"])
	}
	parts, _ := res.Outputs["parts"].(map[string]any)
	title, _ := parts["title"].(map[string]any)
	meta, _ := parts["meta"].(map[string]any)
	if title["text"] != "report" || meta["type"] != "application/json" || meta["text"] != `{"kind":"csv"}` {
		t.Errorf("parts = %v", parts)
	}
}

func TestSecretsAreMaskedEverywhere(t *testing.T) {
	const token, password = "canaryTOKEN7d1f0b", "canaryPW93kq"
	api := newTestAPI(t)
	var obs recorder
	res := run(t, api, "secretive", map[string]any{"apiToken": token, "password": password}, func(o *runner.Options) { o.Observer = &obs })
	wantSucceeded(t, res)
	if api.lastAuth != "SSWS "+token {
		t.Fatalf("the bare expression in `SSWS $inputs.apiToken` must be substituted: sent %q", api.lastAuth)
	}
	out, _ := json.Marshal(res)
	for _, canary := range []string{token, password} {
		if strings.Contains(string(out), canary) {
			t.Errorf("result JSON contains a secret: %s", out)
		}
		for _, line := range obs.steps {
			if strings.Contains(line, canary) {
				t.Errorf("observed step contains a secret: %s", line)
			}
		}
	}
	if got := res.Steps[0].Outputs["token"]; got != secret.Mask {
		t.Errorf("an output holding a secret input is masked: %v", got)
	}
	if got := res.Steps[0].Outputs["echoed"]; got != "SSWS "+secret.Mask {
		t.Errorf("a secret value inside an output is masked: %v", got)
	}

	// A failing run must not leak either: the server's 401 and the error text.
	res2 := run(t, api, "secretive", map[string]any{"apiToken": token, "password": password}, func(o *runner.Options) {
		o.Servers = map[string]string{"api": api.srv.URL + "/nowhere"}
	})
	out2, _ := json.Marshal(res2)
	if res2.Status != runner.StatusFailed || strings.Contains(string(out2), token) || strings.Contains(string(out2), password) {
		t.Errorf("failed run: %s", out2)
	}
}

type recorder struct {
	mu    sync.Mutex
	steps []string
	n     int
}

func (r *recorder) StepStarted(string, string, int) {}
func (r *recorder) StepFinished(s runner.StepResult) {
	b, _ := json.Marshal(s)
	r.mu.Lock()
	r.steps = append(r.steps, string(b))
	r.mu.Unlock()
}
func (r *recorder) Exchange(runner.Exchange) { r.mu.Lock(); r.n++; r.mu.Unlock() }

func TestInputsAreValidatedBeforeTheFirstRequest(t *testing.T) {
	api := newTestAPI(t)
	_, err := runner.New(loadFlows(t), runner.Options{Servers: map[string]string{"api": api.srv.URL + "/v1"}}).
		Run(context.Background(), "crud", map[string]any{"size": "big"})
	var ie *runner.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("want *InputError, got %v", err)
	}
	msg := ie.Error()
	if !strings.Contains(msg, "inputs/name: required input is missing") || !strings.Contains(msg, "inputs/size") {
		t.Errorf("every problem listed: %s", msg)
	}
	if api.count("POST /v1/items") != 0 {
		t.Error("a request was sent despite invalid inputs")
	}
}

func TestMissingInputIsAskedForWhenFirstNeeded(t *testing.T) {
	api := newTestAPI(t)
	var asked []runner.InputRequest
	provider := runner.InputProviderFunc(func(ctx context.Context, req runner.InputRequest) (any, error) {
		asked = append(asked, req)
		time.Sleep(60 * time.Millisecond) // a person typing
		return "Gadget", nil
	})
	res := run(t, api, "crud", map[string]any{}, func(o *runner.Options) { o.InputProvider = provider })
	wantSucceeded(t, res)
	if len(asked) != 1 || asked[0].Name != "name" || asked[0].StepID != "create" {
		t.Fatalf("asked = %+v", asked)
	}
	if echo, _ := res.Outputs["echo"].(map[string]any); echo["name"] != "Gadget" {
		t.Errorf("supplied input not used: %v", echo)
	}
	if d := res.Steps[0].Duration; d >= 60*time.Millisecond {
		t.Errorf("the step's duration %v includes the time spent waiting for the input", d)
	}
}

// memCheckpoints is an in-memory Checkpointer.
type memCheckpoints struct {
	mu    sync.Mutex
	saved []runner.Checkpoint
}

func (m *memCheckpoints) Load(context.Context) ([]runner.Checkpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]runner.Checkpoint(nil), m.saved...), nil
}

func (m *memCheckpoints) Save(_ context.Context, c runner.Checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saved = append(m.saved, c)
	return nil
}

func TestResumeSkipsFinishedSteps(t *testing.T) {
	api := newTestAPI(t)
	var cp memCheckpoints
	first := run(t, api, "crud", map[string]any{"name": "Widget"}, func(o *runner.Options) { o.Checkpointer = &cp })
	wantSucceeded(t, first)
	if len(cp.saved) != 3 {
		t.Fatalf("saved %d checkpoints, want 3", len(cp.saved))
	}
	// Pretend the process died after the second step: keep its first two checkpoints. A server shares one
	// Runner between runs, so the checkpointer comes with the run (RunWith), not with the Runner.
	crashed := &memCheckpoints{saved: cp.saved[:2]}
	r := runner.New(loadFlows(t), runner.Options{Servers: map[string]string{"api": api.srv.URL + "/v1"}})
	res, err := r.RunWith(context.Background(), "crud", map[string]any{"name": "Widget"}, runner.RunOptions{Checkpointer: crashed})
	if err != nil {
		t.Fatal(err)
	}
	wantSucceeded(t, res)
	if api.count("POST /v1/items") != 1 || api.count("GET /v1/items/item-1") != 1 {
		t.Errorf("finished steps ran again: %v", api.calls)
	}
	if api.count("GET /v1/report.xml") != 2 {
		t.Errorf("the unfinished step must run again: %v", api.calls)
	}
	if !res.Steps[0].Resumed || !res.Steps[1].Resumed || res.Steps[2].Resumed {
		t.Errorf("resumed flags: %+v", res.Steps)
	}
	if res.Outputs["id"] != first.Outputs["id"] || res.Outputs["status"] != "ACTIVE" {
		t.Errorf("outputs after resume = %v", res.Outputs)
	}
}

func TestUnknownWorkflow(t *testing.T) {
	_, err := runner.New(loadFlows(t), runner.Options{}).Run(context.Background(), "nope", nil)
	if !errors.Is(err, runner.ErrWorkflowNotFound) || !strings.Contains(err.Error(), `"crud"`) {
		t.Errorf("err = %v", err)
	}
}

func TestStepDependsOn(t *testing.T) {
	api := newTestAPI(t)
	b, err := (&arazzo.Loader{}).Load(context.Background(), "testdata/depends.arazzo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := runner.New(b, runner.Options{Servers: map[string]string{"api": api.srv.URL + "/v1"}})
	res, err := r.Run(context.Background(), "reordered", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantSucceeded(t, res)
	if got := stepIDs(res); got != "create,read" {
		t.Errorf("a step runs after the steps it dependsOn: order %s", got)
	}
	res, err = r.Run(context.Background(), "skipped", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != runner.StatusFailed || res.Error == nil || res.Error.StepID != "needsCreate" ||
		!strings.Contains(res.Error.Message, `depends on step "create"`) {
		t.Errorf("a dependency skipped by goto fails the dependent step: %+v", res.Error)
	}
	if api.count("POST /v1/items") != 1 {
		t.Errorf("create ran %d times in all, want once (in the first workflow)", api.count("POST /v1/items"))
	}
}

func TestServerVariablesAndOperationPath(t *testing.T) {
	api := newTestAPI(t)
	host := strings.TrimPrefix(api.srv.URL, "http://")
	// No --server override: the description's first server, http://{host}/v1, with its variable set.
	res, err := runner.New(loadFlows(t), runner.Options{ServerVariables: map[string]string{"host": host}}).
		Run(context.Background(), "byPath", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantSucceeded(t, res)
	if got := res.Steps[0].Outputs["url"]; got != api.srv.URL+"/v1/items/by-path" {
		t.Errorf("url = %v", got)
	}
	// Without the variable its default (example.invalid) is used, which does not resolve: the step fails
	// with the URL it tried.
	res, err = runner.New(loadFlows(t), runner.Options{RequestTimeout: 2 * time.Second}).Run(context.Background(), "byPath", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != runner.StatusFailed || !strings.Contains(res.Error.Message, "http://example.invalid/v1/items/by-path") {
		t.Errorf("default server variable: %+v", res.Error)
	}
}

// fenceGuard lets every request through Sending and refuses at Fence once closed.
type fenceGuard struct{ closed bool }

func (g *fenceGuard) Sending(context.Context, runner.Sending) error { return nil }
func (g *fenceGuard) Settled(context.Context, int) error            { return nil }
func (g *fenceGuard) Fence() error {
	if g.closed {
		return errors.New("lease lost")
	}
	return nil
}

// TestFenceStopsTheRunUnsent: a guard that refuses at the last moment, after Sending allowed the
// request, stops the run with its error and nothing reaches the server.
func TestFenceStopsTheRunUnsent(t *testing.T) {
	api := newTestAPI(t)
	r := runner.New(loadFlows(t), runner.Options{Servers: map[string]string{"api": api.srv.URL + "/v1"}})
	res, err := r.RunWith(context.Background(), "twoStep", map[string]any{"name": "x"}, runner.RunOptions{Guard: &fenceGuard{closed: true}})
	if err == nil || err.Error() != "lease lost" || res != nil {
		t.Fatalf("RunWith = %+v, %v; want the fence's error", res, err)
	}
	api.mu.Lock()
	calls := len(api.calls)
	api.mu.Unlock()
	if calls != 0 {
		t.Errorf("the server got %d calls", calls)
	}
	res, err = r.RunWith(context.Background(), "twoStep", map[string]any{"name": "x"}, runner.RunOptions{Guard: &fenceGuard{}})
	if err != nil || res.Status != runner.StatusSucceeded {
		t.Errorf("with an open fence: %+v, %v", res, err)
	}
}

// TestUnsetOutputs: an output whose value is not in the response is left unset rather than failing the
// step, so the end action that guards "nothing found" runs; a later use of it fails, naming the output
// and the expression that found nothing.
func TestUnsetOutputs(t *testing.T) {
	api := newTestAPI(t)
	res := run(t, api, "notFound", map[string]any{}, nil)
	wantSucceeded(t, res)
	if len(res.Steps) != 1 || res.Steps[0].Outputs["name"] != "Widget" {
		t.Fatalf("steps %s, outputs %v", stepIDs(res), res.Steps[0].Outputs)
	}
	if why := res.Steps[0].UnsetOutputs["owner"]; !strings.Contains(why, "$response.body#/owner/id: value not found") {
		t.Errorf("step unset outputs %v", res.Steps[0].UnsetOutputs)
	}
	if _, ok := res.Outputs["owner"]; ok || res.Outputs["name"] != "Widget" || len(res.UnsetOutputs) != 2 {
		t.Errorf("workflow outputs %v, unset %v", res.Outputs, res.UnsetOutputs)
	}
	if !strings.Contains(res.UnsetOutputs["contacted"], `step "contactOwner" has not run`) {
		t.Errorf("unset contacted: %q", res.UnsetOutputs["contacted"])
	}

	res = run(t, api, "notFound", map[string]any{"followUp": true}, nil)
	if res.Status != runner.StatusFailed || res.Error == nil || res.Error.StepID != "contactOwner" ||
		!strings.Contains(res.Error.Message, `step "lookup" left output "owner" unset, because $response.body#/owner/id found nothing`) {
		b, _ := json.MarshalIndent(res, "", " ")
		t.Fatalf("using an unset output:\n%s", b)
	}
}

// TestInputLaterStopsTheRun: a provider that says the input comes later stops the run before the step
// that needs it sends anything; running again with the input resumes from the checkpoints.
func TestInputLaterStopsTheRun(t *testing.T) {
	api := newTestAPI(t)
	var cp memCheckpoints
	later := runner.InputProviderFunc(func(ctx context.Context, req runner.InputRequest) (any, error) {
		return nil, fmt.Errorf("nobody is at the desk: %w", runner.ErrInputLater)
	})
	r := runner.New(loadFlows(t), runner.Options{Servers: map[string]string{"api": api.srv.URL + "/v1"}})
	res, err := r.RunWith(context.Background(), "crud", map[string]any{}, runner.RunOptions{Checkpointer: &cp, InputProvider: later})
	var pending *runner.InputPending
	if !errors.As(err, &pending) || pending.Name != "name" || pending.StepID != "create" || pending.WorkflowID != "crud" || res != nil {
		t.Fatalf("Run = %v, %v; want an *InputPending for input name at step create", res, err)
	}
	if n := api.count("POST /v1/items"); n != 0 || len(cp.saved) != 0 {
		t.Fatalf("the step that waits sent %d requests and saved %d checkpoints", n, len(cp.saved))
	}
	res, err = r.RunWith(context.Background(), "crud", map[string]any{"name": "Widget"}, runner.RunOptions{Checkpointer: &cp, InputProvider: later})
	if err != nil {
		t.Fatal(err)
	}
	wantSucceeded(t, res)
}

// TestInputsFromComponents: a workflow whose inputs are "$ref: '#/components/inputs/…'" validates its
// inputs against the component, applies its defaults and refuses what it refuses (Arazzo 1.0.1 and
// 1.1.0, Components Object: inputs "to be referenced from workflow inputs").
func TestInputsFromComponents(t *testing.T) {
	api := newTestAPI(t)
	res := run(t, api, "refInputs", map[string]any{"name": "Gizmo"}, nil)
	wantSucceeded(t, res)
	if echo, _ := res.Outputs["echo"].(map[string]any); echo["name"] != "Gizmo" || fmt.Sprint(echo["size"]) != "3" {
		t.Errorf("echo %v: want the input and the component's default", res.Outputs)
	}
	_, err := runner.New(loadFlows(t), runner.Options{Servers: map[string]string{"api": api.srv.URL + "/v1"}}).
		Run(context.Background(), "refInputs", map[string]any{"name": 7})
	var ie *runner.InputError
	if !errors.As(err, &ie) {
		t.Errorf("a name that is not a string: %v, want an InputError", err)
	}
}

// TestStepTimeout: a step slower than its timeout fails, and its onFailure actions apply (Arazzo 1.1.0,
// Step Object, timeout: "the maximum number of milli-seconds to wait for the step to complete before
// aborting and failing the step").
func TestStepTimeout(t *testing.T) {
	api := newTestAPI(t)
	start := time.Now()
	res := run(t, api, "slowStep", map[string]any{}, nil)
	wantSucceeded(t, res)
	if stepIDs(res) != "slow,fast" || res.Steps[0].Status != runner.StatusFailed ||
		!strings.Contains(res.Steps[0].Error, "longer than its timeout of 100 ms") {
		b, _ := json.Marshal(res)
		t.Fatalf("steps: %s", b)
	}
	if d := time.Since(start); d >= 2*time.Second {
		t.Errorf("the run took %s: the slow step (2 s) was not cut at its timeout", d)
	}
}

// TestQueryStringParameter: an `in: querystring` parameter's value is the whole query string (Arazzo
// 1.1.0, Parameter Object: "the value MUST resolve to a string representing the complete query string").
func TestQueryStringParameter(t *testing.T) {
	api := newTestAPI(t)
	wantSucceeded(t, run(t, api, "queryString", map[string]any{"q": "ann"}, nil))
	api.mu.Lock()
	defer api.mu.Unlock()
	if api.lastQuery != "status=ACTIVE&q=ann" {
		t.Errorf("query %q", api.lastQuery)
	}
}

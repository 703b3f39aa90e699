package runner_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/secret"
)

func runSelectors(t *testing.T, api *testAPI, workflow string, inputs map[string]any, mod func(*runner.Options)) *runner.Result {
	t.Helper()
	b, err := (&arazzo.Loader{}).Load(context.Background(), "testdata/selectors.arazzo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range b.Validate(arazzo.ValidateOptions{Strict: true}) {
		if d.Severity == arazzo.Error {
			t.Fatalf("testdata has a validation error: %s", d)
		}
	}
	opts := runner.Options{Servers: map[string]string{"api": api.srv.URL + "/v1"}}
	if mod != nil {
		mod(&opts)
	}
	res, err := runner.New(b, opts).Run(context.Background(), workflow, inputs)
	if err != nil {
		t.Fatalf("Run(%s): %v", workflow, err)
	}
	return res
}

// TestSelectorObjects runs Selector Objects wherever Arazzo 1.1 allows them ("Selector Object": step and
// workflow outputs, parameter values, request body payloads, replacement values) and Payload Replacement
// targets of each type ("Payload Replacement Object": JSONPath with targetSelectorType, JSON Pointer,
// XPath for an XML payload), and checks what the API received and what the outputs hold.
func TestSelectorObjects(t *testing.T) {
	api := newTestAPI(t)
	inputs := map[string]any{
		"profile":   map[string]any{"user": map[string]any{"profile": map[string]any{"email": "ann@example.com"}, "source": "signup"}},
		"inventory": map[string]any{"newQuantity": json.Number("10")},
		"sku":       "ABC123",
	}
	res := runSelectors(t, api, "selecting", inputs, nil)
	wantSucceeded(t, res)

	create := res.Steps[0]
	received, _ := create.Outputs["received"].(map[string]any)
	want := map[string]any{
		"name":  "Widget",
		"owner": "ann@example.com", // a Selector Object nested in the payload
		// the filter target set the matching item only, from a Selector Object value
		"items": []any{map[string]any{"sku": "ABC123", "quantity": json.Number("10")}, map[string]any{"sku": "XYZ9", "quantity": json.Number("5")}},
		"meta":  map[string]any{"source": "signup", "tags": []any{"new"}},
	}
	if !reflect.DeepEqual(received, want) {
		t.Errorf("the API received\n%v\nwant\n%v", received, want)
	}
	outputs := map[string]any{
		"id":            "item-1",
		"owner":         "ann@example.com",
		"quantities":    []any{json.Number("10"), json.Number("5")}, // a wildcard query yields a list
		"lastSku":       "XYZ9",                                     // Goessner's [(@.length-1)]
		"firstQuantity": json.Number("10"),                          // a workflow output selecting from a step output
		"firstStatus":   "ok",
		"statuses":      "ok",                // xpath-10: the first node
		"allStatuses":   []any{"ok", "late"}, // xpath-31: the sequence
		"items":         2,                   // count(/report/item)
		"stored":        "ABC123",            // the XML payload's replacement, as the API stored it
		"storedAt":      "2026-05-17",
	}
	for name, w := range outputs {
		got := res.Outputs[name]
		if !reflect.DeepEqual(got, w) {
			t.Errorf("output %s = %#v, want %#v", name, got, w)
		}
	}
	if !strings.HasSuffix(res.Outputs["readURL"].(string), "/v1/items/Widget") {
		t.Errorf("a parameter value from a Selector Object: %v", res.Outputs["readURL"])
	}
	if api.lastXML != `<order id="item-1"><sku>ABC123</sku><status>new</status></order>` {
		t.Errorf("the XML body sent: %s", api.lastXML)
	}

	// The optional input the payload's note selects from, given this time.
	inputs["extra"] = map[string]any{"note": "fragile"}
	res = runSelectors(t, api, "selecting", inputs, nil)
	wantSucceeded(t, res)
	if received, _ := res.Steps[0].Outputs["received"].(map[string]any); received["note"] != "fragile" {
		t.Errorf("note: %v", received)
	}
}

// TestSelectorThatSelectsNothing: a selector that selects nothing is treated as an output expression
// that finds nothing (docs/workflows.md, "Outputs that find nothing"; the specification is silent): the
// output is unset, the guarded end action runs, and a later use fails naming the selector.
func TestSelectorThatSelectsNothing(t *testing.T) {
	api := newTestAPI(t)
	res := runSelectors(t, api, "selectingNothing", map[string]any{}, nil)
	wantSucceeded(t, res)
	if res.Outputs["name"] != "Widget" {
		t.Errorf("outputs %v", res.Outputs)
	}
	if why := res.Steps[0].UnsetOutputs["ownerIds"]; why != `jsonpath selector "$.owners[*].id" on $response.body: value not found` {
		t.Errorf("unset ownerIds: %q", why)
	}
	if _, ok := res.Outputs["ownerIds"]; ok || res.UnsetOutputs["ownerIds"] == "" {
		t.Errorf("workflow outputs %v, unset %v", res.Outputs, res.UnsetOutputs)
	}

	res = runSelectors(t, api, "selectingNothing", map[string]any{"followUp": true}, nil)
	if res.Status != runner.StatusFailed || res.Error == nil || res.Error.StepID != "contactOwners" ||
		!strings.Contains(res.Error.Message, `step "lookup" left output "ownerIds" unset, because jsonpath selector "$.owners[*].id" on $response.body found nothing`) {
		b, _ := json.MarshalIndent(res, "", " ")
		t.Fatalf("using an unset selector output:\n%s", b)
	}
	if n := api.count("POST /v1/items"); n != 0 {
		t.Errorf("the step that needed the unset output sent %d requests", n)
	}
}

// TestSelectedSecretsAreMasked: a value a Selector Object picks is masked in the results like any
// output (docs/workflows.md, "Secrets").
func TestSelectedSecretsAreMasked(t *testing.T) {
	const token = "canarySELECTED5e2a"
	api := newTestAPI(t)
	var obs recorder
	res := runSelectors(t, api, "selectingSecrets", map[string]any{"apiToken": token}, func(o *runner.Options) { o.Observer = &obs })
	wantSucceeded(t, res)
	if api.lastAuth != "SSWS "+token {
		t.Fatalf("sent %q", api.lastAuth)
	}
	if got := res.Steps[0].Outputs["echoed"]; got != "SSWS "+secret.Mask {
		t.Errorf("step output %v", got)
	}
	if got := res.Outputs["echoed"]; got != "SSWS "+secret.Mask {
		t.Errorf("workflow output %v", got)
	}
	out, _ := json.Marshal(res)
	if strings.Contains(string(out), token) || strings.Contains(strings.Join(obs.steps, "\n"), token) {
		t.Errorf("a selected secret leaked: %s", out)
	}
}

// TestSelectorOnTheWrongData: a selector type that cannot read its context fails the step with the
// reason ("Selector Object": the context MUST evaluate to the structured data the selector applies to;
// "Criterion Object", Evaluation Errors: an invalid context is an error to report).
func TestSelectorOnTheWrongData(t *testing.T) {
	res := runSelectors(t, newTestAPI(t), "selectingWrongType", nil, nil)
	if res.Status != runner.StatusFailed || res.Error == nil ||
		!strings.Contains(res.Error.Message, `output "status": xpath (xpath-10) selector "/item/status" on $response.body: an xpath selector needs XML text, but the context is an object (JSON): use a jsonpath or jsonpointer selector`) {
		b, _ := json.MarshalIndent(res, "", " ")
		t.Fatalf("xpath on JSON:\n%s", b)
	}
}

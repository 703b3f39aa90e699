package arazzo

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// asyncHeader starts an Arazzo 1.1 document with the pets OpenAPI source and the orders AsyncAPI 3.0
// source (testdata/orders.asyncapi.yaml); one workflow's steps follow.
const asyncHeader = `arazzo: 1.1.0
info:
  title: t
  version: "1"
sourceDescriptions:
- name: pets
  url: pets.yaml
  type: openapi
- name: orders
  url: orders.asyncapi.yaml
  type: asyncapi
workflows:
- workflowId: wf
  inputs:
    type: object
    required: [petId]
    properties:
      petId:
        type: string
  steps:
`

// asyncSteps are a send step and a receive step written as the 1.1 async step example writes them
// (1.1 l.550–575), on the orders source.
const asyncSteps = `  - stepId: place
    operationId: $sourceDescriptions.orders.placeOrder
    action: send
    parameters:
    - name: region
      in: header
      value: eu
    - name: correlationId
      in: header
      value: $inputs.petId
    requestBody:
      payload:
        petId: 1
  - stepId: confirm
    operationId: $sourceDescriptions.orders.confirmOrder
    action: receive
    correlationId: $inputs.petId
    timeout: 6000
    dependsOn: [place]
    parameters:
    - name: region
      in: header
      value: eu
    successCriteria:
    - condition: $message.payload#/order/status == 'confirmed'
    outputs:
      orderId: $message.payload#/order/id
      by: $message.header.X-Confirmed-By
`

// TestLoadAsyncAPISource: a source description of type asyncapi (1.1 l.344: "openapi" or "asyncapi"
// or "arazzo") loads as an AsyncAPI description, declared or, with type omitted, recognised by its
// asyncapi key.
func TestLoadAsyncAPISource(t *testing.T) {
	for _, declared := range []bool{true, false} {
		text := asyncHeader + asyncSteps
		if !declared {
			text = strings.Replace(text, "  url: orders.asyncapi.yaml\n  type: asyncapi\n", "  url: orders.asyncapi.yaml\n", 1)
		}
		b := loadText(t, text)
		if len(b.Diagnostics) != 0 {
			t.Errorf("declared=%v: load diagnostics:\n%s", declared, joinDiagnostics(b.Diagnostics))
		}
		src := b.Sources["orders"]
		if src == nil || src.Type != "asyncapi" || src.AsyncAPI == nil || src.OpenAPI != nil || src.Arazzo != nil {
			t.Fatalf("declared=%v: orders source = %+v", declared, src)
		}
		if src.AsyncAPI.Version != "3.0.0" || src.AsyncAPI.Title != "Orders over NATS" {
			t.Errorf("declared=%v: loaded %q %q", declared, src.AsyncAPI.Version, src.AsyncAPI.Title)
		}
		if pets := b.Sources["pets"]; pets == nil || pets.Type != "openapi" || pets.OpenAPI == nil {
			t.Errorf("declared=%v: pets source = %+v", declared, pets)
		}
		if ds := b.Validate(ValidateOptions{Strict: true}); len(ds) != 0 {
			t.Errorf("declared=%v: the spec-shaped async steps got diagnostics:\n%s", declared, joinDiagnostics(ds))
		}
	}
}

// TestLoadAsyncAPISource26: Okta's own AsyncAPI 2.6 description of event hooks loads as an asyncapi
// source, declared and sniffed, and its 2.x operationIds resolve (1.1 l.425).
func TestLoadAsyncAPISource26(t *testing.T) {
	okta, err := filepath.Abs(filepath.Join(sharedDir, "okta", "okta-events-asyncapi.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(okta); err != nil {
		t.Skipf("Okta's AsyncAPI description not available: %v", err)
	}
	doc := func(typ string) string {
		return "arazzo: 1.1.0\ninfo: {title: t, version: \"1\"}\nsourceDescriptions:\n- name: okta\n  url: " + okta + "\n" + typ +
			"workflows:\n- workflowId: wf\n  steps:\n  - stepId: delivered\n    operationId: $sourceDescriptions.okta.receiveEventHookDelivery\n" +
			"    action: receive\n    timeout: 1000\n"
	}
	for _, typ := range []string{"  type: asyncapi\n", ""} {
		b := loadText(t, doc(typ))
		src := b.Sources["okta"]
		if src == nil || src.Type != "asyncapi" || src.AsyncAPI == nil {
			t.Fatalf("type %q: okta source = %+v\n%s", typ, src, joinDiagnostics(b.Diagnostics))
		}
		if !strings.HasPrefix(src.AsyncAPI.Version, "2.6") {
			t.Errorf("version %q", src.AsyncAPI.Version)
		}
		step := b.Root.Workflows[0].Steps[0]
		ra, err := b.ResolveAsync(b.Root, step)
		if err != nil || ra == nil || ra.Operation == nil || ra.Operation.ID != "receiveEventHookDelivery" ||
			ra.Channel.Address != "okta/event-hook/delivery" || ra.Source != src {
			t.Fatalf("type %q: ResolveAsync = %+v, %v", typ, ra, err)
		}
		if len(ra.Messages()) == 0 {
			t.Errorf("the 2.6 operation has no messages")
		}
		if ds := b.Validate(ValidateOptions{}); hasCode(ds, "missing-action") != nil || hasCode(ds, "unknown-operation") != nil {
			t.Errorf("type %q:\n%s", typ, joinDiagnostics(ds))
		}
	}
}

// TestResolveAsync resolves each way a step can name an AsyncAPI operation or channel: operationId as a
// runtime expression (1.1 l.425, the async example l.555), a bare operationId, channelPath (1.1 l.427), and
// the operationPath form of the specification's own example (1.1 l.283), plus the forms that resolve
// with a warning. An OpenAPI step is not asynchronous.
func TestResolveAsync(t *testing.T) {
	tests := []struct {
		name      string
		target    string // the step's target field, as written
		op        string // the operation found, "" for a channel
		address   string
		location  string // CorrelationLocation
		warning   string // a diagnostic Validate adds for the form
		noWarning bool
	}{
		{"runtime expression", "operationId: $sourceDescriptions.orders.placeOrder", "placeOrder", "orders.{region}.placed", "$message.header#/correlationId", "", true},
		{"bare", "operationId: confirmOrder", "confirmOrder", "orders.{region}.confirmed", "$message.payload#/order/id", "", true},
		{"braced expression", "operationId: '{$sourceDescriptions.orders.readAudit}'", "readAudit", "orders.audit", "", "", true},
		{"shorthand", "operationId: orders.placeOrder", "placeOrder", "orders.{region}.placed", "$message.header#/correlationId", "operation-id-shorthand", false},
		{"channelPath", "channelPath: '{$sourceDescriptions.orders.url}#/channels/confirmed'", "", "orders.{region}.confirmed", "$message.payload#/order/id", "", true},
		{"channelPath unbraced", "channelPath: $sourceDescriptions.orders.url#/channels/audit", "", "orders.audit", "", "operation-path-unbraced", false},
		{"operationPath as in the spec example", "operationPath: $sourceDescriptions.orders.confirmOrder", "confirmOrder", "orders.{region}.confirmed", "$message.payload#/order/id", "operation-path-form", false},
		{"operationPath pointer", "operationPath: '{$sourceDescriptions.orders.url}#/operations/placeOrder'", "placeOrder", "orders.{region}.placed", "$message.header#/correlationId", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := asyncHeader + "  - stepId: s\n    " + tt.target + "\n    action: receive\n"
			b := loadText(t, text)
			step := b.Root.Workflows[0].Steps[0]
			ra, err := b.ResolveAsync(b.Root, step)
			if err != nil || ra == nil {
				t.Fatalf("ResolveAsync = %v, %v", ra, err)
			}
			if !b.IsAsync(b.Root, step) {
				t.Error("IsAsync = false")
			}
			if ra.Source != b.Sources["orders"] {
				t.Errorf("source %v", ra.Source)
			}
			switch {
			case tt.op == "" && ra.Operation != nil:
				t.Errorf("operation %q, want none (a channel)", ra.Operation.ID)
			case tt.op != "" && (ra.Operation == nil || ra.Operation.ID != tt.op):
				t.Errorf("operation %+v, want %s", ra.Operation, tt.op)
			}
			if ra.Channel == nil || ra.Channel.Address != tt.address {
				t.Fatalf("channel %+v, want address %s", ra.Channel, tt.address)
			}
			if got := ra.CorrelationLocation(); got != tt.location {
				t.Errorf("CorrelationLocation() = %q, want %q", got, tt.location)
			}
			ds := b.Validate(ValidateOptions{})
			if tt.warning != "" {
				d := hasCode(ds, tt.warning)
				if d == nil || d.Severity != Warning {
					t.Errorf("want warning %s, got:\n%s", tt.warning, joinDiagnostics(ds))
				}
			}
			if tt.noWarning {
				for _, d := range ds {
					if d.Severity == Error || strings.HasPrefix(d.Code, "operation-") {
						t.Errorf("unexpected %s", d)
					}
				}
			}
		})
	}

	t.Run("openapi step", func(t *testing.T) {
		b := loadText(t, asyncHeader+getPetStep)
		step := b.Root.Workflows[0].Steps[0]
		if ra, err := b.ResolveAsync(b.Root, step); ra != nil || err != nil {
			t.Errorf("ResolveAsync(getPet) = %+v, %v; want nil, nil", ra, err)
		}
		if b.IsAsync(b.Root, step) {
			t.Error("IsAsync(getPet) = true")
		}
		if ro, err := b.ResolveOperation(b.Root, step); err != nil || ro == nil {
			t.Errorf("ResolveOperation(getPet) = %v, %v", ro, err)
		}
	})

	// The channel's messages when a step names the channel, the operation's when it names an operation.
	t.Run("messages", func(t *testing.T) {
		b := loadText(t, asyncHeader+"  - stepId: s\n    operationId: readAudit\n    action: receive\n")
		ra, err := b.ResolveAsync(b.Root, b.Root.Workflows[0].Steps[0])
		if err != nil {
			t.Fatal(err)
		}
		if ms := ra.Messages(); len(ms) != 1 || ms[0].CorrelationLocation != "" || ms[0] != ra.Channel.Messages[0] {
			t.Errorf("an operation without messages gives its channel's: %+v", ms)
		}
	})
}

// TestResolveAsyncErrors: a reference that names an asyncapi source but nothing in it is an error,
// and channelPath to a source that is missing or not asyncapi is ErrUnknownSource (1.1 l.427: "The
// operation being referenced MUST be described within one of the sourceDescriptions").
func TestResolveAsyncErrors(t *testing.T) {
	tests := []struct {
		target  string
		want    string
		unknown bool // errors.Is ErrUnknownSource
	}{
		{"operationId: $sourceDescriptions.orders.placeOrdr", `did you mean "placeOrder"?`, false},
		{"operationPath: $sourceDescriptions.orders.confirmOrdr", `did you mean "confirmOrder"?`, false},
		{"operationPath: '{$sourceDescriptions.orders.url}#/operations/nope'", `operationId "nope" not found`, false},
		{"channelPath: '{$sourceDescriptions.orders.url}#/channels/confirm'", `did you mean "#/channels/confirmed"?`, false},
		{"channelPath: '{$sourceDescriptions.orders.url}#/operations/placeOrder'", "refer to operations by operationId", false},
		{"channelPath: '{$sourceDescriptions.events.url}#/channels/audit'", `no source description "events"`, true},
		{"channelPath: '{$sourceDescriptions.pets.url}#/channels/audit'", `source "pets" is an openapi source, not asyncapi`, true},
		{"channelPath: orders#/channels/audit", "want {$sourceDescriptions.<name>.url}#<json-pointer>", false},
		{"channelPath: '{$sourceDescriptions.orders.url}'", "want {$sourceDescriptions.<name>.url}#/channels/<channel>", false},
	}
	for _, tt := range tests {
		b := loadText(t, asyncHeader+"  - stepId: s\n    "+tt.target+"\n    action: receive\n")
		ra, err := b.ResolveAsync(b.Root, b.Root.Workflows[0].Steps[0])
		if err == nil || ra != nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ResolveAsync = %+v, %v; want an error containing %q", tt.target, ra, err, tt.want)
			continue
		}
		if got := errors.Is(err, ErrUnknownSource); got != tt.unknown {
			t.Errorf("%s: errors.Is(ErrUnknownSource) = %v", tt.target, got)
		}
	}
	// A bare id that no source has, on a step with an action, is a misspelt AsyncAPI operation: the error
	// suggests the nearest one. Without an action it is no async step's: ResolveOperation reports it.
	b := loadText(t, asyncHeader+"  - stepId: s\n    operationId: confirmOrdr\n    action: receive\n")
	if ra, err := b.ResolveAsync(b.Root, b.Root.Workflows[0].Steps[0]); ra != nil || err == nil || !strings.Contains(err.Error(), `did you mean "confirmOrder"?`) {
		t.Errorf("bare unknown id: %+v, %v", ra, err)
	}
	b = loadText(t, asyncHeader+"  - stepId: s\n    operationId: confirmOrdr\n")
	if ra, err := b.ResolveAsync(b.Root, b.Root.Workflows[0].Steps[0]); ra != nil || err != nil {
		t.Errorf("bare unknown id without an action: %+v, %v", ra, err)
	}
}

// TestAsyncAmbiguousBareOperationID: with two asyncapi sources that both have the operation, a bare
// operationId is ambiguous (1.1 l.425: "If multiple (non arazzo type) sourceDescriptions are defined,
// then the operationId MUST be specified using a Runtime Expression").
func TestAsyncAmbiguousBareOperationID(t *testing.T) {
	text := strings.Replace(asyncHeader, "workflows:\n", "- name: orders2\n  url: orders.asyncapi.yaml\n  type: asyncapi\nworkflows:\n", 1) +
		"  - stepId: s\n    operationId: «readAudit\n    action: receive\n"
	text, want := locate(t, text)
	b := loadText(t, text)
	_, err := b.ResolveAsync(b.Root, b.Root.Workflows[0].Steps[0])
	if !errors.Is(err, ErrAmbiguousOperation) || !strings.Contains(err.Error(), `"orders" and "orders2"`) {
		t.Fatalf("err = %v", err)
	}
	d := hasCode(b.Validate(ValidateOptions{}), "ambiguous-operation")
	if d == nil || d.Severity != Error || d.Line != want.Line || d.Col != want.Col {
		t.Errorf("want ambiguous-operation at %s, got %v", want, d)
	}
	// The runtime expression form is not ambiguous.
	b = loadText(t, strings.Replace(text, "operationId: readAudit", "operationId: $sourceDescriptions.orders2.readAudit", 1))
	ra, err := b.ResolveAsync(b.Root, b.Root.Workflows[0].Steps[0])
	if err != nil || ra.Source.Name != "orders2" {
		t.Errorf("ResolveAsync = %+v, %v", ra, err)
	}
}

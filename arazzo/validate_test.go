package arazzo

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trama-dev/trama/openapi"
)

func TestValidDocumentHasNoDiagnostics(t *testing.T) {
	// X-API-KEY is not an operation parameter but the source's apiKey
	// security scheme (matched case-insensitively), so it is no
	// unknown-parameter.
	text := header + strings.Replace(getPetStep, "    successCriteria:", "    - name: X-API-KEY\n      in: header\n      value: k-{$inputs.petId}\n    successCriteria:", 1)
	b := loadText(t, text)
	if ds := b.Validate(ValidateOptions{Strict: true}); len(ds) != 0 {
		t.Errorf("clean document got diagnostics:\n%s", joinDiagnostics(ds))
	}
}

func TestStrictBareExpression(t *testing.T) {
	text, want := locate(t, header+strings.Replace(getPetStep, "value: $inputs.petId", "value: SSWS «$inputs.petId", 1))
	b := loadText(t, text)
	for _, tt := range []struct {
		opts ValidateOptions
		sev  Severity
	}{{ValidateOptions{}, Warning}, {ValidateOptions{Strict: true}, Error}} {
		d := hasCode(b.Validate(tt.opts), "bare-expression")
		if d == nil || d.Severity != tt.sev || d.Line != want.Line || d.Col != want.Col {
			t.Fatalf("strict=%v: want %s bare-expression at %s, got %v", tt.opts.Strict, tt.sev, want, d)
		}
		if wantMsg := `bare expression "$inputs.petId" inside a string: write "SSWS {$inputs.petId}"`; d.Message != wantMsg {
			t.Errorf("message %q, want %q", d.Message, wantMsg)
		}
	}
}

func TestDiagnosticString(t *testing.T) {
	d := Diagnostic{File: "w.yaml", Line: 3, Col: 7, Severity: Warning, Code: "unknown-field", Message: "x"}
	if got, want := d.String(), "w.yaml:3:7: warning: x [unknown-field]"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func joinDiagnostics(ds []Diagnostic) string {
	var sb strings.Builder
	for _, d := range ds {
		fmt.Fprintln(&sb, d.String())
	}
	return sb.String()
}

// TestPlantedDefects plants one defect per diagnostic code and checks that
// Validate reports that code, with that severity, at the marked line and
// column.
func TestPlantedDefects(t *testing.T) {
	step := func(extra string) string { return header + getPetStep + extra }
	// asyncStep is a 1.1 document with the pets and orders sources whose steps are steps.
	asyncStep := func(steps string) string { return asyncHeader + steps }
	v11 := strings.Replace(header, "arazzo: 1.0.1", "arazzo: 1.1.0", 1)
	// selectorOutput makes getPet's output "name" a Selector Object with the given fields.
	selectorOutput := func(fields string) string {
		return strings.Replace(getPetStep, "      name: $response.body#/name\n", "      name:\n        "+fields, 1)
	}
	// createStep adds a createPet step whose requestBody continues with body.
	createStep := func(body string) string {
		return step("  - stepId: create\n    operationId: createPet\n    parameters:\n    - name: X-Request-Id\n      in: header\n      value: r1\n" +
			"    requestBody:\n      contentType: application/json\n" + body)
	}
	tests := []struct {
		code string
		sev  Severity
		doc  string
	}{
		{"invalid-version", Error, strings.Replace(header, "arazzo: 1.0.1", "arazzo: «one", 1) + getPetStep},
		{"unsupported-version", Error, strings.Replace(header, "arazzo: 1.0.1", "arazzo: «2.0.0", 1) + getPetStep},
		{"missing-field", Error, strings.Replace(header, "info:\n  title: t\n  version: \"1\"\n", "info:\n  «title: t\n", 1) + getPetStep},
		{"invalid-type", Error, strings.Replace(header, "  steps:\n", "  steps: «nope\n", 1)},
		{"unknown-field", Warning, step("    «colour: red\n")},
		{"duplicate-key", Error, step("    «stepId: again\n")},
		{"empty-list", Error, strings.Replace(header, "  steps:\n", "  steps: «[]\n", 1)},
		// Selector Objects (1.1 "Selector Object"): a 1.0 document cannot use them.
		{"requires-1.1", Error, header + strings.Replace(getPetStep, "      name: $response.body#/name\n", "      name:\n        «context: $response.body\n        selector: $.name\n        type: jsonpath\n", 1)},
		{"requires-1.1", Error, createStep("      payload:\n        name:\n          «context: $inputs.petId\n          selector: /a\n          type: jsonpointer\n")},
		{"requires-1.1", Error, createStep("      payload: {name: a}\n      replacements:\n      - target: $.name\n        «targetSelectorType: jsonpath\n        value: b\n")},
		{"requires-1.1", Warning, step("    onSuccess:\n    - name: found\n      type: end\n      criteria:\n      - condition: $.a\n        context: $response.body\n        type:\n          type: jsonpath\n          version: «rfc9535\n")},
		{"missing-field", Error, v11 + selectorOutput("«context: $response.body\n        selector: $.name\n")},
		{"unknown-selector-type", Error, v11 + selectorOutput("context: $response.body\n        selector: $.name\n        type: «css\n")},
		{"unknown-selector-version", Error, v11 + selectorOutput("context: $response.body\n        selector: $.name\n        type:\n          type: jsonpath\n          version: «rfc1234\n")},
		{"invalid-selector", Error, v11 + selectorOutput("context: $response.body\n        selector: «$.name[\n        type: jsonpath\n")},
		{"invalid-selector", Error, v11 + selectorOutput("context: $response.body\n        selector: «name\n        type: jsonpointer\n")},
		{"invalid-selector", Error, strings.Replace(createStep("      payload:\n        pet:\n          name:\n            context: $inputs.petId\n            selector: «/a[\n            type:\n              type: xpath\n              version: xpath-10\n"), "1.0.1", "1.1.0", 1)},
		{"invalid-expression", Error, v11 + selectorOutput("context: «$respnse.body\n        selector: $.name\n        type: jsonpath\n")},
		{"unknown-step", Error, v11 + selectorOutput("context: «$steps.nope.outputs.body\n        selector: $.name\n        type: jsonpath\n")},
		{"unknown-input", Error, v11 + selectorOutput("context: $response.body\n        selector: «$[?@.id == '{$inputs.nope}'].name\n        type: jsonpath\n")},
		{"selector-context", Error, strings.Replace(createStep("      payload: {name: a}\n    outputs:\n      sent:\n        context: $request.body\n        selector: /name\n        type: «xpath\n"), "1.0.1", "1.1.0", 1)},
		{"selector-context", Error, v11 + selectorOutput("context: $response.body#/name\n        selector: /name\n        type: «xpath\n")},
		{"xpath-version", Warning, v11 + selectorOutput("context: $response.body\n        selector: /name\n        type: «xpath\n")},
		{"jsonpath-version", Warning, v11 + selectorOutput("context: $response.body\n        selector: $.name\n        type:\n          type: jsonpath\n          version: «draft-goessner-dispatch-jsonpath-00\n")},
		// Payload Replacement targets (1.1 "Payload Replacement Object").
		{"invalid-target", Error, strings.Replace(createStep("      payload: {name: a}\n      replacements:\n      - target: «$.name\n        value: b\n"), "1.0.1", "1.1.0", 1)},
		{"invalid-target", Error, strings.Replace(createStep("      payload: {name: a}\n      replacements:\n      - target: «$.name[\n        targetSelectorType: jsonpath\n        value: b\n"), "1.0.1", "1.1.0", 1)},
		{"invalid-target", Error, strings.Replace(createStep("      payload: {name: a}\n      replacements:\n      - target: «/name\n        targetSelectorType: xpath\n        value: b\n"), "1.0.1", "1.1.0", 1)},
		{"unknown-selector-type", Error, strings.Replace(createStep("      payload: {name: a}\n      replacements:\n      - target: /name\n        targetSelectorType: «jsonpatch\n        value: b\n"), "1.0.1", "1.1.0", 1)},
		{"ignored-async-field", Warning, step("    «correlationId: $inputs.petId\n")},
		{"invalid-timeout", Error, step("    timeout: «0\n")},
		{"duplicate-id", Error, step("  - stepId: «getPet\n    operationId: deletePet\n    parameters:\n    - name: petId\n      in: path\n      value: x\n")},
		{"invalid-id", Warning, step("  - stepId: «get pet\n    operationId: deletePet\n    parameters:\n    - name: petId\n      in: path\n      value: x\n")},
		{"step-target", Error, step("  - «stepId: nothing\n")},
		{"step-target", Error, step("  - «stepId: both\n    operationId: deletePet\n    workflowId: wf\n")},
		{"unknown-operation", Error, step("  - stepId: nope\n    operationId: «getPets\n")},
		{"operation-id-shorthand", Warning, step("  - stepId: del\n    operationId: «pets.deletePet\n    parameters:\n    - name: petId\n      in: path\n      value: x\n")},
		{"operation-path-unbraced", Warning, step("  - stepId: del\n    operationPath: «$sourceDescriptions.pets.url#/paths/~1pets~1{petId}/delete\n    parameters:\n    - name: petId\n      in: path\n      value: x\n")},
		{"unknown-source", Error, step("  - stepId: del\n    operationId: «$sourceDescriptions.cats.deletePet\n")},
		{"unknown-parameter", Warning, step("  - stepId: del\n    operationId: deletePet\n    parameters:\n    - name: petId\n      in: path\n      value: x\n    - «name: limit\n      in: query\n      value: 3\n")},
		{"missing-in", Error, step("  - stepId: del\n    operationId: deletePet\n    parameters:\n    - «name: petId\n      value: x\n")},
		{"invalid-in", Error, step("  - stepId: del\n    operationId: deletePet\n    parameters:\n    - name: petId\n      in: «body\n      value: x\n")},
		{"missing-required-parameter", Warning, step("  - stepId: del\n    operationId: «deletePet\n")},
		{"optional-input-required", Warning, strings.Replace(header, "    required: [petId]\n", "", 1) + strings.Replace(getPetStep, "value: $inputs.petId", "value: «$inputs.petId", 1)},
		{"duplicate-parameter", Error, step("  - stepId: del\n    operationId: deletePet\n    parameters:\n    - name: petId\n      in: path\n      value: x\n    - «name: petId\n      in: path\n      value: y\n")},
		{"missing-request-body", Warning, step("  - stepId: create\n    operationId: «createPet\n    parameters:\n    - name: X-Request-Id\n      in: header\n      value: r1\n")},
		{"unexpected-request-body", Warning, step("  - stepId: del\n    operationId: deletePet\n    parameters:\n    - name: petId\n      in: path\n      value: x\n    «requestBody:\n      payload: {}\n")},
		{"content-type", Warning, step("  - stepId: create\n    operationId: createPet\n    parameters:\n    - name: X-Request-Id\n      in: header\n      value: r1\n    requestBody:\n      contentType: «text/plain\n      payload: hi\n")},
		{"unknown-step", Error, step("    onSuccess:\n    - name: next\n      type: goto\n      stepId: «missing\n")},
		{"unknown-step", Error, header + strings.Replace(getPetStep, "$inputs.petId", "«$steps.other.outputs.id", 1)},
		{"unknown-output", Error, step("  - stepId: del\n    operationId: deletePet\n    parameters:\n    - name: petId\n      in: path\n      value: «$steps.getPet.outputs.id\n")},
		{"forward-reference", Warning, header + strings.Replace(getPetStep, "$inputs.petId", "«$steps.del.outputs.id", 1) +
			"  - stepId: del\n    operationId: deletePet\n    parameters:\n    - name: petId\n      in: path\n      value: x\n    outputs:\n      id: $statusCode\n"},
		{"unknown-input", Error, header + strings.Replace(getPetStep, "$inputs.petId", "«$inputs.petID", 1)},
		{"invalid-expression", Error, header + strings.Replace(getPetStep, "$inputs.petId", "«$inptus.petId", 1)},
		{"invalid-expression", Error, header + strings.Replace(getPetStep, "$response.body#/name", "«$response.bdy", 1)},
		{"bare-expression", Warning, header + strings.Replace(getPetStep, "value: $inputs.petId", "value: pet-«$inputs.petId", 1)},
		{"invalid-condition", Error, header + strings.Replace(getPetStep, "$statusCode == 200", "$statusCode ==«= 200", 1)},
		{"missing-context", Error, step("    onSuccess:\n    - name: found\n      type: end\n      criteria:\n      - «condition: '^2'\n        type: regex\n")},
		{"unknown-criterion-type", Error, step("    onSuccess:\n    - name: found\n      type: end\n      criteria:\n      - condition: x\n        context: $statusCode\n        type: «glob\n")},
		{"unknown-criterion-type", Error, step("    onSuccess:\n    - name: found\n      type: end\n      criteria:\n      - condition: /a\n        context: $response.body\n        type: «jsonpointer\n")},
		{"unknown-criterion-version", Error, step("    onSuccess:\n    - name: found\n      type: end\n      criteria:\n      - condition: $.a\n        context: $response.body\n        type:\n          type: jsonpath\n          version: «rfc1234\n")},
		{"unknown-criterion-version", Error, step("    onSuccess:\n    - name: found\n      type: end\n      criteria:\n      - condition: '^2'\n        context: $statusCode\n        type:\n          type: regex\n          version: «pcre\n")},
		{"jsonpath-version", Warning, step("    onSuccess:\n    - name: found\n      type: end\n      criteria:\n      - condition: $.a\n        context: $response.body\n        type:\n          type: jsonpath\n          version: «draft-goessner-dispatch-jsonpath-00\n")},
		{"xpath-version", Warning, step("    onSuccess:\n    - name: found\n      type: end\n      criteria:\n      - condition: /a\n        context: $response.body\n        type:\n          type: xpath\n          version: «xpath-30\n")},
		{"invalid-regex", Error, step("    onSuccess:\n    - name: found\n      type: end\n      criteria:\n      - condition: «'^(?!x)'\n        context: $statusCode\n        type: regex\n")},
		{"invalid-jsonpath", Error, step("    onSuccess:\n    - name: found\n      type: end\n      criteria:\n      - condition: «$[?(\n        context: $response.body\n        type: jsonpath\n")},
		{"jsonpath-compat", Warning, step("    onSuccess:\n    - name: found\n      type: end\n      criteria:\n      - condition: «$.length > 0\n        context: $response.body\n        type: jsonpath\n")},
		{"invalid-xpath", Error, step("    onSuccess:\n    - name: found\n      type: end\n      criteria:\n      - condition: «/a[\n        context: $response.body\n        type:\n          type: xpath\n          version: xpath-10\n")},
		{"invalid-action-type", Error, step("    onSuccess:\n    - name: again\n      type: «retry\n")},
		{"action-target", Error, step("    onFailure:\n    - «name: jump\n      type: goto\n")},
		{"action-fields", Warning, step("    onFailure:\n    - name: stop\n      type: end\n      «retryLimit: 3\n")},
		{"invalid-retry", Error, step("    onFailure:\n    - name: again\n      type: retry\n      retryAfter: «-1\n")},
		{"duplicate-name", Error, step("    onFailure:\n    - name: stop\n      type: end\n    - «name: stop\n      type: end\n")},
		{"unknown-workflow", Error, step("    onFailure:\n    - name: jump\n      type: goto\n      workflowId: «nowhere\n")},
		{"unknown-component", Error, step("    onFailure:\n    - reference: «$components.failureActions.missing\n")},
		{"invalid-output-name", Error, header + strings.Replace(getPetStep, "      name: $response.body#/name\n", "      «bad name: $statusCode\n", 1)},
		{"requires-1.1", Warning, step("  - stepId: del\n    operationId: deletePet\n    «dependsOn: [getPet]\n    parameters:\n    - name: petId\n      in: path\n      value: x\n")},
		{"dependency-cycle", Error, strings.Replace(header, "1.0.1", "1.1.0", 1) +
			"  - stepId: a\n    operationId: deletePet\n    dependsOn: [b]\n    parameters:\n    - name: petId\n      in: path\n      value: x\n" +
			"  - stepId: b\n    operationId: deletePet\n    dependsOn: [«a]\n    parameters:\n    - name: petId\n      in: path\n      value: x\n"},
		{"ignored-in", Warning, step("- workflowId: caller\n  steps:\n  - stepId: call\n    workflowId: wf\n    parameters:\n    - name: petId\n      in: «query\n      value: x\n")},
		{"reusable-value", Warning, step("    onFailure:\n    - reference: $components.failureActions.stop\n      value: «1\ncomponents:\n  failureActions:\n    stop:\n      name: stop\n      type: end\n")},
		{"invalid-component-key", Error, header + getPetStep + "components:\n  parameters:\n    «bad key:\n      name: a\n      in: query\n      value: 1\n"},
		{"invalid-input-schema", Error, strings.Replace(header, "  inputs:\n    type: object\n", "  inputs:\n    «type: objekt\n", 1) + getPetStep},
		{"invalid-target", Error, step("  - stepId: create\n    operationId: createPet\n    parameters:\n    - name: X-Request-Id\n      in: header\n      value: r1\n    requestBody:\n      payload: {name: a}\n      replacements:\n      - target: «name\n        value: $inputs.petId\n")},
		{"source-load", Error, strings.Replace(header, "url: pets.yaml", "url: «missing.yaml", 1) + getPetStep},
		{"source-type", Error, strings.Replace(header, "type: openapi", "type: «graphql", 1) + getPetStep},

		// AsyncAPI steps (1.1), on the orders source of testdata/orders.asyncapi.yaml.
		// 1.1 l.437 action: "Possible values are "send" or "receive"" for asyncapi steps.
		{"missing-action", Error, asyncStep("  - stepId: place\n    operationId: «$sourceDescriptions.orders.placeOrder\n    requestBody:\n      payload: {petId: 1}\n")},
		{"missing-action", Error, asyncStep("  - stepId: audit\n    channelPath: «'{$sourceDescriptions.orders.url}#/channels/audit'\n")},
		{"invalid-action", Error, asyncStep("  - stepId: place\n    operationId: $sourceDescriptions.orders.placeOrder\n    action: «publish\n    requestBody:\n      payload: {petId: 1}\n")},
		// 1.1 l.436 correlationId: "Only applicable to asyncapi steps with action receive".
		{"ignored-correlation", Warning, asyncStep("  - stepId: place\n    operationId: $sourceDescriptions.orders.placeOrder\n    action: send\n    «correlationId: $inputs.petId\n    requestBody:\n      payload: {petId: 1}\n")},
		// 1.1 l.430 requestBody is what is passed to an operation; l.437 a receive step subscribes, so it passes nothing.
		{"unexpected-request-body", Warning, asyncStep("  - stepId: confirm\n    operationId: $sourceDescriptions.orders.confirmOrder\n    action: receive\n    «requestBody:\n      payload: {petId: 1}\n")},
		// 1.1 l.472: a send step sends a message; the async example (l.550–563) gives its payload in requestBody.payload.
		{"missing-request-body", Warning, asyncStep("  - stepId: place\n    operationId: «$sourceDescriptions.orders.placeOrder\n    action: send\n")},
		// 1.1 l.436: correlationId "has to be in-sync with correlationId defined in the AsyncAPI document"; the audit message defines none.
		{"no-correlation-location", Warning, asyncStep("  - stepId: audit\n    operationId: $sourceDescriptions.orders.readAudit\n    action: receive\n    «correlationId: $inputs.petId\n")},
		// 1.1 l.344: "asyncapi" is a 1.1 source type, and l.427/l.436/l.437 are 1.1 fields; a 1.0.1 document declares otherwise.
		{"requires-1.1", Warning, strings.Replace(asyncStep(""), "arazzo: 1.1.0", "arazzo: 1.0.1", 1) + "  - stepId: audit\n    operationId: «$sourceDescriptions.orders.readAudit\n    action: receive\n"},
		// 1.1 l.425: operationId names "an existing, resolvable operation ... within one of the sourceDescriptions".
		// 1.1 l.427: a channel's {parameters} need values; trama takes them from step parameters of that name.
		{"missing-channel-parameter", Warning, asyncStep("  - stepId: confirm\n    operationId: «$sourceDescriptions.orders.confirmOrder\n    action: receive\n")},
		// 1.1 l.300 and l.574 write $message.payload.orderId; the grammar (l.1364) wants payload#/orderId.
		{"dotted-path", Warning, asyncStep("  - stepId: audit\n    operationId: $sourceDescriptions.orders.readAudit\n    action: receive\n    outputs:\n      orderId: «$message.payload.orderId\n")},
		{"unknown-operation", Error, asyncStep("  - stepId: place\n    operationId: «$sourceDescriptions.orders.placeOrdr\n    action: send\n    requestBody:\n      payload: {petId: 1}\n")},
		{"unknown-operation", Error, asyncStep("  - stepId: audit\n    channelPath: «'{$sourceDescriptions.orders.url}#/channels/audits'\n    action: receive\n")},
		// 1.1 l.427 channelPath: "A reference to a Source Description Object combined with a JSON Pointer".
		{"unknown-source", Error, asyncStep("  - stepId: audit\n    channelPath: «'{$sourceDescriptions.events.url}#/channels/audit'\n    action: receive\n")},
		// 1.1 l.425: operationId "MUST be specified using a Runtime Expression (e.g., $sourceDescriptions.<name>.<operationId>)".
		{"operation-id-shorthand", Warning, asyncStep("  - stepId: audit\n    operationId: «orders.readAudit\n    action: receive\n")},
		// 1.1 l.426: operationPath is a source combined with a JSON Pointer; the spec's own example (l.283) writes an operationId there.
		{"operation-path-form", Warning, asyncStep("  - stepId: audit\n    operationPath: «$sourceDescriptions.orders.readAudit\n    action: receive\n")},
		// 1.1 l.427: "A Runtime Expression syntax MUST be used to identify the source description document" (embedded-expression "{" expression "}", l.1436).
		{"operation-path-unbraced", Warning, asyncStep("  - stepId: audit\n    channelPath: «$sourceDescriptions.orders.url#/channels/audit\n    action: receive\n")},
	}
	seen := make(map[string]bool)
	for _, tt := range tests {
		seen[tt.code] = true
		t.Run(tt.code, func(t *testing.T) {
			text, want := locate(t, tt.doc)
			if !want.IsValid() {
				t.Fatal("test document has no marker")
			}
			ds := loadText(t, text).Validate(ValidateOptions{})
			for _, d := range ds {
				if d.Code == tt.code && d.Line == want.Line && d.Col == want.Col {
					if d.Severity != tt.sev {
						t.Errorf("%s: severity %s, want %s", d, d.Severity, tt.sev)
					}
					if !strings.HasSuffix(d.File, "doc.yaml") {
						t.Errorf("%s: file %q, want the document", d, d.File)
					}
					return
				}
			}
			t.Errorf("want [%s] at %s; got:\n%s", tt.code, want, joinDiagnostics(ds))
		})
	}
	t.Logf("%d codes covered", len(seen))
}

// TestMissingDiscriminator: a literal body without the property an authority's schema picks the
// body's variant by is a warning at the payload; one that has it, or sets it by a replacement, is not.
func TestMissingDiscriminator(t *testing.T) {
	authority := func(src *Source, op *openapi.Operation) AuthorityFacts {
		if op.ID != "createPet" {
			return AuthorityFacts{}
		}
		return AuthorityFacts{Who: "the pet store's live description", BodyDiscriminator: "species"}
	}
	step := func(body string) string {
		return header + "  - stepId: create\n    operationId: createPet\n    parameters:\n    - name: X-Request-Id\n      in: header\n      value: r1\n" +
			"    requestBody:\n      contentType: application/json\n" + body
	}
	text, want := locate(t, step("      payload:\n        «name: Rex\n"))
	d := hasCode(loadText(t, text).Validate(ValidateOptions{Authority: authority}), "missing-discriminator")
	if d == nil || d.Severity != Warning || d.Line != want.Line ||
		!strings.Contains(d.Message, `step "create" sends a body without "species", which the pet store's live description requires of createPet (POST /pets)`) {
		t.Fatalf("want missing-discriminator at %s, got %v", want, d)
	}
	for _, body := range []string{
		"      payload:\n        name: Rex\n        species: dog\n",
		"      payload:\n        name: Rex\n      replacements:\n      - target: /species\n        value: dog\n",
		"      payload: $inputs.petId\n",
	} {
		if d := hasCode(loadText(t, step(body)).Validate(ValidateOptions{Authority: authority}), "missing-discriminator"); d != nil {
			t.Errorf("%q: %v", body, d)
		}
	}
}

// TestUndocumentedStatus: a criterion that pins a status the description does not document is a
// warning at the condition; so is one an Authority (the live API's own description) does not, even
// when the source agrees with it.
func TestUndocumentedStatus(t *testing.T) {
	text, want := locate(t, header+strings.Replace(getPetStep, "    - condition: $statusCode == 200", "    - condition: «$statusCode == 202", 1))
	b := loadText(t, text)
	d := hasCode(b.Validate(ValidateOptions{}), "undocumented-status")
	if d == nil || d.Severity != Warning || d.Line != want.Line || d.Col != want.Col ||
		!strings.Contains(d.Message, `expects status 202, but source "pets" documents 200 for getPet (GET /pets/{petId})`) {
		t.Fatalf("want undocumented-status at %s, got %v", want, d)
	}

	// The source documents 200; an authority that knows better says 204.
	b = loadText(t, header+getPetStep)
	authority := func(src *Source, op *openapi.Operation) AuthorityFacts {
		return AuthorityFacts{Statuses: []string{"204", "404"}, Who: "the pet store's live description"}
	}
	d = hasCode(b.Validate(ValidateOptions{Authority: authority}), "undocumented-status")
	if d == nil || !strings.Contains(d.Message, "the pet store's live description documents 204, 404") || !strings.Contains(d.Message, "is out of date") {
		t.Fatalf("authority: got %v", d)
	}
	// Ranges, default and conditions that do not pin the status are left alone.
	for _, cond := range []string{"$statusCode < 300", "$statusCode == 200 || $statusCode == 202", "$response.body#/name != null"} {
		b = loadText(t, header+strings.Replace(getPetStep, "$statusCode == 200", cond, 1))
		if d := hasCode(b.Validate(ValidateOptions{}), "undocumented-status"); d != nil {
			t.Errorf("%q: %v", cond, d)
		}
	}
}

// TestCriterionVersionsValidate: a criterion written for the version its Expression Type Object names
// (1.1 "Expression Type Object") validates as trama evaluates it: Goessner's [(@.length-1)] is accepted
// with a warning about the semantics, an XPath 2.0 construct trama cannot evaluate is an error.
func TestCriterionVersionsValidate(t *testing.T) {
	crit := func(cond, typ, version string) string {
		return header + getPetStep + "    onSuccess:\n    - name: found\n      type: end\n      criteria:\n      - condition: '" + cond +
			"'\n        context: $response.body\n        type:\n          type: " + typ + "\n          version: " + version + "\n"
	}
	ds := loadText(t, crit("$.tags[(@.length-1)]", "jsonpath", "draft-goessner-dispatch-jsonpath-00")).Validate(ValidateOptions{})
	if hasCode(ds, "invalid-jsonpath") != nil || hasCode(ds, "jsonpath-version") == nil {
		t.Errorf("Goessner script index:\n%s", joinDiagnostics(ds))
	}
	ds = loadText(t, crit("$.tags[(@.x + 1)]", "jsonpath", "draft-goessner-dispatch-jsonpath-00")).Validate(ValidateOptions{})
	if d := hasCode(ds, "invalid-jsonpath"); d == nil || !strings.Contains(d.Message, "JavaScript") {
		t.Errorf("Goessner script expression:\n%s", joinDiagnostics(ds))
	}
	ds = loadText(t, crit("if (/a) then 1 else 0", "xpath", "xpath-30")).Validate(ValidateOptions{})
	if d := hasCode(ds, "invalid-xpath"); d == nil || !strings.Contains(d.Message, "XPath 2.0+ feature trama does not support") {
		t.Errorf("XPath 2.0 construct:\n%s", joinDiagnostics(ds))
	}
}

// TestSelectorOnResponseMediaType: a selector whose type cannot read what the operation documents its
// responses carry is an error ("Selector Object": the context "MUST evaluate to structured data" the
// selector type applies to): xpath on JSON-only responses, jsonpath on XML-only ones.
func TestSelectorOnResponseMediaType(t *testing.T) {
	api := `openapi: 3.0.3
info: {title: shop, version: "1"}
paths:
  /orders:
    get:
      operationId: listOrders
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: array}}}}
        "400": {description: bad, content: {application/problem+json: {schema: {type: object}}}}
  /invoice:
    get:
      operationId: getInvoice
      responses:
        "200": {description: ok, content: {application/xml: {schema: {type: string}}}}
  /mixed:
    get:
      operationId: getMixed
      responses:
        "200": {description: ok, content: {application/json: {}, application/xml: {}}}
`
	doc := func(op, typ, sel string) string {
		return "arazzo: 1.1.0\ninfo: {title: t, version: \"1\"}\nsourceDescriptions:\n- {name: shop, url: shop.yaml, type: openapi}\n" +
			"workflows:\n- workflowId: wf\n  steps:\n  - stepId: s\n    operationId: " + op + "\n    outputs:\n      v:\n        context: $response.body\n" +
			"        selector: " + sel + "\n        type:\n          «type: " + typ + "\n          version: xpath-10\n"
	}
	load := func(text string) []Diagnostic {
		t.Helper()
		dir := writeFiles(t, map[string]string{"doc.yaml": text, "shop.yaml": api})
		b, err := (&Loader{}).Load(context.Background(), filepath.Join(dir, "doc.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		return b.Validate(ValidateOptions{})
	}
	text, want := locate(t, doc("listOrders", "xpath", "/orders/order"))
	d := hasCode(load(text), "selector-context")
	if d == nil || d.Line != want.Line || !strings.Contains(d.Message, "operation listOrders documents responses of application/json, application/problem+json only") {
		t.Errorf("xpath on JSON responses: %v", d)
	}
	text, _ = locate(t, strings.Replace(doc("getInvoice", "jsonpath", "$.total"), "          version: xpath-10\n", "", 1))
	if d := hasCode(load(text), "selector-context"); d == nil || !strings.Contains(d.Message, "which holds XML") {
		t.Errorf("jsonpath on XML responses: %v", d)
	}
	for _, text := range []string{doc("getInvoice", "xpath", "/invoice/total"), doc("getMixed", "xpath", "/a")} {
		text, _ = locate(t, text)
		if d := hasCode(load(text), "selector-context"); d != nil {
			t.Errorf("%v", d)
		}
	}
}

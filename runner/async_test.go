package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/runner"
)

// broker is an in-memory runner.Messenger, the test seam of AsyncAPI steps (the real transports are tested
// against NATS and the Okta emulator in their packages). Send records the message and queues it on its
// channel's address; Receive takes the first queued message on the step's channel that the step
// Correlates, waiting for one until the step's timeout (ErrNoMessage) or the context ends, or answering
// ErrNoMessage at once when noWait is set.
type broker struct {
	noWait bool
	err    error // Receive's answer, when set

	mu       sync.Mutex
	queued   map[string][]runner.Message
	sent     []sentMessage
	receives []runner.Receive
	wake     chan struct{}
}

type sentMessage struct {
	Channel runner.Channel
	Message runner.Message
}

func newBroker() *broker {
	return &broker{queued: map[string][]runner.Message{}, wake: make(chan struct{})}
}

// publish queues m on address, as another service would publish it.
func (b *broker) publish(address string, m runner.Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queued[address] = append(b.queued[address], m)
	close(b.wake)
	b.wake = make(chan struct{})
}

func (b *broker) Send(_ context.Context, ch runner.Channel, m runner.Message) error {
	b.mu.Lock()
	b.sent = append(b.sent, sentMessage{ch, m})
	b.mu.Unlock()
	b.publish(ch.Address, m)
	return nil
}

func (b *broker) Receive(ctx context.Context, r runner.Receive) (runner.Message, error) {
	b.mu.Lock()
	b.receives = append(b.receives, r)
	b.mu.Unlock()
	if b.err != nil {
		return runner.Message{}, b.err
	}
	var timeout <-chan time.Time
	if r.Timeout > 0 {
		t := time.NewTimer(r.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	for {
		b.mu.Lock()
		q := b.queued[r.Channel.Address]
		for i, m := range q {
			if r.Correlates(m) {
				b.queued[r.Channel.Address] = append(q[:i:i], q[i+1:]...)
				b.mu.Unlock()
				return m, nil
			}
		}
		wake := b.wake
		b.mu.Unlock()
		if b.noWait {
			return runner.Message{}, fmt.Errorf("%w on %s", runner.ErrNoMessage, r.Channel.Address)
		}
		select {
		case <-wake:
		case <-timeout:
			return runner.Message{}, runner.ErrNoMessage
		case <-ctx.Done():
			return runner.Message{}, ctx.Err()
		}
	}
}

// blocker is a Messenger whose Receive waits until its context ends, as a broker with no message does.
type blocker struct{ got chan runner.Receive }

func (b blocker) Send(context.Context, runner.Channel, runner.Message) error { return nil }
func (b blocker) Receive(ctx context.Context, r runner.Receive) (runner.Message, error) {
	b.got <- r
	<-ctx.Done()
	return runner.Message{}, ctx.Err()
}

// t0 is the clock of the async runs: a Receive's Since is the run's start.
var t0 = time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)

func runAsync(t *testing.T, workflow string, inputs map[string]any, m runner.Messenger) (*runner.Result, error) {
	t.Helper()
	b, err := (&arazzo.Loader{}).Load(context.Background(), "testdata/async.arazzo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range append(b.Diagnostics, b.Validate(arazzo.ValidateOptions{Strict: true})...) {
		if d.Severity == arazzo.Error {
			t.Fatalf("testdata has a validation error: %s", d)
		}
	}
	opts := runner.Options{Messenger: m, Now: func() time.Time { return t0 }}
	return runner.New(b, opts).Run(context.Background(), workflow, inputs)
}

func confirmation(id, status string, header map[string]string) runner.Message {
	return runner.Message{Payload: map[string]any{"order": map[string]any{"id": id, "status": status}}, Header: header,
		ContentType: "application/json"}
}

// TestAsyncSendAndReceive runs the 1.1 async step example's shape (1.1 l.550–575): a send step whose
// payload (with a Selector Object and a Payload Replacement) and `in: header` parameters become the
// message, on the channel address with its {region} filled from the step parameter of that name; then a
// receive step whose correlationId is evaluated from $inputs, whose correlation location comes from the
// AsyncAPI message, and whose successCriteria and outputs read $message.payload#/… and
// $message.header.X (1.1 l.1462–1463).
func TestAsyncSendAndReceive(t *testing.T) {
	b := newBroker()
	b.publish("orders.eu.confirmed", confirmation("o-2", "confirmed", nil)) // another order's: not this step's
	b.publish("orders.us.confirmed", confirmation("o-1", "rejected", nil))  // another region's channel
	b.publish("orders.eu.confirmed", confirmation("o-1", "confirmed", map[string]string{"x-confirmed-by": "kitchen"}))
	var routed []string
	route := runner.Route(func(ch runner.Channel) (runner.Messenger, error) {
		routed = append(routed, ch.Address)
		return b, nil
	})
	inputs := map[string]any{"region": "eu", "orderId": "o-1", "petId": json.Number("7"), "quantity": json.Number("3"),
		"customer": map[string]any{"name": "Ann"}}
	res, err := runAsync(t, "placeAndConfirm", inputs, route)
	if err != nil {
		t.Fatal(err)
	}
	wantSucceeded(t, res)

	if len(b.sent) != 1 {
		t.Fatalf("sent %d messages, want 1", len(b.sent))
	}
	sent := b.sent[0]
	wantCh := runner.Channel{Source: "orders", OperationID: "placeOrder", Address: "orders.eu.placed", Protocol: "nats", URL: "nats://127.0.0.1:4222"}
	if sent.Channel != wantCh {
		t.Errorf("sent on %+v, want %+v", sent.Channel, wantCh)
	}
	// Only `in: header` parameters are headers; region fills the address.
	if want := map[string]string{"correlationId": "o-1", "X-Trace": "trace-7"}; !reflect.DeepEqual(sent.Message.Header, want) {
		t.Errorf("header %v, want %v", sent.Message.Header, want)
	}
	wantPayload := map[string]any{"petId": json.Number("7"), "quantity": json.Number("3"), "customer": "Ann"}
	if !reflect.DeepEqual(sent.Message.Payload, wantPayload) {
		t.Errorf("payload %#v, want %#v", sent.Message.Payload, wantPayload)
	}
	if sent.Message.ContentType != "application/json" {
		t.Errorf("content type %q", sent.Message.ContentType)
	}

	if len(b.receives) != 1 {
		t.Fatalf("%d receives, want 1", len(b.receives))
	}
	r := b.receives[0]
	want := runner.Receive{WorkflowID: "placeAndConfirm", StepID: "confirm", Seq: 2,
		Channel:     runner.Channel{Source: "orders", OperationID: "confirmOrder", Address: "orders.eu.confirmed", Protocol: "nats", URL: "nats://127.0.0.1:4222"},
		Correlation: "o-1", CorrelationLocation: "$message.payload#/order/id", Since: t0, Timeout: 5 * time.Second,
		Header: map[string]string{"Authorization": "Bearer t0ken"}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("Receive\n%+v\nwant\n%+v", r, want)
	}
	if want := []string{"orders.eu.placed", "orders.eu.confirmed"}; !reflect.DeepEqual(routed, want) {
		t.Errorf("Route saw %v, want %v", routed, want)
	}
	// The message of another order is still there: correlation skipped it.
	if q := b.queued["orders.eu.confirmed"]; len(q) != 1 || q[0].Payload.(map[string]any)["order"].(map[string]any)["id"] != "o-2" {
		t.Errorf("left on the channel: %+v", q)
	}

	if res.Outputs["orderId"] != "o-1" || res.Outputs["confirmedBy"] != "kitchen" {
		t.Errorf("outputs %v", res.Outputs)
	}
	place := res.Steps[0]
	// $message of a send step is the message it sent.
	if place.Outputs["sentPetId"] != json.Number("7") || place.Outputs["sentTrace"] != "trace-7" {
		t.Errorf("send step outputs %v", place.Outputs)
	}
	if place.Request == nil || place.Request.Method != "SEND" || place.Request.URL != "nats://127.0.0.1:4222/orders.eu.placed" {
		t.Errorf("send step request %+v", place.Request)
	}
	if c := res.Steps[1]; c.Request == nil || c.Request.Method != "RECEIVE" || c.Request.URL != "nats://127.0.0.1:4222/orders.eu.confirmed" {
		t.Errorf("receive step request %+v", c.Request)
	}
	// The Authorization header is a credential: it reaches the Messenger, never the result.
	if j, _ := json.Marshal(res); strings.Contains(string(j), "t0ken") {
		t.Errorf("the credential is in the result: %s", j)
	}
}

// TestAsyncSuccessCriteriaOnMessage: a correlated message whose payload fails one of the step's
// successCriteria (the other, on $message.header, passes) fails the step (1.1 l.474: successCriteria "evaluate the received message payload ... and determine
// whether the step succeeded").
func TestAsyncSuccessCriteriaOnMessage(t *testing.T) {
	b := newBroker()
	b.publish("orders.eu.confirmed", confirmation("o-1", "rejected", map[string]string{"X-Confirmed-By": "kitchen"}))
	inputs := map[string]any{"region": "eu", "orderId": "o-1", "petId": json.Number("7"), "quantity": json.Number("2"), "customer": map[string]any{"name": "Ann"}}
	res, err := runAsync(t, "placeAndConfirm", inputs, b)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != runner.StatusFailed || res.Error == nil || res.Error.StepID != "confirm" {
		t.Fatalf("status %s, error %+v", res.Status, res.Error)
	}
	c := res.Steps[1]
	if len(c.Criteria) != 1 || c.Criteria[0].Condition != "$message.payload#/order/status == 'confirmed'" {
		t.Errorf("criteria %+v", c.Criteria)
	}
	if q := b.sent[0].Message.Payload.(map[string]any)["quantity"]; q != json.Number("2") {
		t.Errorf("quantity %v", q)
	}
}

// TestAsyncReceiveWithoutSuccessCriteria: "When successCriteria is omitted, receiving any message matching
// the correlationId (if specified) within the timeout period is considered a successful step completion"
// (1.1 l.481), whatever its payload says; and "only messages matching the correlation identifier are
// considered" (1.1 l.483).
func TestAsyncReceiveWithoutSuccessCriteria(t *testing.T) {
	b := newBroker()
	b.publish("orders.eu.confirmed", confirmation("o-9", "confirmed", nil))
	b.publish("orders.eu.confirmed", confirmation("o-5", "rejected", nil))
	res, err := runAsync(t, "anyCorrelated", map[string]any{"orderId": "o-5"}, b)
	if err != nil {
		t.Fatal(err)
	}
	wantSucceeded(t, res)
	if got := res.Steps[0].Outputs["status"]; got != "rejected" {
		t.Errorf("received status %v, want the correlated message's", got)
	}
	if r := b.receives[0]; r.Timeout != 0 || r.Correlation != "o-5" {
		t.Errorf("Receive %+v: a step without timeout leaves the Messenger's default", r)
	}
}

// TestAsyncChannelPath: a receive step that names its channel by channelPath (1.1 l.427) has no
// operation, and a message without a correlationId location lets every message match.
func TestAsyncChannelPath(t *testing.T) {
	b := newBroker()
	b.publish("orders.audit", runner.Message{Payload: map[string]any{"entry": "one"}})
	res, err := runAsync(t, "audit", nil, b)
	if err != nil {
		t.Fatal(err)
	}
	wantSucceeded(t, res)
	r := b.receives[0]
	if r.Channel.OperationID != "" || r.Channel.Address != "orders.audit" || r.Correlation != "" || r.CorrelationLocation != "" {
		t.Errorf("Receive %+v", r)
	}
	if got := res.Steps[0].Outputs["entry"]; !reflect.DeepEqual(got, map[string]any{"entry": "one"}) {
		t.Errorf("entry %v", got)
	}
}

// TestAsyncNoMessageFailureActions: "If no matching message is received within the timeout period, the
// step fails and triggers any defined onFailure actions" (1.1 l.483): a goto runs the step it names, an
// end ends the workflow.
func TestAsyncNoMessageFailureActions(t *testing.T) {
	b := newBroker()
	b.noWait = true
	b.publish("orders.eu.confirmed", confirmation("o-2", "confirmed", nil)) // not correlated
	res, err := runAsync(t, "noMessageGoto", nil, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := stepIDs(res); got != "confirm,complain" {
		t.Fatalf("steps %s, want confirm,complain", got)
	}
	wantSucceeded(t, res)
	if c := res.Steps[0]; c.Status != runner.StatusFailed || !strings.Contains(c.Error, "no matching message arrived") {
		t.Errorf("confirm: %s %q", c.Status, c.Error)
	}
	if len(b.sent) != 1 || b.sent[0].Channel.Address != "orders.eu.placed" || b.sent[0].Channel.OperationID != "" {
		t.Errorf("the goto target sent %+v", b.sent)
	}

	res, err = runAsync(t, "noMessageEnd", nil, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := stepIDs(res); got != "confirm" {
		t.Errorf("steps %s, want confirm only", got)
	}
	if res.Status != runner.StatusFailed || res.Error == nil || res.Error.StepID != "confirm" ||
		!strings.Contains(res.Error.Message, "no matching message arrived") || !strings.Contains(res.Error.Message, `failure action "giveUp" ended the workflow`) {
		t.Errorf("status %s, error %+v", res.Status, res.Error)
	}
}

// TestAsyncMessageLater: a Messenger that answers ErrMessageLater (trama serve, waiting durably) stops the
// run; Run's error is a *MessagePending that says which receive waits.
func TestAsyncMessageLater(t *testing.T) {
	b := newBroker()
	b.err = fmt.Errorf("inbox: %w", runner.ErrMessageLater)
	_, err := runAsync(t, "anyCorrelated", map[string]any{"orderId": "o-5"}, b)
	var p *runner.MessagePending
	if !errors.As(err, &p) {
		t.Fatalf("Run error %v (%T), want a *MessagePending", err, err)
	}
	r := p.Receive
	if r.WorkflowID != "anyCorrelated" || r.StepID != "confirm" || r.Seq != 1 || r.Correlation != "o-5" ||
		r.Channel.Address != "orders.eu.confirmed" || r.CorrelationLocation != "$message.payload#/order/id" {
		t.Errorf("pending %+v", r)
	}
	if msg := err.Error(); !strings.Contains(msg, `workflow "anyCorrelated" waits for a message on orders.eu.confirmed`) || !strings.Contains(msg, `(step "confirm")`) {
		t.Errorf("error %q", msg)
	}
}

// TestAsyncWithoutMessenger: with no Messenger configured an async step fails, saying so.
func TestAsyncWithoutMessenger(t *testing.T) {
	for _, wf := range []string{"anyCorrelated", "noMessageGoto"} {
		res, err := runAsync(t, wf, map[string]any{"orderId": "o-5"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != runner.StatusFailed || res.Error == nil || !strings.Contains(res.Error.Message, "no message transport is configured") {
			t.Errorf("%s: status %s, error %+v", wf, res.Status, res.Error)
		}
	}
	// A send step too.
	res, err := runAsync(t, "placeAndConfirm", map[string]any{"region": "eu", "orderId": "o-1", "petId": json.Number("1"), "customer": map[string]any{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Error == nil || res.Error.StepID != "place" || !strings.Contains(res.Error.Message, `step "place" sends on orders.{region}.placed, but no message transport is configured`) {
		t.Errorf("send without a Messenger: %+v", res.Error)
	}
}

// TestAsyncStepTimeout: the step's timeout ("The maximum number of milli-seconds to wait for the step to
// complete before aborting and failing the step", 1.1 l.435) ends a Messenger's wait; the step fails
// saying no matching message arrived.
func TestAsyncStepTimeout(t *testing.T) {
	m := blocker{got: make(chan runner.Receive, 1)}
	start := time.Now()
	res, err := runAsync(t, "shortTimeout", nil, m)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a 100 ms step took %s", took)
	}
	if r := <-m.got; r.Timeout != 100*time.Millisecond {
		t.Errorf("Receive.Timeout %s", r.Timeout)
	}
	if res.Status != runner.StatusFailed || res.Error == nil || !strings.Contains(res.Error.Message, "no matching message arrived") ||
		!strings.Contains(res.Error.Message, "100 ms") {
		t.Errorf("status %s, error %+v", res.Status, res.Error)
	}
}

// TestAsyncMissingChannelParameter: a channel address parameter no step parameter fills fails the step,
// naming it.
func TestAsyncMissingChannelParameter(t *testing.T) {
	b := newBroker()
	res, err := runAsync(t, "missingChannelParameter", nil, b)
	if err != nil {
		t.Fatal(err)
	}
	if res.Error == nil || !strings.Contains(res.Error.Message, `channel "orders.{region}.confirmed" has the parameter {region}: give it as a step parameter named "region"`) {
		t.Errorf("error %+v", res.Error)
	}
	if len(b.receives) != 0 {
		t.Errorf("received on an unfilled channel: %+v", b.receives)
	}
}

// TestReceiveCorrelates reads the correlation locations AsyncAPI writes ($message.header#/correlationId,
// $message.payload#/a/b) and Arazzo's forms ($message.header.X, 1.1 l.1462; $message.payload#/x,
// l.1463); header names compare without regard to case (RFC 9110, as 1.1 l.588 notes for headers).
func TestReceiveCorrelates(t *testing.T) {
	m := runner.Message{
		Header:  map[string]string{"CorrelationID": "c-1", "a/b": "slash", "t~x": "tilde"},
		Payload: map[string]any{"a": map[string]any{"b": "p-1", "n": json.Number("42")}, "list": []any{"x", "y"}},
	}
	tests := []struct {
		correlation, location string
		want                  bool
	}{
		{"c-1", "$message.header#/correlationId", true},
		{"c-1", "$message.header.correlationId", true},
		{"c-1", "$message.header.CORRELATIONID", true},
		{"c-1", " $message.header#/correlationId ", true},
		{"c-2", "$message.header#/correlationId", false},
		{"slash", "$message.header#/a~1b", true},
		{"slash", "$message.header.a/b", true},
		{"tilde", "$message.header#/t~0x", true},
		{"p-1", "$message.payload#/a/b", true},
		{"p-2", "$message.payload#/a/b", false},
		{"42", "$message.payload#/a/n", true}, // a number compares as its text
		{"y", "$message.payload#/list/1", true},
		{"p-1", "$message.payload#/a/missing", false}, // missing location: false
		{"p-1", "$message.payload#/list/7", false},
		{"c-1", "$message.header#/missing", false},
		{"c-1", "$message.payload", false}, // an object is no correlation id
		{"c-1", "$message.body#/a", false},
		{"c-1", "$response.header.correlationId", false},
		{"c-1", "$message.headers#/correlationId", false},
		{"", "$message.header#/correlationId", true}, // no correlation: any message
		{"c-1", "", true},                            // no location: the Messenger decides
	}
	for _, tt := range tests {
		r := runner.Receive{Correlation: tt.correlation, CorrelationLocation: tt.location}
		if got := r.Correlates(m); got != tt.want {
			t.Errorf("Correlates(%q at %q) = %v, want %v", tt.correlation, tt.location, got, tt.want)
		}
	}
	// A message without headers or payload carries nothing at any location.
	r := runner.Receive{Correlation: "c-1", CorrelationLocation: "$message.header#/correlationId"}
	if r.Correlates(runner.Message{}) {
		t.Error("an empty message correlates")
	}
	r.CorrelationLocation = "$message.payload"
	if !(runner.Receive{Correlation: "text", CorrelationLocation: "$message.payload"}).Correlates(runner.Message{Payload: "text"}) {
		t.Error("a text payload that is the correlation id does not correlate")
	}
	if r.Correlates(runner.Message{}) {
		t.Error("a nil payload correlates")
	}
}

// TestChannelString names the operation when there is one.
func TestChannelString(t *testing.T) {
	if got := (runner.Channel{Source: "orders", OperationID: "placeOrder", Address: "orders.eu.placed"}).String(); got != "orders.eu.placed (operation placeOrder of source orders)" {
		t.Errorf("%q", got)
	}
	if got := (runner.Channel{Source: "orders", Address: "orders.audit"}).String(); got != "orders.audit (source orders)" {
		t.Errorf("%q", got)
	}
}

// TestAsyncSendJSONTextWithReplacement: a payload written as JSON text is a JSON value to its Payload
// Replacements (1.1 "Payload Replacement Object": targets are applied to the payload), as an HTTP step's
// request body is.
func TestAsyncSendJSONTextWithReplacement(t *testing.T) {
	b := newBroker()
	res, err := runAsync(t, "sendJSONText", nil, b)
	if err != nil {
		t.Fatal(err)
	}
	wantSucceeded(t, res)
	want := map[string]any{"petId": json.Number("1"), "quantity": 5}
	if got := b.sent[0].Message.Payload; !reflect.DeepEqual(got, want) {
		t.Errorf("payload %#v, want %#v", got, want)
	}
}

// TestChannelParameterValues: a parameter value fills one part of a channel's address; a value that would
// name other channels (a wildcard, on NATS a "." that adds subject tokens) is refused before anything is
// sent or received.
func TestChannelParameterValues(t *testing.T) {
	for _, region := range []string{"*", ">", "eu.west", "e u"} {
		b := newBroker()
		res, err := runAsync(t, "placeAndConfirm", map[string]any{"region": region, "orderId": "o-1", "petId": json.Number("1"),
			"customer": map[string]any{}}, b)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status == runner.StatusSucceeded || len(b.sent) != 0 || !strings.Contains(res.Error.Message, `parameter "region"`) {
			t.Errorf("region %q: %s, %d sent: %+v", region, res.Status, len(b.sent), res.Error)
		}
	}
}

// TestAsyncReceiveSince: a receive step listens from the run's start, and a resumed run (RunOptions.Since,
// when it first started) from that earlier time, so a message sent while no attempt ran is still its.
func TestAsyncReceiveSince(t *testing.T) {
	b, err := (&arazzo.Loader{}).Load(context.Background(), "testdata/async.arazzo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	first := t0.Add(-time.Hour)
	for _, tt := range []struct {
		since, want time.Time
	}{
		{time.Time{}, t0},
		{first, first},
		{t0.Add(time.Hour), t0}, // a Since after the start is no earlier start
	} {
		m := newBroker()
		m.err = runner.ErrMessageLater
		_, err := runner.New(b, runner.Options{Now: func() time.Time { return t0 }}).RunWith(context.Background(),
			"anyCorrelated", map[string]any{"orderId": "o-5"}, runner.RunOptions{Messenger: m, Since: tt.since})
		var p *runner.MessagePending
		if !errors.As(err, &p) || !p.Receive.Since.Equal(tt.want) {
			t.Errorf("Since %v: pending %+v, %v; want Since %v", tt.since, p, err, tt.want)
		}
	}
}

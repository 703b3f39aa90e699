package natsbroker_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/trama-dev/trama/natsbroker"
	"github.com/trama-dev/trama/runner"
)

// serverURL returns the test server's URL (TRAMA_TEST_NATS_URL, else the local default), skipping the test
// when nothing listens there.
func serverURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("TRAMA_TEST_NATS_URL")
	if u == "" {
		u = "nats://127.0.0.1:4222"
	}
	pu, err := url.Parse(u)
	if err != nil || pu.Host == "" {
		t.Fatalf("TRAMA_TEST_NATS_URL %q is not a nats:// URL", u)
	}
	host := pu.Host
	if pu.Port() == "" {
		host = net.JoinHostPort(pu.Hostname(), "4222")
	}
	c, err := net.DialTimeout("tcp", host, 2*time.Second)
	if err != nil {
		t.Skipf("no NATS server at %s (%v): start one with `nats-server -js` (JetStream on) or set TRAMA_TEST_NATS_URL", host, err)
	}
	c.Close()
	return u
}

// unique returns a name for this test that no other test or user of the shared server has.
func unique(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(t.Name(), "_")
	return name + "_" + hex.EncodeToString(b)
}

// subjectFor returns a subject of this test's own.
func subjectFor(t *testing.T) string { return "trama.test." + unique(t) }

// newMessenger returns a Messenger closed when the test ends.
func newMessenger(t *testing.T) *natsbroker.Messenger {
	m := natsbroker.New(natsbroker.Options{})
	t.Cleanup(func() { m.Close() })
	return m
}

// withStream creates a memory stream storing subject for the test, deleted when it ends.
func withStream(t *testing.T, u, subject string) jetstream.Stream {
	t.Helper()
	nc, err := nats.Connect(u, nats.Name("trama-test"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	name := "TRAMA_TEST_" + strings.ToUpper(unique(t))
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:     name,
		Subjects: []string{subject},
		Storage:  jetstream.MemoryStorage,
		MaxAge:   5 * time.Minute,
	})
	if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) || errors.Is(err, nats.ErrNoResponders) {
		t.Skipf("the NATS server at %s has no JetStream (%v): start it with `nats-server -js`", u, err)
	}
	if err != nil {
		t.Fatalf("create stream %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := js.DeleteStream(ctx, name); err != nil {
			t.Errorf("delete stream %s: %v", name, err)
		}
	})
	return stream
}

func channel(u, subject string) runner.Channel {
	return runner.Channel{Source: "orders", Address: subject, Protocol: "nats", URL: u}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestJetStreamSendThenReceive: a message published after the step started but before Receive was called
// is received from the stream, with its payload (numbers kept exact), headers and stream sequence.
func TestJetStreamSendThenReceive(t *testing.T) {
	u := serverURL(t)
	subj := subjectFor(t)
	stream := withStream(t, u, subj)
	m := newMessenger(t)
	ctx := ctxFor(t)
	ch := channel(u, subj)

	since := time.Now()
	payload := map[string]any{"orderId": "o-1", "amount": json.Number("12345678901234567890.25"), "items": []any{json.Number("1"), "x<y"}}
	if err := m.Send(ctx, ch, runner.Message{Payload: payload, Header: map[string]string{"X-Trace": "t-1"}}); err != nil {
		t.Fatal(err)
	}
	got, err := m.Receive(ctx, runner.Receive{WorkflowID: "w", StepID: "s", Channel: ch, Since: since, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p, ok := got.Payload.(map[string]any)
	if !ok {
		t.Fatalf("payload = %#v; want an object", got.Payload)
	}
	if p["amount"] != json.Number("12345678901234567890.25") || p["orderId"] != "o-1" {
		t.Errorf("payload = %#v", p)
	}
	if items, _ := p["items"].([]any); len(items) != 2 || items[0] != json.Number("1") || items[1] != "x<y" {
		t.Errorf("items = %#v", p["items"])
	}
	if got.Header["X-Trace"] != "t-1" || got.Header["Content-Type"] != "application/json" {
		t.Errorf("header = %v", got.Header)
	}
	if got.ContentType != "application/json" {
		t.Errorf("content type = %q", got.ContentType)
	}
	if got.ID != "1" {
		t.Errorf("ID = %q; want the stream sequence 1", got.ID)
	}

	// A message published before Since is not for the step.
	_, err = m.Receive(ctx, runner.Receive{Channel: ch, Since: time.Now(), Timeout: 200 * time.Millisecond})
	if !errors.Is(err, runner.ErrNoMessage) {
		t.Errorf("receive after the only message: err = %v; want ErrNoMessage", err)
	}

	// Receive deleted its consumers.
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Consumers != 0 {
		t.Errorf("the stream has %d consumers left", info.State.Consumers)
	}
}

// TestTextPayload: a string payload with a text content type travels as its bytes.
func TestTextPayload(t *testing.T) {
	u := serverURL(t)
	subj := subjectFor(t)
	withStream(t, u, subj)
	m := newMessenger(t)
	ctx := ctxFor(t)
	ch := channel(u, subj)
	since := time.Now()
	if err := m.Send(ctx, ch, runner.Message{Payload: `{"not": "parsed"}`, ContentType: "text/plain; charset=utf-8"}); err != nil {
		t.Fatal(err)
	}
	got, err := m.Receive(ctx, runner.Receive{Channel: ch, Since: since, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if got.Payload != `{"not": "parsed"}` || got.ContentType != "text/plain; charset=utf-8" {
		t.Errorf("got %#v", got)
	}
}

// TestCorrelation: a message that does not carry the step's correlation id is skipped and the one that
// does is returned, with the id in a header and in the payload.
func TestCorrelation(t *testing.T) {
	u := serverURL(t)
	cases := []struct {
		name, location string
		msg            func(id string) runner.Message
	}{
		{"header", "$message.header.correlationId", func(id string) runner.Message {
			return runner.Message{Payload: map[string]any{"n": id}, Header: map[string]string{"correlationId": id}}
		}},
		{"payload", "$message.payload#/order/id", func(id string) runner.Message {
			return runner.Message{Payload: map[string]any{"order": map[string]any{"id": id}, "n": id}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			subj := subjectFor(t)
			withStream(t, u, subj)
			m := newMessenger(t)
			ctx := ctxFor(t)
			ch := channel(u, subj)
			since := time.Now()
			for _, id := range []string{"other", "mine"} {
				if err := m.Send(ctx, ch, c.msg(id)); err != nil {
					t.Fatal(err)
				}
			}
			got, err := m.Receive(ctx, runner.Receive{Channel: ch, Since: since, Timeout: 10 * time.Second,
				Correlation: "mine", CorrelationLocation: c.location})
			if err != nil {
				t.Fatal(err)
			}
			if p, _ := got.Payload.(map[string]any); p["n"] != "mine" || got.ID != "2" {
				t.Errorf("got %#v (ID %s); want the second message, mine", got.Payload, got.ID)
			}
		})
	}
}

// TestTimeout: with nothing to receive, Receive gives up after the step's timeout with ErrNoMessage, on a
// stream and on core NATS.
func TestTimeout(t *testing.T) {
	u := serverURL(t)
	for _, stream := range []bool{true, false} {
		name := "core"
		if stream {
			name = "jetstream"
		}
		t.Run(name, func(t *testing.T) {
			subj := subjectFor(t)
			if stream {
				withStream(t, u, subj)
			}
			m := newMessenger(t)
			start := time.Now()
			_, err := m.Receive(ctxFor(t), runner.Receive{Channel: channel(u, subj), Since: start, Timeout: 200 * time.Millisecond})
			if !errors.Is(err, runner.ErrNoMessage) {
				t.Fatalf("err = %v; want ErrNoMessage", err)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Receive took %s with a 200ms timeout", took)
			}
			if !strings.Contains(err.Error(), subj) || !strings.Contains(err.Error(), "200ms") {
				t.Errorf("error does not name the subject and timeout: %v", err)
			}
		})
	}
}

// TestCoreNATS: without a stream, a message sent while the receiver listens is received; the receiver is
// listening before the message is sent.
func TestCoreNATS(t *testing.T) {
	u := serverURL(t)
	subj := subjectFor(t)
	m := newMessenger(t)
	ctx := ctxFor(t)
	ch := channel(u, subj)
	listening := make(chan struct{}, 1)
	natsbroker.OnSubscribed(m, func(string) { listening <- struct{}{} })
	type result struct {
		msg runner.Message
		err error
	}
	done := make(chan result, 1)
	go func() {
		msg, err := m.Receive(ctx, runner.Receive{Channel: ch, Since: time.Now(), Timeout: 15 * time.Second,
			Correlation: "c-2", CorrelationLocation: "$message.payload#/id"})
		done <- result{msg, err}
	}()
	select {
	case <-listening:
	case r := <-done:
		t.Fatalf("Receive returned before listening: %v", r.err)
	}
	for _, id := range []string{"c-1", "c-2"} {
		if err := m.Send(ctx, ch, runner.Message{Payload: map[string]any{"id": id, "n": json.Number("7")}}); err != nil {
			t.Fatal(err)
		}
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if p, _ := r.msg.Payload.(map[string]any); p["id"] != "c-2" || p["n"] != json.Number("7") {
		t.Errorf("payload = %#v", r.msg.Payload)
	}
	if r.msg.ID != "" {
		t.Errorf("ID = %q; want none from core NATS", r.msg.ID)
	}
}

// TestCancel: Receive returns promptly with the context's error when the context is cancelled.
func TestCancel(t *testing.T) {
	u := serverURL(t)
	for _, stream := range []bool{true, false} {
		name := "core"
		if stream {
			name = "jetstream"
		}
		t.Run(name, func(t *testing.T) {
			subj := subjectFor(t)
			if stream {
				withStream(t, u, subj)
			}
			m := newMessenger(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			natsbroker.OnSubscribed(m, func(string) { cancel() })
			start := time.Now()
			_, err := m.Receive(ctx, runner.Receive{Channel: channel(u, subj), Since: start, Timeout: time.Minute})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v; want context.Canceled", err)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("Receive took %s after its context was cancelled", took)
			}
		})
	}
	// Already cancelled: nothing is attempted.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := newMessenger(t)
	if err := m.Send(ctx, channel(u, subjectFor(t)), runner.Message{Payload: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context: err = %v", err)
	}
}

// TestBadAddress: addresses NATS cannot use fail before anything is sent, naming the address. No server
// is needed.
func TestBadAddress(t *testing.T) {
	m := newMessenger(t)
	ctx := context.Background()
	u := "nats://127.0.0.1:1" // never dialled
	for _, addr := range []string{"", "orders placed", "orders.*", "orders.>", "orders..placed", ".orders", "orders.{id}", "orders\n"} {
		err := m.Send(ctx, channel(u, addr), runner.Message{Payload: "x"})
		if err == nil {
			t.Errorf("Send to %q succeeded", addr)
			continue
		}
		if addr != "" && !strings.Contains(err.Error(), strings.TrimSpace(addr)) {
			t.Errorf("Send to %q: error does not name the address: %v", addr, err)
		}
		if strings.Contains(err.Error(), "connect") {
			t.Errorf("Send to %q tried to connect: %v", addr, err)
		}
	}
	for _, addr := range []string{"", "a b", "a.>.b", "a..b"} {
		_, err := m.Receive(ctx, runner.Receive{Channel: channel(u, addr), Timeout: time.Second})
		if err == nil || errors.Is(err, runner.ErrNoMessage) {
			t.Errorf("Receive on %q: err = %v; want an address error", addr, err)
		}
	}
}

// TestErrorsHideThePassword: a server that cannot be reached fails with an error naming it without the
// URL's credentials. No server is needed.
func TestErrorsHideThePassword(t *testing.T) {
	const pw = "Sup3r-s3cret-pa55"
	m := newMessenger(t)
	for _, u := range []string{"nats://trama:" + pw + "@127.0.0.1:1", "nats://" + pw + "@127.0.0.1:1"} {
		err := m.Send(context.Background(), channel(u, "orders.placed"), runner.Message{Payload: "x"})
		if err == nil {
			t.Fatalf("Send to %s succeeded", u)
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("error holds the password: %v", err)
		}
		if !strings.Contains(err.Error(), "nats://127.0.0.1:1") || !strings.Contains(err.Error(), "orders.placed") {
			t.Errorf("error does not name the server and subject: %v", err)
		}
	}
	if err := m.Send(context.Background(), channel("", "orders.placed"), runner.Message{}); err == nil || !strings.Contains(err.Error(), "no NATS server URL") {
		t.Errorf("Send without a URL: err = %v", err)
	}
}

// TestClosed: after Close, Send fails.
func TestClosed(t *testing.T) {
	m := natsbroker.New(natsbroker.Options{})
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), channel("nats://127.0.0.1:1", "orders.placed"), runner.Message{}); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Send after Close: err = %v", err)
	}
}

package natsbroker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/trama-dev/trama/runner"
)

// Send publishes msg on the subject of ch's address: through JetStream when a stream stores the subject
// (Send returns once the stream acknowledged it), else on core NATS followed by a flush.
func (m *Messenger) Send(ctx context.Context, ch runner.Channel, msg runner.Message) error {
	subj, err := subject(ch.Address, true)
	if err != nil {
		return fmt.Errorf("send on channel %s: %w", ch, err)
	}
	data, ct, err := encode(msg)
	if err != nil {
		return fmt.Errorf("send on NATS subject %q: %w", subj, err)
	}
	hdr, err := header(msg.Header, ct)
	if err != nil {
		return fmt.Errorf("send on NATS subject %q: %w", subj, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("send on NATS subject %q: %w", subj, err)
	}
	nc, js, srv, err := m.conn(ch)
	if err != nil {
		return fmt.Errorf("send on NATS subject %q: %w", subj, err)
	}
	stream, err := streamFor(ctx, js, subj)
	if err != nil {
		return fmt.Errorf("send on NATS subject %q at %s: %w", subj, srv, err)
	}
	nm := &nats.Msg{Subject: subj, Header: hdr, Data: data}
	if stream != "" {
		pctx, cancel := withDefaultDeadline(ctx)
		defer cancel()
		ack, err := js.PublishMsg(pctx, nm)
		if err != nil {
			return fmt.Errorf("publish on NATS subject %q to JetStream stream %s at %s: %w", subj, stream, srv, err)
		}
		m.log.Debug("sent a NATS message through JetStream", "server", srv, "subject", subj, "stream", ack.Stream, "seq", ack.Sequence)
		return nil
	}
	if err := nc.PublishMsg(nm); err != nil {
		return fmt.Errorf("publish on NATS subject %q at %s: %w", subj, srv, err)
	}
	fctx, cancel := withDefaultDeadline(ctx)
	defer cancel()
	if err := nc.FlushWithContext(fctx); err != nil {
		return fmt.Errorf("publish on NATS subject %q at %s: flush: %w", subj, srv, err)
	}
	m.log.Debug("sent a NATS message", "server", srv, "subject", subj)
	return nil
}

// Receive returns the first message on the subject of r.Channel's address, published at or after
// r.Since, that r.Correlates; messages that do not correlate are skipped. It waits up to r.Timeout (or
// the Messenger's default) from when it is called, then returns an error wrapping runner.ErrNoMessage.
func (m *Messenger) Receive(ctx context.Context, r runner.Receive) (runner.Message, error) {
	start := time.Now()
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = m.timeout
	}
	subj, err := subject(r.Channel.Address, false)
	if err != nil {
		return runner.Message{}, fmt.Errorf("receive on channel %s: %w", r.Channel, err)
	}
	if err := ctx.Err(); err != nil {
		return runner.Message{}, fmt.Errorf("receive on NATS subject %q: %w", subj, err)
	}
	nc, js, srv, err := m.conn(r.Channel)
	if err != nil {
		return runner.Message{}, fmt.Errorf("receive on NATS subject %q: %w", subj, err)
	}
	fail := func(err error) (runner.Message, error) {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = cerr // the caller gave up; what failed since is a consequence
		}
		return runner.Message{}, fmt.Errorf("receive on NATS subject %q at %s: %w", subj, srv, err)
	}
	stream, err := streamFor(ctx, js, subj)
	if err != nil {
		return fail(err)
	}

	wait, cancel := context.WithDeadline(ctx, start.Add(timeout))
	defer cancel()
	var next func() (runner.Message, error)
	if stream != "" {
		n, stop, err := m.consume(ctx, wait, js, stream, subj, r.Since)
		if err != nil {
			return fail(fmt.Errorf("JetStream stream %s: %w", stream, err))
		}
		defer stop()
		next = n
	} else {
		sub, err := nc.SubscribeSync(subj)
		if err != nil {
			return fail(fmt.Errorf("subscribe: %w", err))
		}
		defer func() { _ = sub.Unsubscribe() }()
		// The server must know the subscription before the peer sends: flush it.
		fctx, fcancel := withDefaultDeadline(ctx)
		err = nc.FlushWithContext(fctx)
		fcancel()
		if err != nil {
			return fail(fmt.Errorf("subscribe: flush: %w", err))
		}
		next = func() (runner.Message, error) {
			nm, err := sub.NextMsgWithContext(wait)
			if err != nil {
				return runner.Message{}, err
			}
			return decode(nm.Data, nm.Header, ""), nil
		}
	}
	if m.subscribed != nil {
		m.subscribed(subj)
	}

	for {
		msg, err := next()
		if err != nil {
			if ctx.Err() != nil {
				return fail(ctx.Err())
			}
			if wait.Err() != nil {
				return runner.Message{}, fmt.Errorf("%w: nothing on NATS subject %q at %s within %s", runner.ErrNoMessage, subj, srv, timeout)
			}
			return fail(err)
		}
		if !r.Correlates(msg) {
			m.log.Debug("skipped a NATS message that does not correlate", "server", srv, "subject", subj, "id", msg.ID,
				"workflow", r.WorkflowID, "step", r.StepID, "correlation", r.Correlation, "location", r.CorrelationLocation)
			continue
		}
		m.log.Debug("received a NATS message", "server", srv, "subject", subj, "id", msg.ID, "workflow", r.WorkflowID, "step", r.StepID)
		return msg, nil
	}
}

// consume reads stream's messages on subj published at or after since (from now when since is zero)
// with an ordered consumer. next returns them until wait is done; stop ends the reading and deletes the
// consumer.
func (m *Messenger) consume(ctx, wait context.Context, js jetstream.JetStream, stream, subj string, since time.Time) (next func() (runner.Message, error), stop func(), err error) {
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{subj},
		DeliverPolicy:     jetstream.DeliverNewPolicy,
		InactiveThreshold: consumerInactive,
	}
	if !since.IsZero() {
		cfg.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		cfg.OptStartTime = &since
	}
	cctx, cancel := withDefaultDeadline(ctx)
	cons, err := js.OrderedConsumer(cctx, stream, cfg)
	cancel()
	if err != nil {
		return nil, nil, fmt.Errorf("create a consumer: %w", err)
	}
	remove := func() {
		info := cons.CachedInfo()
		if info == nil {
			return
		}
		// The caller's context may be done already: deleting is housekeeping, bounded on its own.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := js.DeleteConsumer(dctx, stream, info.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			m.log.Debug("could not delete a JetStream consumer; the server removes it when inactive",
				"stream", stream, "consumer", info.Name, "error", err)
		}
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(64))
	if err != nil {
		remove()
		return nil, nil, fmt.Errorf("read the consumer: %w", err)
	}
	// Next honours wait; stopping the iterator as well ends a consumer reset nats.go might be retrying.
	unhook := context.AfterFunc(wait, it.Stop)
	next = func() (runner.Message, error) {
		jm, err := it.Next(jetstream.NextContext(wait))
		if err != nil {
			return runner.Message{}, err
		}
		id := ""
		if md, err := jm.Metadata(); err == nil {
			id = strconv.FormatUint(md.Sequence.Stream, 10)
		}
		return decode(jm.Data(), jm.Headers(), id), nil
	}
	stop = func() {
		unhook()
		it.Stop()
		remove()
	}
	return next, stop, nil
}

// subject checks that a channel address can be used as a NATS subject: to publish on when send is set,
// else to subscribe to (where "*" and ">" are wildcards).
func subject(address string, send bool) (string, error) {
	if address == "" {
		return "", errors.New("the channel address is empty; NATS needs a subject")
	}
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("the channel address %q is not a NATS subject: %s", address, why)
	}
	for _, c := range address {
		if unicode.IsSpace(c) || unicode.IsControl(c) {
			return bad("it contains white space or a control character")
		}
	}
	if strings.ContainsAny(address, "{}") {
		return bad("a channel parameter is not filled in")
	}
	tokens := strings.Split(address, ".")
	for i, t := range tokens {
		switch {
		case t == "":
			return bad(`it has an empty token (a leading, trailing or doubled ".")`)
		case send && (t == "*" || t == ">"):
			return bad(`it has a wildcard ("*" or ">"); messages are published on a subject without wildcards`)
		case t == ">" && i != len(tokens)-1:
			return bad(`the wildcard ">" may only be its last token`)
		}
	}
	return address, nil
}

// isJSON reports whether a content type is JSON; empty is, being the AsyncAPI default.
func isJSON(ct string) bool {
	if strings.TrimSpace(ct) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(strings.ToLower(ct), ";")
		mt = strings.TrimSpace(mt)
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// contentType returns m's content type: its ContentType, else its Content-Type header, else JSON.
func contentType(m runner.Message) string {
	if m.ContentType != "" {
		return m.ContentType
	}
	for k, v := range m.Header {
		if strings.EqualFold(k, "Content-Type") && v != "" {
			return v
		}
	}
	return "application/json"
}

// encode returns msg's payload as bytes, with its content type.
func encode(msg runner.Message) ([]byte, string, error) {
	ct := contentType(msg)
	if isJSON(ct) {
		if msg.Payload == nil {
			return nil, ct, nil
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(msg.Payload); err != nil {
			return nil, ct, fmt.Errorf("encode the payload as %s: %w", ct, err)
		}
		return bytes.TrimSuffix(b.Bytes(), []byte("\n")), ct, nil
	}
	switch p := msg.Payload.(type) {
	case nil:
		return nil, ct, nil
	case string:
		return []byte(p), ct, nil
	case []byte:
		return p, ct, nil
	}
	return nil, ct, fmt.Errorf("a payload of type %T cannot be sent as %s: only JSON content types encode values, others need text", msg.Payload, ct)
}

// header returns the NATS headers of a message: h and Content-Type.
func header(h map[string]string, ct string) (nats.Header, error) {
	out := make(nats.Header, len(h)+1)
	for k, v := range h {
		if k == "" || strings.ContainsFunc(k, func(c rune) bool { return c == ':' || c <= ' ' || c == 0x7f }) {
			return nil, fmt.Errorf("the header name %q cannot be sent in NATS: it is empty or holds a colon, white space or a control character", k)
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("the value of header %q cannot be sent in NATS: it holds a line break", k)
		}
		if strings.EqualFold(k, "Content-Type") {
			continue
		}
		out.Set(k, v)
	}
	out.Set("Content-Type", ct)
	return out, nil
}

// decode turns a received message into a runner.Message: a JSON payload (its numbers as json.Number)
// when its content type is JSON or absent and the bytes are JSON, else the text.
func decode(data []byte, h nats.Header, id string) runner.Message {
	msg := runner.Message{ID: id}
	if len(h) > 0 {
		msg.Header = make(map[string]string, len(h))
		for k, vs := range h {
			if len(vs) > 0 {
				msg.Header[k] = vs[0]
			}
			if strings.EqualFold(k, "Content-Type") && len(vs) > 0 {
				msg.ContentType = vs[0]
			}
		}
	}
	if len(data) == 0 {
		return msg
	}
	if isJSON(msg.ContentType) {
		if v, ok := decodeJSON(data); ok {
			msg.Payload = v
			return msg
		}
		if msg.ContentType == "" {
			// Not JSON, and nothing claimed it was: say what it is.
			msg.ContentType = "text/plain"
			if !utf8.Valid(data) {
				msg.ContentType = "application/octet-stream"
			}
		}
	}
	msg.Payload = string(data)
	return msg
}

func decodeJSON(data []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

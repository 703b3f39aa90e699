package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trama-dev/trama/jsonpointer"
)

// Steps that reference an AsyncAPI operation or channel (Arazzo 1.1) send or receive a message instead of
// an HTTP exchange. The runner resolves the channel and evaluates the payload, headers and correlation; a
// Messenger, chosen per source description, moves the message.

// Message is what an AsyncAPI step sends or received: `$message.payload` and `$message.header`.
type Message struct {
	// Payload is the decoded body: JSON values (numbers as json.Number) or, for other content types,
	// the text.
	Payload any
	// Header holds the message headers, one value each (Arazzo: "single header values only").
	Header map[string]string
	// ContentType is the payload's media type; empty means application/json.
	ContentType string
	// ID names the message where the transport has an id (an Okta event's uuid, a JetStream sequence);
	// it is shown in the history and in errors, never used for matching.
	ID string
}

// Channel is the AsyncAPI operation and channel an asynchronous step uses, resolved from its source
// description.
type Channel struct {
	// Source is the source description's name in the Arazzo document.
	Source string
	// OperationID is the AsyncAPI operation's id; empty when the step names a channel by channelPath.
	OperationID string
	// Address is the channel's address with its parameters filled in (AsyncAPI 2.x: the channel's key;
	// 3.0: its address), e.g. "orders.confirmed" or "okta/events/user.mfa.factor.activate".
	Address string
	// Protocol and URL are the source's server: "nats" and "nats://127.0.0.1:4222", or as overridden by
	// Options.Servers.
	Protocol string
	URL      string
}

func (c Channel) String() string {
	if c.OperationID != "" {
		return fmt.Sprintf("%s (operation %s of source %s)", c.Address, c.OperationID, c.Source)
	}
	return fmt.Sprintf("%s (source %s)", c.Address, c.Source)
}

// Receive is what a receive step waits for.
type Receive struct {
	WorkflowID string
	StepID     string
	// Seq is the step execution's sequence number in the run (the checkpoint's), stable when a run
	// resumes, so a message delivered to a waiting run is given to the same execution.
	Seq     int
	Channel Channel
	// Correlation is the value of the step's correlationId; empty when the step has none and any
	// message on the channel will do.
	Correlation string
	// CorrelationLocation is where a message carries its correlation id, as the AsyncAPI message's
	// correlationId.location declares it: a runtime expression such as "$message.header#/correlationId"
	// or "$message.payload#/orderId". Empty when the message declares none; the Messenger then applies
	// its channel's own rule (Okta's events: any target id) or, having none, matches every message.
	CorrelationLocation string
	// Since is when the run (this attempt of it) started: messages published before it are not for this
	// step; messages published after it, even before the step began listening, are.
	Since time.Time
	// Timeout is the step's timeout; 0 means the Messenger's default wait.
	Timeout time.Duration
	// Header are the step's `in: header` parameters: transports that poll (Okta's System Log) send them
	// with each request, so a workflow's Authorization reaches the API it polls.
	Header map[string]string
}

// Correlates reports whether m carries r's correlation id at r.CorrelationLocation. It is true when r has
// no correlation or no location (the Messenger decides then), and false when the location is absent from
// m.
func (r Receive) Correlates(m Message) bool {
	if r.Correlation == "" || r.CorrelationLocation == "" {
		return true
	}
	v, ok := messageValue(m, r.CorrelationLocation)
	if !ok {
		return false
	}
	s, err := scalarText(v)
	return err == nil && s == r.Correlation
}

// messageValue evaluates a correlationId location on m. AsyncAPI writes locations in its own runtime
// expression form, `$message.header#/correlationId` or `$message.payload#/order/id` (a JSON Pointer
// after `#`); Arazzo's forms, `$message.header.correlationId` and `$message.payload#/order/id`, are read
// too. Header names compare without regard to case.
func messageValue(m Message, location string) (any, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(location), "$message.")
	if !ok {
		return nil, false
	}
	var source, pointer string
	switch {
	case strings.HasPrefix(rest, "header"):
		source, rest = "header", strings.TrimPrefix(rest, "header")
	case strings.HasPrefix(rest, "payload"):
		source, rest = "payload", strings.TrimPrefix(rest, "payload")
	default:
		return nil, false
	}
	switch {
	case rest == "":
	case strings.HasPrefix(rest, "#"):
		pointer = rest[1:]
	case strings.HasPrefix(rest, "."):
		pointer = "/" + strings.ReplaceAll(strings.ReplaceAll(rest[1:], "~", "~0"), "/", "~1")
	default:
		return nil, false
	}
	if source == "header" {
		name, _, _ := strings.Cut(strings.TrimPrefix(pointer, "/"), "/")
		name = strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
		for k, v := range m.Header {
			if strings.EqualFold(k, name) {
				return v, true
			}
		}
		return nil, false
	}
	if pointer == "" {
		return m.Payload, m.Payload != nil
	}
	v, found, err := jsonpointer.Get(m.Payload, pointer)
	return v, found && err == nil
}

// Messenger moves the messages of AsyncAPI steps over one transport: a broker (NATS), or Okta's event
// stream (the System Log in trama run, the event-hook inbox in trama serve).
type Messenger interface {
	// Send publishes m on ch. Arazzo does not model acknowledgement: the step succeeds when Send returns
	// nil.
	Send(ctx context.Context, ch Channel, m Message) error
	// Receive returns the first message on r.Channel, published at or after r.Since, that r.Correlates
	// (and, without a location, that the transport's own rule correlates). It returns ErrNoMessage when
	// r.Timeout passes first, and ErrMessageLater, when the run should stop and wait durably for the
	// message (trama serve), instead of blocking.
	Receive(ctx context.Context, r Receive) (Message, error)
}

// ErrNoMessage is Receive's error when no correlated message arrived within the step's timeout: the
// step fails and its onFailure actions apply.
var ErrNoMessage = errors.New("no matching message arrived before the step's timeout")

// ErrMessageLater is Receive's error when the message will be delivered to the run later: the run stops
// before the step finishes and Run returns a *MessagePending. Running it again with the same
// Checkpointer resumes at the same step.
var ErrMessageLater = errors.New("the message will be delivered later")

// MessagePending is Run's error when a Messenger answered ErrMessageLater.
type MessagePending struct {
	Receive Receive
}

func (e *MessagePending) Error() string {
	return fmt.Sprintf("workflow %q waits for a message on %s (step %q)", e.Receive.WorkflowID, e.Receive.Channel, e.Receive.StepID)
}

package natsbroker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/trama-dev/trama/runner"
)

// Options configure a Messenger.
type Options struct {
	// Logger receives connection events and, at debug level, each message sent, received or skipped.
	// Nil discards them.
	Logger *slog.Logger
	// DefaultTimeout is how long a receive step without a timeout of its own waits; 0 means 30 s.
	DefaultTimeout time.Duration
	// Connect opens a connection to a server URL (which may hold several URLs separated by commas, as
	// nats.Connect takes them). Nil means nats.Connect with the client name "trama" and a 5 s connect
	// timeout.
	Connect func(url string) (*nats.Conn, error)
}

const (
	defaultTimeout = 30 * time.Second
	connectTimeout = 5 * time.Second
	// requestTimeout bounds the flushes and JetStream API requests made for one Send or Receive when the
	// caller's context has no deadline.
	requestTimeout = 5 * time.Second
	// consumerInactive is when the server removes a consumer Receive could not delete (the process died
	// while waiting).
	consumerInactive = time.Minute
)

// Messenger is a runner.Messenger over NATS and JetStream. It is safe for concurrent use.
type Messenger struct {
	log     *slog.Logger
	timeout time.Duration
	connect func(string) (*nats.Conn, error)

	mu      sync.Mutex
	closed  bool
	servers map[string]*server

	// subscribed, when set (by tests), is called once Receive listens on a subject.
	subscribed func(subject string)
}

// server is the connection to one server URL, opened on first use.
type server struct {
	mu   sync.Mutex
	name string // the URL without credentials, for messages
	nc   *nats.Conn
	js   jetstream.JetStream
}

var _ runner.Messenger = (*Messenger)(nil)

// New returns a Messenger. It connects to nothing until a step sends or receives.
func New(opts Options) *Messenger {
	m := &Messenger{
		log:     opts.Logger,
		timeout: opts.DefaultTimeout,
		connect: opts.Connect,
		servers: map[string]*server{},
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.timeout <= 0 {
		m.timeout = defaultTimeout
	}
	if m.connect == nil {
		m.connect = m.defaultConnect
	}
	return m
}

func (m *Messenger) defaultConnect(u string) (*nats.Conn, error) {
	name := redact(u)
	return nats.Connect(u,
		nats.Name("trama"),
		nats.Timeout(connectTimeout),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				m.log.Warn("NATS connection lost", "server", name, "error", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { m.log.Info("NATS connection restored", "server", name) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			m.log.Warn("NATS error", "server", name, "subject", subject, "error", err)
		}),
	)
}

// Close closes the Messenger's connections; Send and Receive fail afterwards. Receives waiting on them
// return an error.
func (m *Messenger) Close() error {
	m.mu.Lock()
	m.closed = true
	servers := m.servers
	m.servers = nil
	m.mu.Unlock()
	for _, s := range servers {
		s.mu.Lock()
		if s.nc != nil {
			s.nc.Close()
			s.nc, s.js = nil, nil
		}
		s.mu.Unlock()
	}
	return nil
}

var errClosed = errors.New("the NATS messenger is closed")

// conn returns the connection to ch's server, connecting on first use or when the last connection was
// closed for good.
func (m *Messenger) conn(ch runner.Channel) (*nats.Conn, jetstream.JetStream, string, error) {
	u := strings.TrimSpace(ch.URL)
	if u == "" {
		return nil, nil, "", fmt.Errorf("channel %s has no NATS server URL", ch)
	}
	if p := strings.ToLower(ch.Protocol); p != "" && p != "nats" {
		return nil, nil, "", fmt.Errorf("channel %s uses protocol %q at %s; this messenger speaks nats", ch, ch.Protocol, redact(u))
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, nil, redact(u), errClosed
	}
	s := m.servers[u]
	if s == nil {
		s = &server{name: redact(u)}
		m.servers[u] = s
	}
	m.mu.Unlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nc != nil && !s.nc.IsClosed() {
		return s.nc, s.js, s.name, nil
	}
	nc, err := m.connect(u)
	if err != nil {
		return nil, nil, s.name, fmt.Errorf("connect to NATS server %s: %w", s.name, scrub(err, u))
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, s.name, fmt.Errorf("JetStream context for NATS server %s: %w", s.name, err)
	}
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		nc.Close()
		return nil, nil, s.name, errClosed
	}
	m.log.Debug("connected to NATS", "server", s.name)
	s.nc, s.js = nc, js
	return nc, js, s.name, nil
}

// streamFor names the JetStream stream that stores subject, or "" when none does or the server has no
// JetStream.
func streamFor(ctx context.Context, js jetstream.JetStream, subject string) (string, error) {
	ctx, cancel := withDefaultDeadline(ctx)
	defer cancel()
	name, err := js.StreamNameBySubject(ctx, subject)
	switch {
	case err == nil:
		return name, nil
	case errors.Is(err, jetstream.ErrStreamNotFound),
		errors.Is(err, nats.ErrNoResponders), // no JetStream on the server
		errors.Is(err, jetstream.ErrJetStreamNotEnabled),
		errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount):
		return "", nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		err = fmt.Errorf("%w (%w)", err, ctxErr)
	}
	return "", fmt.Errorf("look up the JetStream stream of the subject: %w", err)
}

// withDefaultDeadline gives ctx a deadline of requestTimeout when it has none (nats.go's flush needs one).
func withDefaultDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, requestTimeout)
}

// redact returns a server URL (or a comma-separated list of them) without the user information: a NATS
// URL may carry a user and password or a token.
func redact(u string) string {
	parts := strings.Split(u, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if pu, err := url.Parse(p); err == nil && pu.Host != "" {
			if pu.User != nil {
				pu.User = nil
				p = pu.String()
			}
		} else if at := strings.LastIndex(p, "@"); at >= 0 {
			// Not a URL url.Parse understands: drop whatever precedes the last "@" after the scheme.
			start := 0
			if s := strings.Index(p, "://"); s >= 0 && s < at {
				start = s + 3
			}
			p = p[:start] + p[at+1:]
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}

// scrub removes u's credentials from err's text, should the client library have quoted them, keeping err
// in the chain.
func scrub(err error, u string) error {
	msg := err.Error()
	clean := msg
	for _, p := range strings.Split(u, ",") {
		pu, perr := url.Parse(strings.TrimSpace(p))
		if perr != nil || pu.User == nil {
			continue
		}
		if pw, ok := pu.User.Password(); ok && pw != "" {
			clean = strings.ReplaceAll(clean, pw, "***")
		} else if tok := pu.User.Username(); len(tok) >= 4 { // a token; shorter ones would mangle the text
			clean = strings.ReplaceAll(clean, tok, "***")
		}
	}
	if clean == msg {
		return err
	}
	return &scrubbed{msg: clean, err: err}
}

type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

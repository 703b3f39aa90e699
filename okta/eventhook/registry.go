package eventhook

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trama-dev/trama/okta"
)

// Defaults of Config.
const (
	// DefaultTimeout is Okta's timeout for verification and delivery requests.
	DefaultTimeout = 3 * time.Second
	// DefaultBatchWindow is how long a hook waits after an event before delivering, so events
	// published close together share one delivery as on Okta, without slowing the demo noticeably.
	DefaultBatchWindow = 50 * time.Millisecond
	// DefaultMaxBatch bounds the events of one delivery. Okta documents no maximum; 50 keeps envelopes
	// small for receivers with body limits.
	DefaultMaxBatch = 50
	// UserAgent is the User-Agent of verification and delivery requests. Okta does not document its
	// own, so trama names itself.
	UserAgent = "trama-okta-emulator (event hooks)"
)

// Config configures a Registry. Every field is optional.
type Config struct {
	// BaseURL is the org URL, such as "http://127.0.0.1:8080" without a trailing slash. Deliveries name
	// their hook by it in the envelope's source ({BaseURL}/api/v1/eventHooks/{id}).
	BaseURL string
	// Now is the emulator's clock for created, lastUpdated, eventTime and published; default time.Now.
	// Timeouts always use real time.
	Now func() time.Time
	// HTTPClient sends verification and delivery requests; default a client with no timeout of its own
	// (Timeout applies per request) that does not follow redirects, as Okta does not.
	HTTPClient *http.Client
	// AllowHTTP accepts http:// URIs whose host is loopback (127.0.0.0/8, ::1, localhost). Real Okta
	// requires https://; default false.
	AllowHTTP bool
	// NewID returns hook IDs; default "who" followed by 17 random base62 characters, Okta's shape.
	NewID func() string
	// Emit receives the event_hook.* System Log events: created, updated, activated, deactivated,
	// deleted and verified synchronously on the calling goroutine, delivery (a failed delivery) from a
	// delivery goroutine. Each event has eventType, displayMessage, severity, outcome, published,
	// version, target (the hook) and debugContext set; the caller completes uuid, actor, client,
	// request, authenticationContext, securityContext and, when nil, transaction, then appends it to
	// the System Log. Emit must not block for long; it may call Publish. Default: events are dropped.
	Emit func(okta.LogEvent)
	// BatchWindow is how long a hook collects events before delivering them in one envelope; default
	// DefaultBatchWindow. A negative value delivers without waiting; events queued while a delivery is
	// in flight still share the next one.
	BatchWindow time.Duration
	// MaxBatch bounds the events of one delivery; default DefaultMaxBatch.
	MaxBatch int
	// Timeout bounds each verification and delivery request; default DefaultTimeout (3 s), Okta's.
	Timeout time.Duration
	// Logger receives delivery diagnostics; default slog.Default(). Secrets are never logged.
	Logger *slog.Logger
}

// Registry holds event hooks and delivers events to them. It is safe for concurrent use.
type Registry struct {
	cfg    Config
	ctx    context.Context // cancelled by Close; bounds every outgoing request
	cancel context.CancelFunc

	mu       sync.Mutex
	hooks    map[string]*Hook
	order    []string // creation order, the order of List
	queues   map[string]*queue
	attempts []DeliveryAttempt
	pending  int           // events queued or being delivered
	idle     chan struct{} // closed while pending == 0
	closed   bool
	workers  sync.WaitGroup
}

// NewRegistry returns an empty Registry. Call Close to stop its delivery goroutines.
func NewRegistry(cfg Config) *Registry {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.NewID == nil {
		cfg.NewID = newHookID
	}
	if cfg.Emit == nil {
		cfg.Emit = func(okta.LogEvent) {}
	}
	if cfg.BatchWindow == 0 {
		cfg.BatchWindow = DefaultBatchWindow
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	ctx, cancel := context.WithCancel(context.Background())
	idle := make(chan struct{})
	close(idle)
	return &Registry{cfg: cfg, ctx: ctx, cancel: cancel, hooks: map[string]*Hook{}, queues: map[string]*queue{}, idle: idle}
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func newHookID() string {
	var b [17]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = base62[int(b[i])%len(base62)]
	}
	return "who" + string(b[:])
}

func (r *Registry) now() time.Time { return r.cfg.Now().UTC() }

func notFound(id string) error {
	return okta.NewError("E0000007", "Not found: Resource not found: "+id+" (EventHook)")
}

// Create registers a hook as Okta does: ACTIVE and UNVERIFIED, whatever the input says. createdBy is
// the ID of the user the API token belongs to.
func (r *Registry) Create(ctx context.Context, in Input, createdBy string) (Hook, error) {
	if err := in.validate(r.cfg.AllowHTTP); err != nil {
		return Hook{}, err
	}
	now := r.now().Truncate(time.Second)
	h := Hook{
		ID: r.cfg.NewID(), Name: in.Name, Description: in.Description,
		Status: StatusActive, VerificationStatus: Unverified,
		Created: now, CreatedBy: createdBy, LastUpdated: now,
		Events: cloneEvents(in.Events), Channel: cloneChannel(in.Channel), filters: in.filters,
	}
	r.mu.Lock()
	r.hooks[h.ID] = &h
	r.order = append(r.order, h.ID)
	out := h.clone()
	r.mu.Unlock()
	r.emitLifecycle("event_hook.created", "Event hook created", out)
	return out, nil
}

// Get returns a hook, or 404 E0000007 "Not found: Resource not found: {id} (EventHook)".
func (r *Registry) Get(id string) (Hook, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, ok := r.hooks[id]
	if !ok {
		return Hook{}, notFound(id)
	}
	return h.clone(), nil
}

// List returns every hook in creation order.
func (r *Registry) List() []Hook {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Hook, 0, len(r.order))
	for _, id := range r.order {
		out = append(out, r.hooks[id].clone())
	}
	return out
}

// Replace replaces the name, description, events and channel of a hook. A changed channel makes the
// hook UNVERIFIED again, as Okta requires a new verification. Okta never returns the auth scheme's
// value, so a client that read the hook and writes it back cannot send it: an omitted value with an
// unchanged key keeps the stored one.
func (r *Registry) Replace(ctx context.Context, id string, in Input) (Hook, error) {
	if err := in.validate(r.cfg.AllowHTTP); err != nil {
		return Hook{}, err
	}
	r.mu.Lock()
	h, ok := r.hooks[id]
	if !ok {
		r.mu.Unlock()
		return Hook{}, notFound(id)
	}
	ch := cloneChannel(in.Channel)
	if a, old := ch.Config.AuthScheme, h.Channel.Config.AuthScheme; a != nil && a.Value == "" && old != nil &&
		strings.EqualFold(a.Key, old.Key) {
		a.Value = old.Value
	}
	if !channelEqual(h.Channel, ch) {
		h.VerificationStatus = Unverified
	}
	h.Name, h.Description, h.Events, h.Channel = in.Name, in.Description, cloneEvents(in.Events), ch
	h.filters = in.filters
	h.LastUpdated = r.now().Truncate(time.Second)
	out := h.clone()
	r.mu.Unlock()
	r.emitLifecycle("event_hook.updated", "Event hook updated", out)
	return out, nil
}

// Delete removes an INACTIVE hook. An ACTIVE hook is refused with 400 E0000001, since Okta only
// deletes inactive hooks; events still queued for a deleted hook are dropped.
func (r *Registry) Delete(id string) error {
	r.mu.Lock()
	h, ok := r.hooks[id]
	if !ok {
		r.mu.Unlock()
		return notFound(id)
	}
	if h.Status != StatusInactive {
		r.mu.Unlock()
		return okta.NewError("E0000001", "Api validation failed: eventHook",
			"eventHook: Event hook "+id+" is ACTIVE; deactivate it before deleting it")
	}
	out := h.clone()
	delete(r.hooks, id)
	r.order = slices.DeleteFunc(r.order, func(x string) bool { return x == id })
	r.mu.Unlock()
	r.emitLifecycle("event_hook.deleted", "Event hook deleted", out)
	return nil
}

// Activate sets a hook ACTIVE. A VERIFIED hook that would become the 26th active and verified hook
// of the org is refused with 400 E0000001.
func (r *Registry) Activate(id string) (Hook, error) {
	return r.setStatus(id, StatusActive, "event_hook.activated", "Event hook activated")
}

// Deactivate sets a hook INACTIVE; it stops receiving events.
func (r *Registry) Deactivate(id string) (Hook, error) {
	return r.setStatus(id, StatusInactive, "event_hook.deactivated", "Event hook deactivated")
}

func (r *Registry) setStatus(id, status, eventType, message string) (Hook, error) {
	r.mu.Lock()
	h, ok := r.hooks[id]
	if !ok {
		r.mu.Unlock()
		return Hook{}, notFound(id)
	}
	if h.Status != status {
		if status == StatusActive && h.VerificationStatus == Verified {
			if err := r.checkActiveLimitLocked(); err != nil {
				r.mu.Unlock()
				return Hook{}, err
			}
		}
		h.Status = status
		h.LastUpdated = r.now().Truncate(time.Second)
	}
	out := h.clone()
	r.mu.Unlock()
	r.emitLifecycle(eventType, message, out)
	return out, nil
}

// checkActiveLimitLocked refuses a 26th active and verified hook.
func (r *Registry) checkActiveLimitLocked() error {
	n := 0
	for _, h := range r.hooks {
		if h.Active() {
			n++
		}
	}
	if n >= maxActive {
		return okta.NewError("E0000001", "Api validation failed: eventHook",
			"eventHook: The org already has the maximum of 25 active and verified event hooks")
	}
	return nil
}

// Snapshot returns every hook in creation order, auth values included, for --state files.
func (r *Registry) Snapshot() []Hook { return r.List() }

// Restore replaces every hook with hooks, as saved by Snapshot. Queued deliveries for hooks that are
// gone are dropped when their turn comes. A saved filter that no longer compiles (state written before
// filters were evaluated accepted any object) is kept as saved and not applied, with a warning, so the
// hook goes on receiving what it received before.
func (r *Registry) Restore(hooks []Hook) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hooks = map[string]*Hook{}
	r.order = nil
	for _, h := range hooks {
		c := h.clone()
		filters, causes := compileFilter(c.Events.Filter, c.Events.Items)
		c.filters = filters
		if len(causes) > 0 {
			r.cfg.Logger.Warn("event hook filter not applied", "hook", c.ID, "reason", causes[0].msg)
		}
		if _, dup := r.hooks[c.ID]; !dup {
			r.order = append(r.order, c.ID)
		}
		r.hooks[c.ID] = &c
	}
}

func (h *Hook) clone() Hook {
	c := *h
	c.Events = cloneEvents(h.Events)
	c.Channel = cloneChannel(h.Channel)
	return c
}

func cloneEvents(e Events) Events {
	e.Items = slices.Clone(e.Items)
	if e.Items == nil {
		e.Items = []string{}
	}
	e.Filter = slices.Clone(e.Filter)
	return e
}

func cloneChannel(c Channel) Channel {
	c.Config.Headers = slices.Clone(c.Config.Headers)
	if c.Config.Headers == nil {
		c.Config.Headers = []Header{}
	}
	if c.Config.AuthScheme != nil {
		a := *c.Config.AuthScheme
		c.Config.AuthScheme = &a
	}
	return c
}

func channelEqual(a, b Channel) bool {
	if a.Type != b.Type || a.Version != b.Version || a.Config.URI != b.Config.URI ||
		!slices.Equal(a.Config.Headers, b.Config.Headers) {
		return false
	}
	x, y := a.Config.AuthScheme, b.Config.AuthScheme
	if x == nil || y == nil {
		return x == y
	}
	return *x == *y
}

// emitLifecycle hands an event_hook.* event about h to Config.Emit.
func (r *Registry) emitLifecycle(eventType, message string, h Hook) {
	r.cfg.Emit(r.hookEvent(eventType, message, h, "SUCCESS", "", nil))
}

// hookEvent builds the part of an event_hook.* LogEvent that the Registry knows.
func (r *Registry) hookEvent(eventType, message string, h Hook, result, reason string, debug map[string]any) okta.LogEvent {
	severity := "INFO"
	if result != "SUCCESS" {
		severity = "WARN"
	}
	if debug == nil {
		debug = map[string]any{}
	}
	return okta.LogEvent{
		EventType:      eventType,
		DisplayMessage: message,
		Severity:       severity,
		Outcome:        &okta.Outcome{Result: result, Reason: reason},
		Published:      okta.Time{Time: r.now()},
		Version:        "0",
		Target: []okta.Target{{
			ID: h.ID, Type: "EventHook", AlternateID: h.Name, DisplayName: h.Name,
			DetailEntry: map[string]any{"uri": h.Channel.Config.URI},
		}},
		DebugContext: &okta.DebugContext{DebugData: debug},
	}
}

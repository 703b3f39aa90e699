// Package server composes `trama serve`: the event-hook receivers, the queue that turns events into
// workflow runs, System Log backfill, the history API, /metrics and /healthz, over one store.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trama-dev/trama/alert"
	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/console"
	"github.com/trama-dev/trama/hook"
	"github.com/trama-dev/trama/metrics"
	"github.com/trama-dev/trama/natsbroker"
	"github.com/trama-dev/trama/queue"
	"github.com/trama-dev/trama/ratelimit"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/postgres"
	"github.com/trama-dev/trama/store/sqlite"
	"github.com/trama-dev/trama/tracing"
	"github.com/trama-dev/trama/trigger"
	"github.com/trama-dev/trama/worker"
)

// Options tune a Server beyond its configuration file. The zero value is what `trama serve` uses.
type Options struct {
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// HTTPClient sends the workflows' requests and trama's own Okta calls; nil uses a default client.
	HTTPClient *http.Client
	// Env reads environment variables for $env in triggers; nil means os.LookupEnv.
	Env func(string) (string, bool)
	// SQLite and Postgres tune the store's driver.
	SQLite   sqlite.Options
	Postgres postgres.Options
	// Queue tunes the queue beyond the configuration's runs section, which it overrides field by field
	// where set (tests shorten retries and polling).
	Queue queue.Options
	// Runner bounds each run (timeouts, max steps).
	Runner runner.Options
	// OnRunFinished is called after each run's outcome is stored.
	OnRunFinished func(store.Run, *runner.Result)
	// OnAck is called with how long each accepted event-hook delivery took to acknowledge.
	OnAck func(time.Duration)
	// AlertEvery is how often queued alerts are looked for; 0 means a second (tests shorten it).
	AlertEvery time.Duration
}

// Server is one `trama serve` process.
type Server struct {
	cfg     *config.Config
	opts    Options
	store   *store.Store
	queue   *queue.Queue
	metrics *metrics.Metrics
	worker  *worker.Worker
	console *console.Console
	handler http.Handler
	logger  *slog.Logger
	// received are the Okta event types the triggers' workflows receive in AsyncAPI steps ("*": any).
	received []string

	mu         sync.Mutex
	lastCounts store.Counts
	depthAt    time.Time

	// URL and stop are set by Start.
	URL  string
	stop func() error
}

// Open opens the configured store (running its migrations), compiles the triggers, prepares the queue
// and builds the HTTP handler. Settings that cannot work are refused here, with the reason. Close
// releases the store.
func Open(ctx context.Context, cfg *config.Config, opts Options) (*Server, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	st, err := OpenStore(ctx, cfg.Store, StoreOptions{SQLite: opts.SQLite, Postgres: opts.Postgres, Logger: logger})
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, opts: opts, store: st, logger: logger}
	s.metrics = metrics.New(s.queueDepth)
	s.metrics.CountsFrom(func() float64 { return float64(s.counts().Coalesced) },
		func() float64 { return float64(s.counts().HeldByConcurrency) })

	// The matcher resolves trama's own Okta identity (ignoreActor: self) from the okta section, with its
	// own timeout, unless the caller supplies the client trama's calls go through.
	var mopts []trigger.Option
	if cfg.Okta != nil && opts.HTTPClient != nil {
		mopts = append(mopts, trigger.SelfActor(trigger.OktaIdentity(opts.HTTPClient, cfg.Okta)))
	}
	matcher, err := trigger.NewMatcher(cfg, mopts...)
	if err != nil {
		st.Close()
		return nil, err
	}
	ropts := opts.Runner
	if len(cfg.Servers) > 0 {
		merged := make(map[string]string, len(cfg.Servers)+len(ropts.Servers))
		for k, v := range cfg.Servers {
			merged[k] = v
		}
		for k, v := range ropts.Servers {
			merged[k] = v
		}
		ropts.Servers = merged
	}
	conns, err := connections(cfg, opts.HTTPClient)
	if err != nil {
		st.Close()
		return nil, err
	}
	s.worker = &worker.Worker{
		Store: st, Matcher: matcher, Config: cfg, Env: opts.Env, HTTPClient: budgeted(opts.HTTPClient, s.metrics), Connections: conns,
		RunnerOptions: ropts, Logger: logger, Metrics: s.metrics, OnRunFinished: opts.OnRunFinished,
		// AsyncAPI steps on a broker's channels; it connects only when a workflow first uses one.
		Messenger: natsbroker.New(natsbroker.Options{Logger: logger}),
	}
	s.queue, err = queue.New(st, s.worker.Handlers(), queueOptions(cfg.Runs.QueueOptions(), opts.Queue, logger))
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("runs: %w", err)
	}

	// Events a waiting receive step needs are dispatched even when no trigger fires on them.
	s.received = s.worker.ReceivedEventTypes(ctx)
	listens := func(eventType string) bool {
		return matcher.Listens(eventType) || slices.Contains(s.received, eventType) || slices.Contains(s.received, "*")
	}
	mux := http.NewServeMux()
	for _, h := range cfg.Hooks {
		if h.Auth.Value == "" {
			logger.Warn("event hook accepts unauthenticated requests", "hook", h.Name, "path", h.Path)
		}
		mux.Handle(h.Path, &hook.Receiver{
			Name: h.Name, Auth: hook.Auth{Header: h.Auth.Header, Value: h.Auth.Value},
			Store: st, Listens: listens, Metrics: s.metrics, Logger: logger, OnAck: opts.OnAck,
		})
	}
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.HandleFunc("GET /healthz", s.healthz)
	if cfg.API.Enabled() {
		s.routeAPI(mux)
	}
	if cfg.ConsoleEnabled() {
		s.console, err = console.New(console.Options{Store: st, Config: cfg, Logger: logger})
		if err != nil {
			st.Close()
			return nil, err
		}
		mux.Handle(console.Prefix, s.console)
		mux.Handle("/console", s.console)
		if !hookAtRoot(cfg) {
			mux.Handle("GET /{$}", http.RedirectHandler(console.Prefix, http.StatusSeeOther))
		}
	}
	s.handler = mux
	return s, nil
}

// hookAtRoot reports whether a hook answers at "/", which then keeps Okta's verification GET there
// rather than a redirect to the console.
func hookAtRoot(cfg *config.Config) bool {
	for _, h := range cfg.Hooks {
		if h.Path == "/" {
			return true
		}
	}
	return false
}

// queueOptions are the configuration's runs settings with the caller's overrides.
func queueOptions(cfg, over queue.Options, logger *slog.Logger) queue.Options {
	o := cfg
	pick := func(d *time.Duration, v time.Duration) {
		if v != 0 {
			*d = v
		}
	}
	pick(&o.Lease, over.Lease)
	pick(&o.Heartbeat, over.Heartbeat)
	pick(&o.Timeout, over.Timeout)
	pick(&o.RetryBase, over.RetryBase)
	pick(&o.RetryMax, over.RetryMax)
	pick(&o.PollInterval, over.PollInterval)
	pick(&o.ShutdownTimeout, over.ShutdownTimeout)
	pick(&o.DispatchHold, over.DispatchHold)
	if over.MaxAttempts != 0 {
		o.MaxAttempts = over.MaxAttempts
	}
	if over.DispatchWorkers != 0 {
		o.DispatchWorkers = over.DispatchWorkers
	}
	if over.ExecuteWorkers != 0 {
		o.ExecuteWorkers = over.ExecuteWorkers
	}
	if over.Owner != "" {
		o.Owner = over.Owner
	}
	o.Logger = logger
	return o
}

// StoreOptions choose how OpenStore opens a store.
type StoreOptions struct {
	// Mode is store.OpenCreate for trama serve; the history commands open an existing store only.
	Mode     store.OpenMode
	SQLite   sqlite.Options
	Postgres postgres.Options
	Logger   *slog.Logger
}

// OpenStore opens the store a configuration names. Errors name the host and database, never the URL's
// password.
func OpenStore(ctx context.Context, cfg config.Store, opts StoreOptions) (*store.Store, error) {
	sopts := store.Options{Mode: opts.Mode, Logger: opts.Logger}
	switch cfg.Driver {
	case "sqlite", "":
		if opts.SQLite.Logger == nil {
			opts.SQLite.Logger = opts.Logger
		}
		return sqlite.Open(ctx, cfg.DSN, opts.SQLite, sopts)
	case "postgres":
		return postgres.Open(ctx, cfg.DSN, opts.Postgres, sopts)
	default:
		return nil, fmt.Errorf("store: unknown driver %q (want sqlite: or postgres://)", cfg.Driver)
	}
}

// Store is the server's store (the demo and tests read the history through it).
func (s *Server) Store() *store.Store { return s.store }

// Owner is the name this server holds run leases under.
func (s *Server) Owner() string { return s.queue.Owner() }

// ConsoleURL is the web console's address under base (the server's URL), or "" when it is not served.
func (s *Server) ConsoleURL(base string) string {
	if s.console == nil {
		return ""
	}
	return strings.TrimRight(base, "/") + console.Prefix
}

// Handler serves the hooks, the API, the console, /metrics and /healthz.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers HTTP on ln and works the queue (and backfill, when configured) until ctx is cancelled,
// then shuts down gracefully: it stops accepting deliveries, lets running attempts finish (giving back
// what does not finish in time), and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	if s.console != nil {
		// Open browser tabs hold live streams; shutting down ends them rather than waiting for them.
		srv.RegisterOnShutdown(s.console.Close)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.queue.Run(ctx); err != nil {
			errs <- fmt.Errorf("workers: %w", err)
			cancel()
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.alerts().Run(ctx)
	}()
	if s.cfg.Backfill.Enabled {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.backfill(ctx); err != nil && ctx.Err() == nil {
				errs <- fmt.Errorf("backfill: %w", err)
				cancel()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-ctx.Done()
		shut, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		srv.Shutdown(shut)
	}()
	s.logger.Info("trama serve listening", "addr", ln.Addr().String(), "hooks", len(s.cfg.Hooks),
		"triggers", len(s.cfg.Triggers), "worker", s.queue.Owner())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs <- err
		cancel()
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// Start opens a server for cfg and serves it in the background on a free loopback port, as
// httptest.NewServer does: URL is its base URL once Start returns. Stop shuts it down and releases the
// store. The demo, `trama bench` and tests start servers this way.
func Start(ctx context.Context, cfg *config.Config, opts Options) (*Server, error) {
	s, err := Open(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		return nil, err
	}
	s.URL = "http://" + ln.Addr().String()
	serveCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- s.Serve(serveCtx, ln) }()
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() {
			cancel()
			stopErr = errors.Join(<-served, s.Close())
		})
		return stopErr
	}
	return s, nil
}

// Stop shuts down a server made by Start and releases its store; it is safe to call more than once.
func (s *Server) Stop() error {
	if s.stop == nil {
		return errors.New("server: Stop is for servers made by Start")
	}
	return s.stop()
}

// Close releases the store. Call it after Serve has returned.
func (s *Server) Close() error {
	if m, ok := s.worker.Messenger.(*natsbroker.Messenger); ok {
		m.Close()
	}
	return s.store.Close()
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.store.Counts(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "store: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// queueDepth reads the queue depth for the metrics gauge, from the store at most once a second, so that
// frequent scrapes do not load the store; a failed read keeps the last value.
func (s *Server) queueDepth() float64 { return float64(s.counts().QueueDepth) }

// counts reads the store's totals for the metrics, at most once a second however often they are scraped.
func (s *Server) counts() store.Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.depthAt) < time.Second {
		return s.lastCounts
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if c, err := s.store.Counts(ctx); err == nil {
		s.lastCounts = c
	}
	s.depthAt = time.Now()
	return s.lastCounts
}

// budgeted returns client (a default one when nil) with every workflow request of this process kept
// within the rate-limit budget the APIs' headers report, per endpoint: all runs that call the same Okta
// org share what is left instead of each drawing 429s.
func budgeted(client *http.Client, m *metrics.Metrics) *http.Client {
	b := &ratelimit.Budget{Key: ratelimit.OktaKey, OnWait: m.BudgetWait}
	c := &http.Client{}
	if client != nil {
		*c = *client
	}
	if c.Transport == nil {
		// Runs execute up to ExecuteWorkers at once, mostly against one host: keep that many connections
		// idle for reuse rather than the default two, which would open and close one per request.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		c.Transport = t
	}
	c.Transport = tracing.Transport(b.Transport(c.Transport))
	return c
}

// alerts is the sender of the failure alerts the store queues: to the trigger's webhook, else the
// configuration's default, else the log only.
func (s *Server) alerts() *alert.Sender {
	webhooks := map[string]string{}
	for _, t := range s.cfg.Triggers {
		if t.AlertWebhook != "" {
			webhooks[t.Name] = t.AlertWebhook
		}
	}
	return &alert.Sender{Store: s.store, PerMinute: s.cfg.Alerts.PerMinute, Logger: s.logger, Every: s.opts.AlertEvery,
		Webhook: func(trigger string) string {
			if w, ok := webhooks[trigger]; ok {
				return w
			}
			return s.cfg.Alerts.Webhook
		}}
}

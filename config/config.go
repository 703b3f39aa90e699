package config

import (
	"time"

	"github.com/trama-dev/trama/arazzo/expr"
	"github.com/trama-dev/trama/credential"
	"github.com/trama-dev/trama/internal/yamlnode"
	"github.com/trama-dev/trama/queue"
)

// Defaults of the configuration file. docs/triggers.md explains each one.
const (
	// DefaultStore is an SQLite file next to the configuration file: an embedded store needs no setup.
	DefaultStore = "sqlite:./trama.db"
	// DefaultListen is loopback only, so a fresh `trama serve` is not reachable from the network until
	// the user decides to expose it (usually behind a TLS-terminating proxy, since Okta only calls https).
	DefaultListen = "127.0.0.1:8787"
	// DefaultAuthHeader is the header Okta's event-hook authScheme uses unless told otherwise.
	DefaultAuthHeader = "Authorization"
	// DefaultBackfillInterval polls the System Log once a minute: late enough to stay far below Okta's
	// /api/v1/logs rate limit, early enough that a missed delivery runs within minutes.
	DefaultBackfillInterval = 60 * time.Second
	// DefaultBackfillLookback is how far back the first poll reaches when no cursor is stored yet.
	DefaultBackfillLookback = time.Hour
	// DefaultBackfillPageSize is Okta's maximum page size, which costs the fewest rate-limited requests.
	DefaultBackfillPageSize = 1000
	// MinAPITokenLen is the shortest accepted api.token; shorter tokens can be guessed.
	MinAPITokenLen = 16
)

// ExprOptions lets a trigger's when and inputs use $event (the card) and $env (the process environment,
// read on every run) besides Arazzo's roots, which checkExpr then rejects with a clear message.
var ExprOptions = expr.Options{Roots: []string{"event", "env"}}

// Config is a parsed `trama serve` configuration file.
type Config struct {
	// File is the path the configuration was read from; Dir is its directory, the base of every
	// relative path in it.
	File string
	Dir  string
	// Store is where deliveries, events, jobs and history live.
	Store Store
	// Listen is the host:port `trama serve` listens on; DefaultListen when absent.
	Listen string
	// Hooks are the Okta event-hook endpoints, in file order.
	Hooks []*Hook
	// API protects /api/v1/*.
	API API
	// Console is the web console's settings; defaults applied.
	Console Console
	// Okta is trama's own Okta connection (a credential of type okta): its identity is what
	// ignoreActor: self skips, backfill polls with it, and triggers may name it (connection: okta). Nil
	// when the section is absent.
	Okta *credential.Credential
	// Connections are further named credentials for triggers to use; nil when the section is absent.
	Connections map[string]*credential.Credential
	// Servers are base URLs by source description name for every run (`trama run --server`); nil when
	// the section is absent.
	Servers map[string]string
	// Backfill is System Log polling.
	Backfill Backfill
	// Runs tunes how runs are held, retried and bounded; zero fields take the queue's defaults.
	Runs Runs
	// Alerts says where failure alerts go by default; triggers may name their own webhook.
	Alerts Alerts
	// Triggers bind event types to workflows, in file order; matching keeps that order.
	Triggers []*Trigger
}

// Store is the parsed store URL.
type Store struct {
	// URL is the value as written (after ${} expansion). A PostgreSQL URL may hold a password: never log
	// it.
	URL string
	// Driver is "sqlite" or "postgres".
	Driver string
	// DSN is what the driver opens: for SQLite the file path, resolved against Config.Dir (":memory:"
	// is kept as is); for PostgreSQL the URL.
	DSN string
}

// Hook is one event-hook endpoint. Its Name (the key under hooks:) is recorded with every delivery it
// receives.
type Hook struct {
	Name string
	// Path is the URL path Okta calls, "/hooks/<name>" by default. It answers the verification GET and
	// the delivery POSTs.
	Path string
	Auth HookAuth
	Pos  Pos
}

// HookAuth is the header Okta sends with every hook request (the hook's authScheme). Requests without
// the exact value are refused with 401.
type HookAuth struct {
	// Header is the header name, DefaultAuthHeader by default.
	Header string
	// Value is the secret. It is required: an unauthenticated hook would let anyone start workflows.
	Value string
}

// API configures trama's HTTP API (/api/v1/runs, /api/v1/events…).
type API struct {
	// Token is the bearer token every API request must present. When it is empty the API is not served
	// at all: trama never generates or prints a token (it would end up in logs), and the CLI reads the
	// store directly.
	Token string
}

// Enabled reports whether /api/v1/* is served.
func (a API) Enabled() bool { return a.Token != "" }

// OktaConnection is the name triggers use for the okta section's connection.
const OktaConnection = "okta"

// Connection returns the credential of a connection by name (OktaConnection for the okta section), or
// nil.
func (c *Config) Connection(name string) *credential.Credential {
	if name == OktaConnection {
		return c.Okta
	}
	return c.Connections[name]
}

// Backfill configures System Log polling, which feeds events Okta failed to deliver into the same inbox,
// where their uuid makes them run exactly once whichever way they arrived.
type Backfill struct {
	// Enabled turns polling on; false by default because event hooks are the primary path. It requires
	// the okta section.
	Enabled bool
	// Interval is the time between polls, DefaultBackfillInterval by default, at least 5 s.
	Interval time.Duration
	// Lookback is how far before the first start polling begins, DefaultBackfillLookback by default, at
	// most 90 days (Okta's retention). Later starts continue from the stored cursor.
	Lookback time.Duration
	// PageSize is the limit parameter of each request, DefaultBackfillPageSize by default (1–1000).
	PageSize int
	// EventTypes are the event types polled; by default every type some trigger listens to.
	EventTypes []string
}

// Runs is the runs section: the queue's settings a deployment may change.
type Runs struct {
	// Lease is how long a replica holds a run without renewing it: a dead replica's runs move on
	// within it (queue.DefaultLease).
	Lease time.Duration
	// Heartbeat is how often leases are renewed, at most half the lease (queue.DefaultHeartbeat).
	Heartbeat time.Duration
	// Timeout bounds one attempt of a run (queue.DefaultTimeout).
	Timeout time.Duration
	// Attempts is how many attempts a run gets (queue.DefaultMaxAttempts).
	Attempts int
	// Workers is how many runs one process executes at once (queue.DefaultExecuteWorkers).
	Workers int
}

// QueueOptions returns the queue options the section asks for, defaults applied where it is silent.
func (r Runs) QueueOptions() queue.Options {
	return queue.Options{Lease: r.Lease, Heartbeat: r.Heartbeat, Timeout: r.Timeout, MaxAttempts: r.Attempts,
		ExecuteWorkers: r.Workers}.Defaults()
}

// Trigger binds event types to one workflow run per matching event.
type Trigger struct {
	// Name identifies the trigger in history and metrics; unique, [A-Za-z0-9._-].
	Name string
	// On lists the event types (LogEvent eventType) that fire the trigger.
	On []string
	// When is the optional condition over $event and $env; nil fires on every event of the types in On.
	When *expr.Condition
	// Run is the workflow to run.
	Run Run
	// Inputs are the workflow inputs, in file order.
	Inputs []Input
	// IgnoreActor is the loop guard: "self", an Okta actor id, or "" for none.
	IgnoreActor string
	// Connection names the connection (OktaConnection or one of Connections) whose credential
	// authenticates the workflow's requests to its server: every source description whose base URL is
	// the connection's org or token server. "" sends what the workflow writes.
	Connection string
	// Resend says which requests a resumed run may send again when an interrupted attempt may or may
	// not have sent them (see docs/triggers.md); the zero value is ResendIdempotent.
	Resend Resend
	// InputHelpers are input helpers (specs as inputhelper.Parse reads them: totp, okta-emulator=URL, a
	// command) asked, in order, for an input the workflow needs that the trigger did not give. When none
	// can help, the run waits for the input (trama runs resume) up to InputTimeout.
	InputHelpers []string
	// InputTimeout is how long a run waits for an input before it fails; 0 means DefaultInputTimeout.
	InputTimeout time.Duration
	// Coalesce, when set, makes events with the same key within a window start one run.
	Coalesce *Coalesce
	// Concurrency, when set, runs at most Limit of the trigger's runs with the same key at once.
	Concurrency *Concurrency
	// AlertWebhook, when set, receives the alerts of this trigger's runs instead of Alerts.Webhook.
	AlertWebhook string
	Pos          Pos

	ignorePos     Pos // where ignoreActor is written, for the "self needs okta" error
	connectionPos Pos // where connection is written, for the "no such connection" error
}

// Coalesce makes the events a trigger fires on start one run per key and window: Okta's "reset all
// factors" arrives as three user.mfa.factor.deactivate events per Okta Verify factor, three distinct
// events that de-duplication by id cannot merge.
type Coalesce struct {
	// Key is a value over $event, written like an input (e.g. $event.oktaUser.id); events whose key is
	// empty are not coalesced.
	Key any
	// Window is how long after the first event of a key later ones join its run.
	Window time.Duration
	// Keep is CoalesceFirst (the first event's run starts at once; later ones are recorded as coalesced
	// into it) or CoalesceLast (the run waits for the window to close and runs with the last event).
	Keep string
}

// Alerts configures failure alerts: a run that fails, a run stopped as uncertain and a quarantined
// event each send one, to the log always and to a webhook when one is set (a JSON body with "text",
// which Slack, Mattermost and Teams' incoming webhooks accept).
type Alerts struct {
	// Webhook is the URL alerts are POSTed to; "" logs them only.
	Webhook string
	// PerMinute caps the alerts sent to one webhook a minute; the rest wait their turn. Default
	// DefaultAlertsPerMinute.
	PerMinute int
}

// DefaultAlertsPerMinute keeps a burst of failures from flooding a chat channel (and from Slack's own
// limit of about one message a second per webhook).
const DefaultAlertsPerMinute = 30

// Concurrency limits how many of a trigger's runs with the same key run at once: with limit 1 and the
// user's id as the key, two runs for one user never overlap, and the later waits its turn, in order.
type Concurrency struct {
	// Key is a value over $event, written like an input; runs whose key is empty are not limited.
	Key any
	// Limit is how many runs of a key may run at once, at least 1.
	Limit int
}

// Coalesce policies.
const (
	CoalesceFirst = "first"
	CoalesceLast  = "last"
)

// DefaultInputTimeout is how long a run waits for an input by default: a day, so that a person who
// must approve something on their phone has the working day to do it, and a forgotten run still ends.
const DefaultInputTimeout = 24 * time.Hour

// Resend is a trigger's resend policy.
type Resend struct {
	// Policy is ResendIdempotent, ResendAlways or ResendNever; empty means ResendIdempotent.
	Policy string
	// Steps are step ids whose requests may be resent besides what Policy allows.
	Steps []string
}

// Resend policies.
const (
	// ResendIdempotent resends GET, HEAD, OPTIONS, PUT and DELETE, and steps marked x-trama-resend: true.
	ResendIdempotent = "idempotent"
	// ResendAlways resends every request: for APIs that de-duplicate, or flows whose repeats are harmless.
	ResendAlways = "always"
	// ResendNever resends nothing an interrupted attempt may have sent; every such run waits for an
	// operator.
	ResendNever = "never"
)

// IgnoreSelf is the IgnoreActor value that skips events caused by trama's own Okta identity.
const IgnoreSelf = "self"

// Run names the workflow a trigger starts.
type Run struct {
	// File is the Arazzo document, resolved against Config.Dir.
	File string
	// Workflow is the workflowId inside File.
	Workflow string
}

// Input is one workflow input of a trigger.
type Input struct {
	Name string
	// Value is the YAML value with its strings as Arazzo templates (compat mode, like workflow
	// documents): "$event.oktaUser.id" keeps the value's type, "user {$event.oktaUser.alternateId}"
	// builds a string. Maps and lists are evaluated member by member.
	Value any
	// Secret is true when the name says so (secret.IsSecretName) or the value reads $env: the history
	// masks such inputs.
	Secret bool
	// ReadsEnv is true when the value reads $env: its text is then only a template, safe to keep, and
	// the secret it yields is read when the run executes.
	ReadsEnv bool
}

// Pos is a 1-based line and column in the configuration file.
type Pos = yamlnode.Pos

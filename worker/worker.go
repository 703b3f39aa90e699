// Package worker is what trama serve's queue runs: it matches each stored event against the triggers and
// pins the runs it fires (dispatch), and executes each run with the runner (execute) — resuming after its
// last finished step, recording each request's intent before it is sent, and stopping as uncertain
// rather than resending a request that may already have reached the API.
package worker

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/metrics"
	"github.com/trama-dev/trama/queue"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/trigger"
)

// Store is what the worker reads and writes beyond an attempt's own writes; *store.Store implements it.
type Store interface {
	GetEvent(ctx context.Context, uuid string) (store.Event, error)
	CardSources(ctx context.Context, uuids []string) (map[string]store.CardSource, error)
	GetDelivery(ctx context.Context, id string) (store.Delivery, error)
	GetRun(ctx context.Context, id string) (store.Run, error)
	ResolveRun(ctx context.Context, runID string, r store.Resolve) (store.Run, error)
	ResumeRun(ctx context.Context, runID string, r store.Resume) (store.Run, error)
	PutDocument(ctx context.Context, digest string, content []byte) error
	HasDocument(ctx context.Context, digest string) (bool, error)
	GetDocument(ctx context.Context, digest string) ([]byte, error)
	WaitingForEvents(ctx context.Context, types []string) ([]store.Run, error)
	DeliverMessage(ctx context.Context, runID string, r store.Received) (bool, error)
	EventsSince(ctx context.Context, types []string, since time.Time, limit int) ([]store.CardSource, error)
}

// Worker turns stored events into workflow runs. Its Handlers are what a queue.Queue calls.
type Worker struct {
	Store   Store
	Matcher *trigger.Matcher
	// Config is the configuration the worker runs under: its triggers give secret inputs their values
	// at run time (secrets are never stored with a run).
	Config *config.Config
	// Env reads $env variables for trigger inputs; nil means os.LookupEnv.
	Env func(string) (string, bool)
	// HTTPClient sends the workflows' requests; nil means a default client.
	HTTPClient *http.Client
	// Connections are trama serve's named credentials (the okta section's is config.OktaConnection), for
	// the runs of triggers that name one.
	Connections map[string]Connection
	// RunnerOptions are applied to every run (timeouts, max steps); the worker sets Checkpointer,
	// Observer, Secrets and Guard itself. Its Servers are the configuration's, pinned into each run.
	RunnerOptions runner.Options
	// Messenger sends and receives the messages of AsyncAPI steps on a broker's channels (NATS); nil
	// fails such steps. Okta's event stream needs none: its receive steps wait durably (see message.go).
	Messenger runner.Messenger
	Logger    *slog.Logger
	Metrics   *metrics.Metrics
	// OnRunFinished, when set, is called after a run's outcome is stored (the demo waits on it).
	OnRunFinished func(run store.Run, res *runner.Result)

	typesOnce sync.Once
	types     map[string]bool // the event types some trigger listens to
	versions  versions
}

// Handlers returns the queue handlers.
func (w *Worker) Handlers() queue.Handlers {
	return queue.Handlers{Dispatch: w.Dispatch, Dispatched: w.dispatched, Execute: w.Execute, Failed: w.failed}
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (w *Worker) env() func(string) (string, bool) {
	if w.Env != nil {
		return w.Env
	}
	return os.LookupEnv
}

// trigger returns the configured trigger named name, or nil.
func (w *Worker) trigger(name string) *config.Trigger {
	if w.Config == nil {
		return nil
	}
	for _, t := range w.Config.Triggers {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// failed is told when the queue failed a run on its own (attempts exhausted by interruptions).
func (w *Worker) failed(run store.Run, reason string) {
	w.Metrics.Run(run.Trigger, string(store.RunFailed))
	w.logger().Warn("run finished", "run", run.ID, "trigger", run.Trigger, "status", store.RunFailed, "error", reason)
	if w.OnRunFinished != nil {
		run.Status, run.Error = store.RunFailed, reason
		w.OnRunFinished(run, nil)
	}
}

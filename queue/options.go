package queue

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults of Options. Together they bound failover: a worker that dies holding runs has them taken over
// within Lease (plus one PollInterval) of its last renewal, and a worker that froze stops acting on them
// Lease − Heartbeat after its last renewal, before anyone else may take them.
const (
	// DefaultLease is how long a claimed run stays held without renewal. Ten seconds rides out a
	// database's brief stall or a long GC pause, and moves the runs of a dead replica well within 15 s.
	DefaultLease = 10 * time.Second
	// DefaultHeartbeat is how often a worker renews its leases: five renewals per lease, so one or two
	// slow renewals cost nothing.
	DefaultHeartbeat = 2 * time.Second
	// DefaultTimeout bounds one attempt of a run: Okta flows make a handful of calls, and a hung
	// connection must not hold a run forever.
	DefaultTimeout = 10 * time.Minute
	// DefaultMaxAttempts is how many attempts a run gets before it is failed: with the default backoff
	// that spans about 15 s of retries, long enough to ride out an API's brief outage or a 429 window,
	// short enough that a broken flow is reported failed quickly.
	DefaultMaxAttempts = 5
	// DefaultRetryBase is the delay before the first retry; each later retry doubles it up to
	// DefaultRetryMax.
	DefaultRetryBase = time.Second
	DefaultRetryMax  = 5 * time.Minute
	// DefaultPollInterval is how often an idle worker asks the store for work committed by other
	// processes (work committed by this one wakes it at once). A poll is one indexed read.
	DefaultPollInterval = 100 * time.Millisecond
	// DefaultDispatchWorkers is how many events are matched at once: dispatch is a few milliseconds of
	// CPU and one transaction.
	DefaultDispatchWorkers = 2
	// DefaultExecuteWorkers is how many runs execute at once: runs mostly wait on HTTP, and more of
	// them in flight let claims and finishes share transactions (measured with `trama bench runs`:
	// 16 → 32 took SQLite from about 1 350 to 1 800 one-step runs/s on 2 cores; 64 gained nothing).
	DefaultExecuteWorkers = 32
	// DefaultShutdownTimeout is how long a stopping worker lets its running attempts finish before it
	// cancels them and gives their runs back.
	DefaultShutdownTimeout = 30 * time.Second
	// DefaultDispatchHold is how long a claimed dispatch is held before another worker may take it: as
	// long as a lease, so the events a frozen replica claimed are dispatched elsewhere as soon as its runs
	// move. A dispatch takes milliseconds, and one that outlives its hold and runs twice creates nothing
	// twice.
	DefaultDispatchHold = DefaultLease
)

// Options tune a Queue. The zero value uses the defaults above; Validate refuses settings that cannot work.
type Options struct {
	// Owner names this worker in leases and logs; unique per process. Default host:pid:random.
	Owner string
	// Lease, Heartbeat and Timeout: see DefaultLease, DefaultHeartbeat and DefaultTimeout.
	Lease     time.Duration
	Heartbeat time.Duration
	Timeout   time.Duration
	// MaxAttempts: see DefaultMaxAttempts. Attempts interrupted by a crash or a shutdown count too.
	MaxAttempts int
	// RetryBase and RetryMax shape the exponential backoff between attempts (±10 % jitter).
	RetryBase, RetryMax time.Duration
	PollInterval        time.Duration
	DispatchWorkers     int
	ExecuteWorkers      int
	ShutdownTimeout     time.Duration
	DispatchHold        time.Duration
	// Logger receives the queue's warnings and errors. Default: discarded.
	Logger *slog.Logger
}

// withDefaults fills zero fields and validates the result.
func (o Options) withDefaults() (Options, error) {
	o = o.Defaults()
	return o, o.Validate()
}

// Defaults returns o with every zero field set to its default; the heartbeat defaults to a fifth of the
// lease, at most DefaultHeartbeat.
func (o Options) Defaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.Lease, DefaultLease)
	if o.Heartbeat == 0 {
		o.Heartbeat = min(DefaultHeartbeat, o.Lease/5)
	}
	def(&o.Timeout, DefaultTimeout)
	def(&o.RetryBase, DefaultRetryBase)
	def(&o.RetryMax, DefaultRetryMax)
	def(&o.PollInterval, DefaultPollInterval)
	def(&o.ShutdownTimeout, DefaultShutdownTimeout)
	def(&o.DispatchHold, DefaultDispatchHold)
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.DispatchWorkers == 0 {
		o.DispatchWorkers = DefaultDispatchWorkers
	}
	if o.ExecuteWorkers == 0 {
		o.ExecuteWorkers = DefaultExecuteWorkers
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Validate reports settings that cannot work, each with the reason.
func (o Options) Validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"lease", o.Lease}, {"heartbeat", o.Heartbeat}, {"timeout", o.Timeout}, {"retry base", o.RetryBase},
		{"retry max", o.RetryMax}, {"poll interval", o.PollInterval}, {"shutdown timeout", o.ShutdownTimeout},
		{"dispatch hold", o.DispatchHold}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s %v: must not be negative", d.name, d.v))
		}
	}
	if o.Lease > 0 && o.Heartbeat > 0 && 2*o.Heartbeat > o.Lease {
		errs = append(errs, fmt.Errorf("heartbeat %v is too long for lease %v: a run would be taken over between two "+
			"renewals; the heartbeat must be at most half the lease (a fifth is the default)", o.Heartbeat, o.Lease))
	}
	if o.Timeout > 0 && o.Lease > 0 && o.Timeout < o.Lease {
		errs = append(errs, fmt.Errorf("timeout %v is shorter than lease %v: an attempt would always end before "+
			"its lease could tell anyone it had died; raise the timeout or shorten the lease", o.Timeout, o.Lease))
	}
	if o.RetryMax > 0 && o.RetryBase > o.RetryMax {
		errs = append(errs, fmt.Errorf("retry base %v is longer than retry max %v", o.RetryBase, o.RetryMax))
	}
	if o.MaxAttempts < 0 || o.DispatchWorkers < 0 || o.ExecuteWorkers < 0 {
		errs = append(errs, errors.New("attempts and worker counts must not be negative"))
	}
	return errors.Join(errs...)
}

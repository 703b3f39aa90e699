package queue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trama-dev/trama/internal/pgtest"
	"github.com/trama-dev/trama/internal/testdb"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testOptions make retries and failover fast enough for tests.
func testOptions() Options {
	return Options{Lease: 1500 * time.Millisecond, Heartbeat: 150 * time.Millisecond, Timeout: 10 * time.Second,
		MaxAttempts: 4, RetryBase: 10 * time.Millisecond, RetryMax: 40 * time.Millisecond,
		PollInterval: 20 * time.Millisecond, ShutdownTimeout: 2 * time.Second, DispatchHold: time.Second}
}

// recorder counts handler calls and drives runs like the real worker: two checkpointed steps, then done.
type recorder struct {
	triggers []string
	mu       sync.Mutex
	dispatch map[string]int // "uuid/replay" -> calls
	execute  map[string]int // run id -> calls
	attempts map[string][]int
	failed   []string
	// before, when set, runs first in each attempt; an error it returns is the attempt's.
	before func(ctx context.Context, a *Attempt) error
}

func newRecorder(triggers ...string) *recorder {
	return &recorder{triggers: triggers, dispatch: map[string]int{}, execute: map[string]int{}, attempts: map[string][]int{}}
}

// perEvent makes a batch Dispatch handler of one that matches one event at a time.
func perEvent(f func(ctx context.Context, d store.Dispatch) (store.Outcome, error)) func(context.Context, []store.Dispatch) []DispatchResult {
	return func(ctx context.Context, ds []store.Dispatch) []DispatchResult {
		out := make([]DispatchResult, len(ds))
		for i, d := range ds {
			out[i].Outcome, out[i].Err = f(ctx, d)
		}
		return out
	}
}

func (r *recorder) dispatchOne(ctx context.Context, d store.Dispatch) (store.Outcome, error) {
	var runs []store.NewRun
	for replay := d.From; replay <= d.To; replay++ {
		r.mu.Lock()
		r.dispatch[fmt.Sprintf("%s/%d", d.UUID, replay)]++
		r.mu.Unlock()
		for _, tr := range r.triggers {
			runs = append(runs, storetest.NewRun(tr, replay))
		}
	}
	return store.Outcome{Runs: runs}, nil
}

func (r *recorder) handlers() Handlers {
	return Handlers{
		Dispatch: perEvent(r.dispatchOne),
		Execute: func(ctx context.Context, a *Attempt) error {
			r.mu.Lock()
			r.execute[a.Lease.RunID]++
			r.attempts[a.Lease.RunID] = append(r.attempts[a.Lease.RunID], a.Lease.Attempt)
			before := r.before
			r.mu.Unlock()
			if before != nil {
				if err := before(ctx, a); err != nil {
					return err
				}
			}
			done := len(a.Steps)
			for seq := done + 1; seq <= 2; seq++ {
				if err := a.SaveStep(ctx, store.Step{Seq: seq, StepID: fmt.Sprintf("step%d", seq), Status: "succeeded", Attempts: 1}); err != nil {
					return err
				}
			}
			return a.Finish(ctx, store.RunResult{Status: store.RunSucceeded})
		},
		Failed: func(run store.Run, reason string) {
			r.mu.Lock()
			r.failed = append(r.failed, run.ID)
			r.mu.Unlock()
		},
	}
}

func (r *recorder) counts() (dispatch, execute map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return copyMap(r.dispatch), copyMap(r.execute)
}

func copyMap(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// work runs a queue over s in the background; the returned stop cancels it and checks that it returned.
func work(t *testing.T, s *store.Store, h Handlers, opts Options, prepare ...func(*Queue)) (q *Queue, stop func()) {
	t.Helper()
	q, err := New(s, h, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, p := range prepare {
		p(q)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Error("Run did not return within 20s of cancellation")
			}
		})
	}
	t.Cleanup(stop)
	return q, stop
}

// waitRuns waits until n runs are finished (or uncertain) and returns every run.
func waitRuns(t *testing.T, s *store.Store, n int) []store.Run {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var done []store.Run
		runs, _, err := s.ListRuns(context.Background(), store.RunFilter{Page: store.Page{Limit: store.MaxPageSize}})
		if err != nil {
			t.Fatalf("ListRuns: %v", err)
		}
		for _, r := range runs {
			if r.Status.Finished() || r.Status == store.RunUncertain {
				done = append(done, r)
			}
		}
		if len(done) >= n {
			return runs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d runs done after 20s: %+v", len(done), n, runs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestExactlyOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		s := storetest.Open(t, newDriver)
		rec := newRecorder("welcome", "audit")
		_, stop := work(t, s, rec.handlers(), testOptions())
		var all []string
		for d := range 5 {
			var uuids []string
			for i := range 4 {
				uuids = append(uuids, fmt.Sprintf("e%d", d*3+i)) // neighbouring deliveries share one event
			}
			all = append(all, uuids...)
			storetest.Ingest(t, s, storetest.Delivery(fmt.Sprintf("d%d", d), storetest.Events(uuids...)...))
		}
		slices.Sort(all)
		all = slices.Compact(all)
		runs := waitRuns(t, s, 2*len(all))
		time.Sleep(100 * time.Millisecond) // room for a wrong second execution
		stop()
		dispatch, execute := rec.counts()
		for _, u := range all {
			if dispatch[u+"/0"] != 1 {
				t.Errorf("event %s dispatched %d times, want 1", u, dispatch[u+"/0"])
			}
		}
		if len(runs) != 2*len(all) {
			t.Errorf("%d runs, want %d", len(runs), 2*len(all))
		}
		for _, r := range runs {
			if execute[r.ID] != 1 || r.Status != store.RunSucceeded || r.Attempts != 1 || r.StartedAt.IsZero() {
				t.Errorf("run %s executed %d times: status %s attempts %d", r.ID, execute[r.ID], r.Status, r.Attempts)
			}
		}
		c, err := s.Counts(context.Background())
		if err != nil || c.QueueDepth != 0 || c.QueueRunning != 0 || c.Runs[store.RunSucceeded] != int64(len(runs)) {
			t.Errorf("Counts after work = %+v, %v", c, err)
		}
	})
}

// TestBacklogKeepsToWorkers: under a backlog the finisher claims runs for the slots its finishes free,
// while the run loop claims too; together they never run more than ExecuteWorkers attempts at once, and
// every run executes once. The backlog is more than a dispatch batch, so the dispatcher claims its
// second batch with the first one's record; every event is dispatched once.
func TestBacklogKeepsToWorkers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		s := storetest.Open(t, newDriver)
		const workers, deliveries, perDelivery = 4, 8, 25
		for d := range deliveries {
			var uuids []string
			for i := range perDelivery {
				uuids = append(uuids, fmt.Sprintf("e%03d", d*perDelivery+i))
			}
			storetest.Ingest(t, s, storetest.Delivery(fmt.Sprintf("d%d", d), storetest.Events(uuids...)...))
		}
		if deliveries*perDelivery <= dispatchBatch {
			t.Fatalf("%d events fit one dispatch batch", deliveries*perDelivery)
		}
		rec := newRecorder("welcome")
		var executing, most atomic.Int32
		h := rec.handlers()
		h.Execute = func(ctx context.Context, a *Attempt) error {
			n := executing.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			rec.mu.Lock()
			rec.execute[a.Lease.RunID]++
			rec.mu.Unlock()
			time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
			executing.Add(-1) // an attempt waiting for its finish to be recorded sends nothing more
			return a.Finish(ctx, store.RunResult{Status: store.RunSucceeded})
		}
		opts := testOptions()
		opts.ExecuteWorkers = workers
		_, stop := work(t, s, h, opts)
		runs := waitRuns(t, s, deliveries*perDelivery)
		stop()
		if m := most.Load(); m > workers {
			t.Errorf("%d attempts executed at once, with ExecuteWorkers = %d", m, workers)
		}
		dispatch, execute := rec.counts()
		for _, r := range runs {
			if execute[r.ID] != 1 || r.Status != store.RunSucceeded || r.Attempts != 1 {
				t.Errorf("run %s executed %d times: status %s, %d attempts", r.ID, execute[r.ID], r.Status, r.Attempts)
			}
		}
		if len(dispatch) != deliveries*perDelivery {
			t.Errorf("%d events dispatched, want %d", len(dispatch), deliveries*perDelivery)
		}
		for e, n := range dispatch {
			if n != 1 {
				t.Errorf("event %s dispatched %d times", e, n)
			}
		}
	})
}

func TestRetryResumesAfterLastStep(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		s := storetest.Open(t, newDriver)
		rec := newRecorder("welcome")
		rec.before = func(ctx context.Context, a *Attempt) error {
			if a.Lease.Attempt > 1 {
				if len(a.Steps) != 1 || a.Steps[0].StatusCode != 200 {
					return fmt.Errorf("attempt 2 sees steps %+v", a.Steps)
				}
				return nil
			}
			// Finish one step, then fail as a network error would.
			if err := a.SaveStep(ctx, store.Step{Seq: 1, StepID: "step1", Status: "succeeded", Attempts: 1, StatusCode: 200}); err != nil {
				return err
			}
			return errors.New("connection reset by peer")
		}
		_, stop := work(t, s, rec.handlers(), testOptions())
		storetest.Ingest(t, s, storetest.Delivery("d", storetest.Events("e")...))
		runs := waitRuns(t, s, 1)
		stop()
		r := runs[0]
		if r.Status != store.RunSucceeded || r.Attempts != 2 {
			t.Errorf("run = status %s attempts %d (%s), want succeeded on attempt 2", r.Status, r.Attempts, r.Error)
		}
		steps, err := s.Steps(context.Background(), r.ID)
		if err != nil || len(steps) != 2 || steps[0].RunAttempt != 1 || steps[1].RunAttempt != 2 {
			t.Errorf("steps = %+v, %v; want step1 from attempt 1 kept and step2 added by attempt 2", steps, err)
		}
	})
}

func TestFinalAttempt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		s := storetest.Open(t, newDriver)
		rec := newRecorder("fails")
		rec.before = func(ctx context.Context, a *Attempt) error {
			if a.Run.Status != store.RunRunning || a.Final() != (a.Lease.Attempt == 4) {
				return fmt.Errorf("attempt %d sees %+v final=%v", a.Lease.Attempt, a.Run, a.Final())
			}
			return fmt.Errorf("attempt %d: HTTP 503", a.Lease.Attempt)
		}
		_, stop := work(t, s, rec.handlers(), testOptions())
		storetest.Ingest(t, s, storetest.Delivery("d", storetest.Events("e")...))
		runs := waitRuns(t, s, 1)
		time.Sleep(150 * time.Millisecond) // a run that wrongly retried again would show up here
		stop()
		r := runs[0]
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if !slices.Equal(rec.attempts[r.ID], []int{1, 2, 3, 4}) {
			t.Errorf("attempts = %v, want 1..4", rec.attempts[r.ID])
		}
		if r.Status != store.RunFailed || r.Attempts != 4 || !strings.Contains(r.Error, "gave up after 4 attempts: attempt 4: HTTP 503") {
			t.Errorf("run = %s after %d attempts: %q", r.Status, r.Attempts, r.Error)
		}
		if len(rec.failed) != 1 {
			t.Errorf("Failed called %d times, want once", len(rec.failed))
		}
	})
}

func TestRetryAfter(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		s := storetest.Open(t, newDriver)
		rec := newRecorder("welcome")
		var mu sync.Mutex
		var starts []time.Time
		rec.before = func(ctx context.Context, a *Attempt) error {
			mu.Lock()
			starts = append(starts, time.Now())
			mu.Unlock()
			if a.Lease.Attempt == 1 {
				return RetryAfter(400*time.Millisecond, errors.New("HTTP 429: rate limit exceeded"))
			}
			return nil
		}
		_, stop := work(t, s, rec.handlers(), testOptions())
		storetest.Ingest(t, s, storetest.Delivery("d", storetest.Events("e")...))
		runs := waitRuns(t, s, 1)
		stop()
		mu.Lock()
		defer mu.Unlock()
		if len(starts) != 2 || runs[0].Status != store.RunSucceeded {
			t.Fatalf("%d attempts, run %s; want success on attempt 2", len(starts), runs[0].Status)
		}
		if gap := starts[1].Sub(starts[0]); gap < 400*time.Millisecond {
			t.Errorf("retry came after %v, before the 400ms the handler asked for", gap)
		}
	})
}

func TestDispatchRetriesOnlyWhatFailed(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		s := storetest.Open(t, newDriver)
		rec := newRecorder("welcome")
		h := rec.handlers()
		var mu sync.Mutex
		failed := false
		h.Dispatch = perEvent(func(ctx context.Context, d store.Dispatch) (store.Outcome, error) {
			mu.Lock()
			first := d.UUID == "b" && !failed
			failed = failed || first
			mu.Unlock()
			if first {
				rec.mu.Lock()
				rec.dispatch["b/0"]++
				rec.mu.Unlock()
				return store.Outcome{}, errors.New("database is busy")
			}
			return rec.dispatchOne(ctx, d)
		})
		_, stop := work(t, s, h, testOptions())
		storetest.Ingest(t, s, storetest.Delivery("d", storetest.Events("a", "b", "c")...))
		waitRuns(t, s, 3)
		time.Sleep(100 * time.Millisecond)
		stop()
		got, _ := rec.counts()
		want := map[string]int{"a/0": 1, "b/0": 2, "c/0": 1}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("dispatch calls = %v, want %v: the events that succeeded must not be dispatched again", got, want)
		}
	})
}

func TestReplay(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		ctx := context.Background()
		s := storetest.Open(t, newDriver)
		rec := newRecorder("welcome")
		_, stop := work(t, s, rec.handlers(), testOptions())
		quiet := storetest.Event("quiet", "user.session.start")
		quiet.NoDispatch = true
		storetest.Ingest(t, s, storetest.Delivery("d", quiet, storetest.Event("e", "user.mfa.factor.activate")))
		waitRuns(t, s, 1)
		for _, u := range []string{"e", "e", "quiet"} {
			if _, err := s.Replay(ctx, u, "test"); err != nil {
				t.Fatalf("Replay(%s): %v", u, err)
			}
		}
		runs := waitRuns(t, s, 4)
		time.Sleep(100 * time.Millisecond)
		stop()
		dispatch, _ := rec.counts()
		want := map[string]int{"e/0": 1, "e/1": 1, "e/2": 1, "quiet/1": 1}
		if fmt.Sprint(dispatch) != fmt.Sprint(want) {
			t.Errorf("dispatch calls = %v, want %v", dispatch, want)
		}
		if len(runs) != 4 {
			t.Errorf("%d runs, want 4", len(runs))
		}
	})
}

// TestRestartResumes: runs held by a worker that died are resumed by the next one: at once on an
// exclusive store (the new process knows nobody else works it), within a lease on a shared one.
func TestRestartResumes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		ctx := context.Background()
		s := storetest.Open(t, newDriver)
		storetest.Ingest(t, s, storetest.Delivery("d", storetest.Events("a", "b")...))
		storetest.DispatchAll(t, s, "welcome")
		// What a SIGKILL during both runs leaves behind: live leases, one step done.
		cs, err := s.ClaimRuns(ctx, "crashed", 2, testOptions().Lease)
		if err != nil || len(cs) != 2 {
			t.Fatalf("ClaimRuns = %d, %v", len(cs), err)
		}
		if err := s.SaveStep(ctx, cs[0].Lease, store.Step{Seq: 1, StepID: "step1", Status: "succeeded"}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s = storetest.Open(t, newDriver)
		rec := newRecorder("welcome")
		start := time.Now()
		_, stop := work(t, s, rec.handlers(), testOptions())
		runs := waitRuns(t, s, 2)
		took := time.Since(start)
		stop()
		_, execute := rec.counts()
		for _, r := range runs {
			if r.Status != store.RunSucceeded || r.Attempts != 2 || execute[r.ID] != 1 {
				t.Errorf("run %s = %s, attempts %d, executed %d times here", r.ID, r.Status, r.Attempts, execute[r.ID])
			}
		}
		steps, _ := s.Steps(ctx, cs[0].Lease.RunID)
		if len(steps) != 2 || steps[0].RunAttempt != 1 {
			t.Errorf("steps of the resumed run = %+v, want step1 kept from the first attempt", steps)
		}
		if s.Exclusive() && took > testOptions().Lease {
			t.Errorf("an exclusive store took %v to resume, want it at once (before the %v lease ran out)", took, testOptions().Lease)
		}
	})
}

// TestFrozenWorkerCannotAct: a worker whose heartbeat stops (a paused process) loses its run once the
// lease lapses; when it wakes, the run has moved on and nothing it does reaches the store.
func TestFrozenWorkerCannotAct(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		ctx := context.Background()
		s := storetest.Open(t, newDriver)
		rec := newRecorder("welcome")
		wake := make(chan struct{})
		staleErr := make(chan error, 1)
		rec.before = func(ctx context.Context, a *Attempt) error {
			if a.Lease.Attempt != 1 {
				return nil
			}
			<-wake // frozen: deaf to its context, as a stopped process is
			err := a.RecordIntent(ctx, store.Intent{Seq: 1, StepID: "step1", Method: "POST"})
			if err == nil {
				err = a.SaveStep(ctx, store.Step{Seq: 1, StepID: "stale", Status: "succeeded"})
			}
			staleErr <- err
			return err
		}
		var frozen sync.Mutex
		frozenUntil := time.Now().Add(time.Hour)
		_, stop := work(t, s, rec.handlers(), testOptions(), func(q *Queue) {
			q.renew = func(ctx context.Context, owner string, lease time.Duration, ids []string) (map[string]int64, error) {
				frozen.Lock()
				defer frozen.Unlock()
				if time.Now().Before(frozenUntil) {
					return nil, errors.New("frozen")
				}
				return s.RenewLeases(ctx, owner, lease, ids)
			}
		})
		storetest.Ingest(t, s, storetest.Delivery("d", storetest.Events("e")...))
		runs := waitRuns(t, s, 1)
		frozen.Lock()
		frozenUntil = time.Time{}
		frozen.Unlock()
		close(wake)
		var err error
		select {
		case err = <-staleErr:
		case <-time.After(5 * time.Second):
			t.Fatal("the frozen attempt never woke")
		}
		stop()
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("the woken attempt's write: %v, want ErrLeaseLost", err)
		}
		r, _ := s.GetRun(ctx, runs[0].ID)
		steps, _ := s.Steps(ctx, r.ID)
		if r.Status != store.RunSucceeded || r.Attempts != 2 || len(steps) != 2 || steps[0].StepID == "stale" {
			t.Errorf("run = %s after %d attempts, steps %+v", r.Status, r.Attempts, steps)
		}
	})
}

// TestPausedReplicaLosesItsRun: two workers on one PostgreSQL database; the one holding a run stops
// renewing, the other takes the run over within a lease and finishes it, and the first one, once awake,
// can change nothing.
func TestPausedReplicaLosesItsRun(t *testing.T) {
	newDriver := testdb.Postgres(pgtest.URL(t))
	ctx := context.Background()
	s1, s2 := storetest.Open(t, newDriver), storetest.Open(t, newDriver)
	opts := testOptions()
	rec1, rec2 := newRecorder("welcome"), newRecorder("welcome")
	wake := make(chan struct{})
	staleErr := make(chan error, 1)
	holding := make(chan time.Time, 1)
	rec1.before = func(ctx context.Context, a *Attempt) error {
		holding <- time.Now()
		<-wake
		err := a.SaveStep(ctx, store.Step{Seq: 1, StepID: "stale", Status: "succeeded"})
		staleErr <- err
		return err
	}
	// One slot, taken by the frozen attempt: like a stopped process, the first worker claims nothing more.
	opts1 := opts
	opts1.ExecuteWorkers = 1
	_, stop1 := work(t, s1, rec1.handlers(), opts1, func(q *Queue) {
		q.renew = func(context.Context, string, time.Duration, []string) (map[string]int64, error) {
			return nil, errors.New("paused")
		}
	})
	storetest.Ingest(t, s1, storetest.Delivery("d", storetest.Events("e")...))
	var held time.Time
	select {
	case held = <-holding:
	case <-time.After(10 * time.Second):
		t.Fatal("the first worker never claimed the run")
	}
	_, stop2 := work(t, s2, rec2.handlers(), opts)
	runs := waitRuns(t, s2, 1)
	if took := time.Since(held); took > opts.Lease+time.Second {
		t.Errorf("takeover took %v, want within the %v lease and a poll", took, opts.Lease)
	}
	close(wake)
	if err := <-staleErr; !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("the paused worker's write after waking: %v, want ErrLeaseLost", err)
	}
	stop1()
	stop2()
	r, _ := s2.GetRun(ctx, runs[0].ID)
	if r.Status != store.RunSucceeded || r.Attempts != 2 || r.LeaseOwner != "" {
		t.Errorf("run = %+v", r)
	}
	if steps, _ := s2.Steps(ctx, r.ID); len(steps) != 2 || steps[0].StepID == "stale" {
		t.Errorf("steps = %+v", steps)
	}
}

func TestHeartbeatKeepsLongRuns(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		s := storetest.Open(t, newDriver)
		rec := newRecorder("welcome")
		rec.before = func(ctx context.Context, a *Attempt) error {
			time.Sleep(3 * testOptions().Lease)
			return a.Check()
		}
		_, stop := work(t, s, rec.handlers(), testOptions())
		storetest.Ingest(t, s, storetest.Delivery("d", storetest.Events("e")...))
		runs := waitRuns(t, s, 1)
		stop()
		if runs[0].Status != store.RunSucceeded || runs[0].Attempts != 1 {
			t.Errorf("a run longer than its lease = %s after %d attempts (%s), want one attempt", runs[0].Status, runs[0].Attempts, runs[0].Error)
		}
	})
}

func TestShutdownGivesRunsBack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		ctx := context.Background()
		s := storetest.Open(t, newDriver)
		rec := newRecorder("welcome")
		started := make(chan struct{}, 1)
		rec.before = func(ctx context.Context, a *Attempt) error {
			if a.Lease.Attempt == 1 {
				started <- struct{}{}
				<-ctx.Done() // a long request, cancelled at shutdown
				return ctx.Err()
			}
			return nil
		}
		opts := testOptions()
		opts.ShutdownTimeout = 100 * time.Millisecond
		_, stop := work(t, s, rec.handlers(), opts)
		storetest.Ingest(t, s, storetest.Delivery("d", storetest.Events("e")...))
		<-started
		stop()
		runs, _, _ := s.ListRuns(ctx, store.RunFilter{})
		if len(runs) != 1 || runs[0].Status != store.RunRetrying || !strings.Contains(runs[0].Error, "shut down") || runs[0].LeaseOwner != "" {
			t.Fatalf("run after shutdown = %+v, want it given back", runs)
		}
		// The next worker takes it at once, not after a lease.
		start := time.Now()
		_, stop = work(t, s, rec.handlers(), opts)
		runs = waitRuns(t, s, 1)
		stop()
		if runs[0].Status != store.RunSucceeded || time.Since(start) > opts.Lease {
			t.Errorf("run = %s after %v", runs[0].Status, time.Since(start))
		}
	})
}

func TestUncertainWaits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		s := storetest.Open(t, newDriver)
		rec := newRecorder("welcome")
		rec.before = func(ctx context.Context, a *Attempt) error {
			if err := a.HoldUncertain(ctx, "POST enroll may have reached the API"); err != nil {
				return err
			}
			return errors.New("held") // ignored: the attempt ended the run's turn
		}
		_, stop := work(t, s, rec.handlers(), testOptions())
		storetest.Ingest(t, s, storetest.Delivery("d", storetest.Events("e")...))
		runs := waitRuns(t, s, 1)
		time.Sleep(150 * time.Millisecond)
		stop()
		_, execute := rec.counts()
		if runs[0].Status != store.RunUncertain || execute[runs[0].ID] != 1 {
			t.Errorf("run = %s, executed %d times; want uncertain, once", runs[0].Status, execute[runs[0].ID])
		}
	})
}

func TestOneWorkerPerExclusiveStore(t *testing.T) {
	s := storetest.Open(t, testdb.SQLite())
	_, stop := work(t, s, newRecorder().handlers(), testOptions())
	defer stop()
	time.Sleep(50 * time.Millisecond) // let the first queue take the lock
	q, err := New(s, newRecorder().handlers(), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := q.Run(ctx); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Errorf("a second worker on one SQLite store: %v, want refused", err)
	}
}

func TestOptionsRefused(t *testing.T) {
	s := storetest.Open(t, testdb.SQLite())
	h := newRecorder().handlers()
	for _, tt := range []struct {
		opts Options
		want string
	}{
		{Options{Lease: time.Second, Heartbeat: 800 * time.Millisecond}, "at most half the lease"},
		{Options{Lease: 30 * time.Second, Timeout: 10 * time.Second}, "shorter than lease"},
		{Options{Lease: -time.Second}, "negative"},
		{Options{RetryBase: time.Hour, RetryMax: time.Minute}, "retry base"},
	} {
		if _, err := New(s, h, tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error saying %q", tt.opts, err, tt.want)
		}
	}
	if _, err := New(s, Handlers{}, Options{}); err == nil {
		t.Error("New without handlers succeeded")
	}
	q, err := New(s, h, Options{})
	if err != nil {
		t.Fatalf("the defaults are refused: %v", err)
	}
	if o := q.Options(); o.Lease != DefaultLease || o.Heartbeat != DefaultHeartbeat || o.Timeout != DefaultTimeout {
		t.Errorf("defaults = %+v", o)
	}
}

func TestBackoff(t *testing.T) {
	o, _ := Options{RetryBase: time.Second, RetryMax: 30 * time.Second}.withDefaults()
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i, w := range want {
		w *= time.Second
		for range 50 {
			d := o.backoff(i+1, errors.New("x"))
			if d < w-w/10 || d > w+w/10 {
				t.Fatalf("backoff(attempt %d) = %v, want %v ±10%%", i+1, d, w)
			}
		}
	}
	if d := o.backoff(1, fmt.Errorf("step: %w", RetryAfter(time.Minute, errors.New("429")))); d != time.Minute {
		t.Errorf("backoff with RetryAfter(1m) = %v", d)
	}
}

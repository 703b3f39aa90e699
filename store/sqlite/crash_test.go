package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
)

func newEvent(id string) store.NewEvent {
	return store.NewEvent{UUID: id, Type: "user.mfa.factor.activate", Published: time.Now(),
		Payload: []byte(fmt.Sprintf(`{"uuid":%q}`, id))}
}

// A process killed mid-run leaves its jobs marked running; the next Work must resume them at once, after
// the last checkpointed step, and must not give a run that was on its final attempt another one.
func TestWorkRescuesJobsOrphanedByACrash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "trama.db")
	s := openAt(t, path)
	if _, err := s.IngestDelivery(ctx, store.NewDelivery{Hook: "okta", Events: []store.NewEvent{newEvent("a"), newEvent("b")}}); err != nil {
		t.Fatal(err)
	}
	var runs []store.Run
	for _, u := range []string{"a", "b"} {
		r, err := s.CreateRuns(ctx, u, []store.NewRun{{Trigger: "welcome", WorkflowFile: "f.yaml", WorkflowID: "w"}})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r...)
	}
	if err := s.SaveStep(ctx, store.Step{RunID: runs[0].ID, Seq: 1, StepID: "enroll", Status: "succeeded"}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// What a SIGKILL during both runs leaves behind: their jobs fetched, one on attempt 1 and one on its last.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for i, attempt := range []string{"1", "max_attempts"} {
		res, err := raw.Exec(`UPDATE river_job SET state = 'running', attempt = `+attempt+`,
			attempted_at = datetime('now', 'subsec') WHERE kind = 'trama_execute' AND CAST(args AS TEXT) LIKE ?`,
			"%"+runs[i].ID+"%")
		if n, _ := res.RowsAffected(); err != nil || n != 1 {
			t.Fatalf("simulate crash: %d rows, %v", n, err)
		}
		if _, err := raw.Exec(`UPDATE runs SET status = 'running', attempts = 1 WHERE id = ?`, runs[i].ID); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()

	s = openAt(t, path)
	var mu sync.Mutex
	calls := map[string][]int{}
	workCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- s.Work(workCtx, store.Handlers{
			Dispatch: func(ctx context.Context, id string, replay int) error { return nil },
			Execute: func(ctx context.Context, runID string, attempt, max int) error {
				mu.Lock()
				calls[runID] = append(calls[runID], attempt)
				mu.Unlock()
				steps, err := s.Steps(ctx, runID)
				if err != nil {
					return err
				}
				for seq := len(steps) + 1; seq <= 2; seq++ {
					if err := s.SaveStep(ctx, store.Step{RunID: runID, Seq: seq, StepID: fmt.Sprint("s", seq), Status: "succeeded"}); err != nil {
						return err
					}
				}
				return s.FinishRun(ctx, runID, store.RunResult{Status: store.RunSucceeded})
			},
		})
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := s.GetRun(ctx, runs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status.Finished() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("orphaned run not resumed within 5s (RescueAfter is %v): %+v", testOptions.RescueAfter, r)
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Work: %v", err)
	}

	r0, _ := s.GetRun(ctx, runs[0].ID)
	steps, _ := s.Steps(ctx, runs[0].ID)
	if r0.Status != store.RunSucceeded || r0.Attempts != 2 || len(steps) != 2 || steps[0].StepID != "enroll" {
		t.Errorf("resumed run = %s on attempt %d with steps %+v; want succeeded on attempt 2 keeping enroll", r0.Status, r0.Attempts, steps)
	}
	r1, _ := s.GetRun(ctx, runs[1].ID)
	if r1.Status != store.RunFailed || !strings.Contains(r1.Error, "interrupted") {
		t.Errorf("run interrupted on its final attempt = %s %q, want failed as interrupted", r1.Status, r1.Error)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(calls) != fmt.Sprint(map[string][]int{runs[0].ID: {2}}) {
		t.Errorf("Execute calls = %v, want only run %s on attempt 2", calls, runs[0].ID)
	}
}

func TestOnlyOneProcessWorksAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trama.db")
	first, second := openAt(t, path), openAt(t, path) // two processes, as far as the lock can tell
	h := store.Handlers{
		Dispatch: func(context.Context, string, int) error { return nil },
		Execute:  func(context.Context, string, int, int) error { return nil },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- first.Work(ctx, h) }()
	time.Sleep(50 * time.Millisecond)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	err := second.Work(ctx2, h)
	if err == nil || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "another process") {
		t.Errorf("second worker on one file: %v, want refused", err)
	}
	// The second store still reads and writes: the CLI uses it while `trama serve` works.
	if _, err := second.IngestDelivery(context.Background(), store.NewDelivery{Hook: "okta", Events: []store.NewEvent{newEvent("x")}}); err != nil {
		t.Errorf("ingest through a second store: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("first Work: %v", err)
	}
}

func TestOpenRejectsNonFilePaths(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if _, err := openOnly(p); err == nil {
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

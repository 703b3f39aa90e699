package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/sqlite"
	"github.com/trama-dev/trama/store/storetest"
)

func benchIngest(b *testing.B, perDelivery int) {
	s := openAt(b, filepath.Join(b.TempDir(), "trama.db"))
	ctx := context.Background()
	// Build the deliveries first: the receiver's JSON work is not the store's cost.
	deliveries := make([]store.NewDelivery, b.N)
	for i := range deliveries {
		deliveries[i] = storetest.BenchDelivery(perDelivery)
	}
	lat := make(storetest.Latencies, 0, b.N)
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for i := range b.N {
		t0 := time.Now()
		res, err := s.IngestDelivery(ctx, deliveries[i])
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		if len(res.New) != perDelivery {
			b.Fatalf("%d new events, want %d", len(res.New), perDelivery)
		}
	}
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N*perDelivery)/elapsed.Seconds(), "events/s")
	// CPU per delivery is the number to trust on a shared machine, where wall time includes waiting for
	// other processes' turns.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	lat.Report(b, "ack-")
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIngestSingle measures acknowledging deliveries of one event each.
func BenchmarkIngestSingle(b *testing.B) { benchIngest(b, 1) }

// BenchmarkIngestBatch50 measures acknowledging deliveries of 50 events each (Okta's batching under load).
func BenchmarkIngestBatch50(b *testing.B) { benchIngest(b, 50) }

// BenchmarkIngestBatch50WhileWorking measures acknowledgement while the queue dispatches every event to
// a run and executes it (two checkpointed steps) and a reader lists history, as in `trama serve`.
func BenchmarkIngestBatch50WhileWorking(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "trama.db"))
	ctx := context.Background()
	stop := startWork(b, s, func(string) {})
	defer stop()
	readCtx, stopReading := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for readCtx.Err() == nil {
			if _, _, err := s.ListRuns(readCtx, store.RunFilter{}); err != nil && readCtx.Err() == nil {
				b.Error(err)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	deliveries := make([]store.NewDelivery, b.N)
	for i := range deliveries {
		deliveries[i] = storetest.BenchDelivery(50)
	}
	lat := make(storetest.Latencies, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		t0 := time.Now()
		if _, err := s.IngestDelivery(ctx, deliveries[i]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stopReading()
	wg.Wait()
	b.ReportMetric(float64(b.N*50)/elapsed.Seconds(), "events/s")
	lat.Report(b, "ack-")
}

// startWork runs a worker that, like trama's, creates one run per event and executes it with two
// checkpointed steps; started is called with each run id as its Execute begins.
func startWork(b *testing.B, s *sqlite.Store, started func(runID string)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.Work(ctx, store.Handlers{
			Dispatch: func(ctx context.Context, id string, replay int) error {
				_, err := s.CreateRuns(ctx, id, []store.NewRun{{Trigger: "welcome", Replay: replay,
					WorkflowFile: "flows/notify.arazzo.yaml", WorkflowID: "notify", Inputs: json.RawMessage(`{"userId":"00u1"}`)}})
				return err
			},
			Execute: func(ctx context.Context, runID string, attempt, max int) error {
				started(runID)
				for seq := 1; seq <= 2; seq++ {
					if err := s.SaveStep(ctx, store.Step{RunID: runID, Seq: seq, StepID: fmt.Sprint("step", seq),
						Status: "succeeded", Method: "POST", URL: "http://127.0.0.1/api/v1/x", StatusCode: 200}); err != nil {
						return err
					}
				}
				return s.FinishRun(ctx, runID, store.RunResult{Status: store.RunSucceeded})
			},
		})
	}()
	return func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}
}

// BenchmarkEventToRunStart measures the latency from the start of IngestDelivery to the Execute handler
// being called for the event's run: ingest, dispatch job, CreateRuns, execute job.
func BenchmarkEventToRunStart(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "trama.db"))
	ctx := context.Background()
	runStarted := make(chan time.Time, 1)
	stop := startWork(b, s, func(string) { runStarted <- time.Now() })
	defer stop()
	deliveries := make([]store.NewDelivery, b.N)
	for i := range deliveries {
		deliveries[i] = storetest.BenchDelivery(1)
	}
	lat := make(storetest.Latencies, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		if _, err := s.IngestDelivery(ctx, deliveries[i]); err != nil {
			b.Fatal(err)
		}
		select {
		case t1 := <-runStarted:
			lat = append(lat, t1.Sub(t0))
		case <-time.After(5 * time.Second):
			b.Fatal("run did not start within 5s")
		}
	}
	b.StopTimer()
	lat.Report(b, "")
}

// BenchmarkIngestBatch50WhileReading measures acknowledgement while a client pages through history
// without pause (the read pool runs beside the single writer in WAL mode, so reads cost CPU, not locks).
func BenchmarkIngestBatch50WhileReading(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "trama.db"))
	ctx := context.Background()
	for range 200 { // 10 000 events of history to read
		if _, err := s.IngestDelivery(ctx, storetest.BenchDelivery(50)); err != nil {
			b.Fatal(err)
		}
	}
	deliveries := make([]store.NewDelivery, b.N)
	for i := range deliveries {
		deliveries[i] = storetest.BenchDelivery(50)
	}
	readCtx, stopReading := context.WithCancel(ctx)
	var reads int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for readCtx.Err() == nil {
			page, _, err := s.ListEvents(readCtx, store.EventFilter{Type: "user.mfa.factor.activate", Page: store.Page{Limit: 100}})
			if err == nil && len(page) > 0 {
				_, err = s.GetEvent(readCtx, page[len(page)-1].UUID)
			}
			if err == nil {
				_, err = s.Counts(readCtx)
			}
			if err != nil && readCtx.Err() == nil {
				b.Error(err)
				return
			}
			reads++
		}
	}()
	lat := make(storetest.Latencies, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		t0 := time.Now()
		if _, err := s.IngestDelivery(ctx, deliveries[i]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stopReading()
	wg.Wait()
	b.ReportMetric(float64(b.N*50)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(reads)/elapsed.Seconds(), "reads/s")
	lat.Report(b, "ack-")
}

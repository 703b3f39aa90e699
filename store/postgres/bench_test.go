package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/storetest"
)

// The benchmarks mirror store/sqlite's (same event size, same percentiles) so the numbers sit side by
// side in docs/deploy.md. "Replicas" are Stores in this process, each with its own connection pool and
// River client, on one schema: what three `trama serve` processes do to the database, without HTTP.

func benchReplicas(b *testing.B, n int) []*Store {
	url := testURL(b)
	schema := newSchema(b, url)
	opts := testOptions(schema)
	opts.RetryBase, opts.RetryMax, opts.PollInterval, opts.MaxConns = 0, 0, 0, 0 // trama serve's defaults
	var out []*Store
	for range n {
		out = append(out, openTest(b, url, opts))
	}
	return out
}

// benchIngest acknowledges b.N deliveries of perDelivery events through clients concurrent callers
// spread over the replicas, as Okta's concurrent deliveries behind a load balancer would arrive.
func benchIngest(b *testing.B, replicas, clients, perDelivery int) {
	stores := benchReplicas(b, replicas)
	ctx := context.Background()
	deliveries := make([]store.NewDelivery, b.N)
	for i := range deliveries {
		deliveries[i] = storetest.BenchDelivery(perDelivery)
	}
	var mu sync.Mutex
	lat := make(storetest.Latencies, 0, b.N)
	next := make(chan store.NewDelivery, b.N)
	for _, d := range deliveries {
		next <- d
	}
	close(next)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		s := stores[c%replicas]
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine storetest.Latencies
			for d := range next {
				t0 := time.Now()
				res, err := s.IngestDelivery(ctx, d)
				if err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
				if len(res.New) != perDelivery {
					b.Errorf("%d new events, want %d", len(res.New), perDelivery)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N*perDelivery)/elapsed.Seconds(), "events/s")
	lat.Report(b, "ack-")
}

// BenchmarkIngestSingle measures acknowledging deliveries of one event each.
func BenchmarkIngestSingle(b *testing.B) { benchIngestShapes(b, 1) }

// BenchmarkIngestBatch50 measures acknowledging deliveries of 50 events each (Okta's batching under load).
func BenchmarkIngestBatch50(b *testing.B) { benchIngestShapes(b, 50) }

func benchIngestShapes(b *testing.B, perDelivery int) {
	for _, shape := range []struct{ replicas, clients int }{{1, 1}, {1, 4}, {3, 3}, {3, 12}} {
		b.Run(fmt.Sprintf("replicas=%d/clients=%d", shape.replicas, shape.clients), func(b *testing.B) {
			benchIngest(b, shape.replicas, shape.clients, perDelivery)
		})
	}
}

// BenchmarkEventToRunStart measures the latency from the start of IngestDelivery to the Execute handler
// being called for the event's run (ingest, dispatch job, CreateRuns, execute job), with every replica
// working the queue: the jobs go to whichever replica LISTEN/NOTIFY wakes first.
func BenchmarkEventToRunStart(b *testing.B) {
	for _, replicas := range []int{1, 3} {
		b.Run(fmt.Sprintf("replicas=%d", replicas), func(b *testing.B) {
			stores := benchReplicas(b, replicas)
			runStarted := make(chan time.Time, 1)
			for _, s := range stores {
				stop := benchWork(b, s, func() { runStarted <- time.Now() })
				defer stop()
			}
			time.Sleep(200 * time.Millisecond) // let the clients start listening
			ctx := context.Background()
			deliveries := make([]store.NewDelivery, b.N)
			for i := range deliveries {
				deliveries[i] = storetest.BenchDelivery(1)
			}
			lat := make(storetest.Latencies, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				t0 := time.Now()
				if _, err := stores[i%replicas].IngestDelivery(ctx, deliveries[i]); err != nil {
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
		})
	}
}

// benchWork runs a worker that, like trama's, creates one run per event and executes it with two
// checkpointed steps.
func benchWork(b *testing.B, s *Store, started func()) (stop func()) {
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
				started()
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

// BenchmarkIngestBatch50WhileWorking measures acknowledgement while every replica's queue dispatches each
// event to a run and executes it (two checkpointed steps), as in `trama serve`; one client per replica.
func BenchmarkIngestBatch50WhileWorking(b *testing.B) {
	for _, replicas := range []int{1, 3} {
		b.Run(fmt.Sprintf("replicas=%d", replicas), func(b *testing.B) {
			stores := benchReplicas(b, replicas)
			for _, s := range stores {
				stop := benchWork(b, s, func() {})
				defer stop()
			}
			ctx := context.Background()
			deliveries := make([]store.NewDelivery, b.N)
			for i := range deliveries {
				deliveries[i] = storetest.BenchDelivery(50)
			}
			next := make(chan store.NewDelivery, b.N)
			for _, d := range deliveries {
				next <- d
			}
			close(next)
			var mu sync.Mutex
			lat := make(storetest.Latencies, 0, b.N)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for _, s := range stores {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var mine storetest.Latencies
					for d := range next {
						t0 := time.Now()
						if _, err := s.IngestDelivery(ctx, d); err != nil {
							b.Error(err)
							return
						}
						mine = append(mine, time.Since(t0))
					}
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N*50)/elapsed.Seconds(), "events/s")
			lat.Report(b, "ack-")
		})
	}
}

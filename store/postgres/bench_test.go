package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trama-dev/trama/store"
)

// The benchmarks mirror store/sqlite's (same event size, same percentiles) so the numbers sit side by
// side in docs/deploy.md. "Replicas" are Stores in this process, each with its own connection pool and
// River client, on one schema: what three `trama serve` processes do to the database, without HTTP.

// benchEvent is a LogEvent of realistic size (about 1.5 KB, like Okta's factor events).
func benchEvent(id string) store.NewEvent {
	payload, _ := json.Marshal(map[string]any{
		"uuid": id, "eventType": "user.mfa.factor.activate", "version": "0", "severity": "INFO",
		"displayMessage": "Activate factor or authenticator", "published": "2026-11-01T10:00:00.123Z",
		"actor":   map[string]any{"id": "00u1abcd2EFGH3ijk4l5", "type": "User", "alternateId": "ann@example.com", "displayName": "Ann Example"},
		"outcome": map[string]any{"result": "SUCCESS", "reason": "User set up OKTA_SOFT_TOKEN factor"},
		"client": map[string]any{"ipAddress": "203.0.113.7", "zone": "null", "device": "Computer",
			"userAgent":           map[string]any{"rawUserAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36", "os": "Linux", "browser": "CHROME"},
			"geographicalContext": map[string]any{"city": "Berlin", "state": "Land Berlin", "country": "Germany", "postalCode": "10115", "geolocation": map[string]any{"lat": 52.52, "lon": 13.405}}},
		"authenticationContext": map[string]any{"authenticationStep": 0, "externalSessionId": "102abcdefghijklmnopqrstu"},
		"securityContext":       map[string]any{"asNumber": 64496, "asOrg": "example", "isp": "example isp", "domain": "example.net", "isProxy": false},
		"debugContext":          map[string]any{"debugData": map[string]any{"requestId": "aBcDeFgHiJkLmNoPqRsT", "requestUri": "/api/v1/users/00u1abcd2EFGH3ijk4l5/factors/mfa1/lifecycle/activate"}},
		"transaction":           map[string]any{"type": "WEB", "id": "aBcDeFgHiJkLmNoPqRsT", "detail": map[string]any{}},
		"target": []map[string]any{
			{"id": "00u1abcd2EFGH3ijk4l5", "type": "User", "alternateId": "ann@example.com", "displayName": "Ann Example"},
			{"id": "mfa1abcd2EFGH3ijk4l5", "type": "Authenticator", "alternateId": "unknown", "displayName": "Google Authenticator"},
		},
		"request": map[string]any{"ipChain": []map[string]any{{"ip": "203.0.113.7", "version": "V4"}}},
	})
	return store.NewEvent{UUID: id, Type: "user.mfa.factor.activate", Published: time.Now(), Payload: payload}
}

func benchDelivery(n int) store.NewDelivery {
	evs := make([]store.NewEvent, n)
	for i := range evs {
		u, err := uuid.NewUUID() // version 1, time-based, as Okta's uuids are
		if err != nil {
			panic(err)
		}
		evs[i] = benchEvent(u.String())
	}
	return store.NewDelivery{Hook: "okta", EventID: uuid.NewString(), Size: 1500 * n, Events: evs,
		Headers: map[string][]string{"Content-Type": {"application/json"}, "Authorization": {"****"},
			"User-Agent": {"Okta Event Hooks"}, "X-Okta-Request-Id": {"aBcDeFgHiJkLmNoPqRsT"}}}
}

// latencies collects per-operation times and reports their percentiles.
type latencies []time.Duration

func (l latencies) report(b *testing.B, prefix string) {
	if len(l) == 0 {
		return
	}
	slices.Sort(l)
	pct := func(p float64) float64 {
		return float64(l[min(len(l)-1, int(float64(len(l))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), prefix+"p50-ms")
	b.ReportMetric(pct(0.99), prefix+"p99-ms")
}

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
		deliveries[i] = benchDelivery(perDelivery)
	}
	var mu sync.Mutex
	lat := make(latencies, 0, b.N)
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
			var mine latencies
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
	lat.report(b, "ack-")
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
				deliveries[i] = benchDelivery(1)
			}
			lat := make(latencies, 0, b.N)
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
			lat.report(b, "")
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
				deliveries[i] = benchDelivery(50)
			}
			next := make(chan store.NewDelivery, b.N)
			for _, d := range deliveries {
				next <- d
			}
			close(next)
			var mu sync.Mutex
			lat := make(latencies, 0, b.N)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for _, s := range stores {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var mine latencies
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
			lat.report(b, "ack-")
		})
	}
}

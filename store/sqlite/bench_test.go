package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/sqlite"
)

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
		"debugContext":          map[string]any{"debugData": map[string]any{"requestId": "aBcDeFgHiJkLmNoPqRsT", "requestUri": "/api/v1/users/00u1abcd2EFGH3ijk4l5/factors/mfa1/lifecycle/activate", "url": "/api/v1/users/00u1abcd2EFGH3ijk4l5/factors/mfa1/lifecycle/activate?"}},
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

func benchIngest(b *testing.B, perDelivery int) {
	s := openAt(b, filepath.Join(b.TempDir(), "trama.db"))
	ctx := context.Background()
	// Build the deliveries first: the receiver's JSON work is not the store's cost.
	deliveries := make([]store.NewDelivery, b.N)
	for i := range deliveries {
		deliveries[i] = benchDelivery(perDelivery)
	}
	lat := make(latencies, 0, b.N)
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
	lat.report(b, "ack-")
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
		deliveries[i] = benchDelivery(50)
	}
	lat := make(latencies, 0, b.N)
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
	lat.report(b, "ack-")
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
		deliveries[i] = benchDelivery(1)
	}
	lat := make(latencies, 0, b.N)
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
	lat.report(b, "")
}

// BenchmarkIngestBatch50WhileReading measures acknowledgement while a client pages through history
// without pause (the read pool runs beside the single writer in WAL mode, so reads cost CPU, not locks).
func BenchmarkIngestBatch50WhileReading(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "trama.db"))
	ctx := context.Background()
	for range 200 { // 10 000 events of history to read
		if _, err := s.IngestDelivery(ctx, benchDelivery(50)); err != nil {
			b.Fatal(err)
		}
	}
	deliveries := make([]store.NewDelivery, b.N)
	for i := range deliveries {
		deliveries[i] = benchDelivery(50)
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
	lat := make(latencies, 0, b.N)
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
	lat.report(b, "ack-")
}

package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trama-dev/trama/bench/latency"
	"github.com/trama-dev/trama/okta/oktatest"
	"github.com/trama-dev/trama/store"
)

// What every driver's benchmarks share, so that their numbers compare.

// BenchEvent is a LogEvent of realistic size (oktatest's, like Okta's factor events).
func BenchEvent(id string) store.NewEvent {
	return store.NewEvent{UUID: id, Type: "user.mfa.factor.activate", Published: time.Now(),
		Payload: oktatest.Event{UUID: id, Published: time.Now()}.JSON()}
}

// BenchDelivery is a delivery of n BenchEvents with Okta-like uuids (version 1, time-based) and headers.
func BenchDelivery(n int) store.NewDelivery {
	evs := make([]store.NewEvent, n)
	for i := range evs {
		u, err := uuid.NewUUID() // version 1, time-based, as Okta's uuids are
		if err != nil {
			panic(err)
		}
		evs[i] = BenchEvent(u.String())
	}
	return store.NewDelivery{Hook: "okta", EventID: uuid.NewString(), Size: 1500 * n, Events: evs,
		Headers: map[string][]string{"Content-Type": {"application/json"}, "Authorization": {"****"},
			"User-Agent": {"Okta Event Hooks"}, "X-Okta-Request-Id": {"aBcDeFgHiJkLmNoPqRsT"}}}
}

// Latencies collects per-operation times for a benchmark; Report adds their p50 and p99 as metrics.
type Latencies []time.Duration

// Report reports the p50 and p99 in milliseconds as prefix+"p50-ms" and prefix+"p99-ms".
func (l Latencies) Report(b *testing.B, prefix string) {
	if len(l) == 0 {
		return
	}
	sum := latency.Summarize(l)
	b.ReportMetric(sum.P50, prefix+"p50-ms")
	b.ReportMetric(sum.P99, prefix+"p99-ms")
}

// BenchIngest measures acknowledging deliveries of perDelivery events each: events per second, CPU per
// delivery (the number to trust on a shared machine, where wall time includes other processes' turns)
// and the p50 and p99 of the acknowledgement. With reading, a client pages through history meanwhile.
func BenchIngest(b *testing.B, newDriver NewDriver, perDelivery int, reading bool) {
	s := Open(b, newDriver)
	ctx := context.Background()
	var stopReading func()
	if reading {
		for range 200 { // 10 000 events of history to read
			if _, err := s.IngestDelivery(ctx, BenchDelivery(50)); err != nil {
				b.Fatal(err)
			}
		}
		stopReading = readHistory(b, s)
	}
	// Build the deliveries first: the receiver's JSON work is not the store's cost.
	deliveries := make([]store.NewDelivery, b.N)
	for i := range deliveries {
		deliveries[i] = BenchDelivery(perDelivery)
	}
	lat := make(Latencies, 0, b.N)
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
	if stopReading != nil {
		stopReading()
	}
	b.ReportMetric(float64(b.N*perDelivery)/elapsed.Seconds(), "events/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
	lat.Report(b, "ack-")
}

// readHistory pages through events and counts without pause until the returned function is called.
func readHistory(b *testing.B, s *store.Store) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			page, _, err := s.ListEvents(ctx, store.EventFilter{Type: "user.mfa.factor.activate", Page: store.Page{Limit: 100}})
			if err == nil && len(page) > 0 {
				_, err = s.GetEvent(ctx, page[len(page)-1].UUID)
			}
			if err == nil {
				_, err = s.Counts(ctx)
			}
			if err != nil && ctx.Err() == nil {
				b.Error(err)
				return
			}
		}
	}()
	return func() { cancel(); <-done }
}

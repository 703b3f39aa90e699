package queue

import (
	"context"
	"testing"
	"time"

	"github.com/trama-dev/trama/internal/pgtest"
	"github.com/trama-dev/trama/internal/testdb"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/storetest"
)

// benchEventToRunStart measures the latency from the start of IngestDelivery to the Execute handler
// being called for the event's run: ingest, dispatch claimed and completed (the run created), run claimed.
func benchEventToRunStart(b *testing.B, newDriver storetest.NewDriver) {
	s := storetest.Open(b, newDriver)
	started := make(chan time.Time, 1)
	rec := newRecorder("welcome")
	rec.before = func(context.Context, *Attempt) error { started <- time.Now(); return nil }
	q, err := New(s, rec.handlers(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	defer func() { cancel(); <-done }()
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
		case t1 := <-started:
			lat = append(lat, t1.Sub(t0))
		case <-time.After(5 * time.Second):
			b.Fatal("run did not start within 5s")
		}
	}
	b.StopTimer()
	lat.Report(b, "")
}

func BenchmarkEventToRunStartSQLite(b *testing.B) { benchEventToRunStart(b, testdb.SQLite()) }

func BenchmarkEventToRunStartPostgres(b *testing.B) {
	benchEventToRunStart(b, testdb.Postgres(pgtest.URL(b)))
}

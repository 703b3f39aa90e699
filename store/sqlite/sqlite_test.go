package sqlite_test

import (
	"testing"

	"github.com/trama-dev/trama/internal/testdb"
	"github.com/trama-dev/trama/store/storetest"
)

func TestConformance(t *testing.T) { storetest.Run(t, testdb.SQLite()) }

func FuzzIngest(f *testing.F) { storetest.FuzzIngest(f, testdb.SQLite()) }

// BenchmarkIngestSingle measures acknowledging deliveries of one event each.
func BenchmarkIngestSingle(b *testing.B) { storetest.BenchIngest(b, testdb.SQLite(), 1, false) }

// BenchmarkIngestBatch50 measures acknowledging deliveries of 50 events each (Okta's batching under load).
func BenchmarkIngestBatch50(b *testing.B) { storetest.BenchIngest(b, testdb.SQLite(), 50, false) }

// BenchmarkIngestBatch50WhileReading measures acknowledgement while a client pages through history (the
// read pool runs beside the single writer in WAL mode, so reads cost CPU, not locks).
func BenchmarkIngestBatch50WhileReading(b *testing.B) {
	storetest.BenchIngest(b, testdb.SQLite(), 50, true)
}

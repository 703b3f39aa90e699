package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/sqlite"
	"github.com/trama-dev/trama/store/storetest"
)

// testOptions make retries fast enough for the suite while keeping the production attempt count.
var testOptions = sqlite.Options{RetryBase: 10 * time.Millisecond, RetryMax: 40 * time.Millisecond, MaxAttempts: 4,
	ShutdownTimeout: 5 * time.Second}

func openAt(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, testOptions)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	paths := map[*testing.T]string{}
	storetest.Run(t, func(t *testing.T) store.Store {
		p, ok := paths[t]
		if !ok {
			p = filepath.Join(t.TempDir(), "trama.db")
			paths[t] = p
		}
		return openAt(t, p)
	})
}

func openOnly(path string) (*sqlite.Store, error) {
	return sqlite.Open(context.Background(), path, testOptions)
}

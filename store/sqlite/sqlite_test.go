package sqlite_test

import (
	"testing"

	"github.com/trama-dev/trama/internal/testdb"
	"github.com/trama-dev/trama/store/storetest"
)

func TestConformance(t *testing.T) { storetest.Run(t, testdb.SQLite()) }

func FuzzIngest(f *testing.F) { storetest.FuzzIngest(f, testdb.SQLite()) }

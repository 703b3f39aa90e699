package bench

import (
	"bytes"
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// A stat line as Linux writes it, with the fields the bench reads: ppid 812, utime 1234, stime 56,
// cutime 700, cstime 80 (in ticks of 10 ms).
const statLine = "4242 (postgres) S 812 4242 4242 0 -1 4194560 2170 0 0 0 1234 56 700 80 20 0 1 0 93412 226181120 3345 18446744073709551615 1 1 0 0 0 0 4194304 19935232 84483 0 0 0 17 1 0 0 0 0 0\n"

func TestParseProcStat(t *testing.T) {
	s, err := parseProcStat([]byte(statLine))
	if err != nil || s.comm != "postgres" || s.ppid != 812 || s.cpu != 12900*time.Millisecond || s.children != 7800*time.Millisecond {
		t.Errorf("parseProcStat = %+v, %v; want postgres, ppid 812, cpu 12.9 s, children 7.8 s", s, err)
	}
	// A command name may hold spaces and parentheses: the fields count from the last ')'.
	odd := strings.Replace(statLine, "(postgres)", "(post (gres) x)", 1)
	if s, err := parseProcStat([]byte(odd)); err != nil || s.comm != "post (gres) x" || s.ppid != 812 || s.cpu != 12900*time.Millisecond {
		t.Errorf("a command name with parentheses: %+v, %v", s, err)
	}
	for _, bad := range []string{"", "4242 postgres S 812", "4242 (postgres) S 812 1 2", strings.Replace(statLine, " 1234 ", " -3 ", 1),
		strings.Replace(statLine, " 812 ", " x ", 1)} {
		if _, err := parseProcStat([]byte(bad)); err == nil {
			t.Errorf("parseProcStat(%q) took it", bad)
		}
	}
}

// FuzzParseProcStat: whatever the line, an error or counts that are not negative, never a panic.
func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte(statLine))
	f.Add([]byte("1 (a) b"))
	f.Add([]byte(")"))
	f.Fuzz(func(t *testing.T, line []byte) {
		s, err := parseProcStat(line)
		if err == nil && (s.ppid < 0 || s.cpu < 0 || s.children < 0) {
			t.Fatalf("parseProcStat(%q) = %+v", line, s)
		}
	})
}

// TestServerCPUCountsEverySession: the CPU read for the server grows by what a session spent, and a
// session that ended still counts (its postmaster waited for it).
func TestServerCPUCountsEverySession(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the server's CPU is read from Linux's /proc")
	}
	ctx := context.Background()
	dbURL := pgtest.URL(t)
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	postmaster, ok := localServer(ctx, db, "/proc")
	if !ok {
		if postgresRunsHere() && loopback(dbURL) {
			t.Fatal("a postgres process runs on this machine and the test database is on loopback, but its server was not found")
		}
		t.Skip("the test database's server does not run on this machine")
	}
	before, err := serverCPU("/proc", postmaster)
	if err != nil {
		t.Fatal(err)
	}
	// A session of its own that spends CPU and ends.
	other, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctx, `SELECT count(*) FROM generate_series(1, 3000000)`); err != nil {
		t.Fatal(err)
	}
	other.Close()
	time.Sleep(200 * time.Millisecond) // the postmaster reaps the session
	after, err := serverCPU("/proc", postmaster)
	if err != nil {
		t.Fatal(err)
	}
	if spent := after - before; spent < 50*time.Millisecond || spent > time.Minute {
		t.Errorf("the server's CPU grew by %s over a query that counted three million rows", spent)
	}
}

// postgresRunsHere reports whether some process on this machine is a postgres.
func postgresRunsHere() bool {
	comms, _ := filepath.Glob("/proc/[0-9]*/comm")
	for _, c := range comms {
		if b, err := os.ReadFile(c); err == nil && string(bytes.TrimSpace(b)) == "postgres" {
			return true
		}
	}
	return false
}

// loopback reports whether the database URL names this machine: a loopback address or a Unix socket.
func loopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := u.Hostname()
	return h == "" || h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1" || strings.HasPrefix(u.Query().Get("host"), "/")
}

package bench

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// ticksPerSecond is the unit of the CPU times in /proc/PID/stat (USER_HZ): 100 on every Linux
// architecture Go runs on; the kernel keeps it fixed for user space whatever its own tick rate.
const ticksPerSecond = 100

// procStat is what the bench reads of one /proc/PID/stat line.
type procStat struct {
	// comm is the command name, "postgres" for every process of a PostgreSQL server.
	comm string
	ppid int
	// cpu is the process's user and system time; children is that of its children it has waited for.
	cpu, children time.Duration
}

// parseProcStat reads a /proc/PID/stat line: "pid (comm) state ppid … utime stime cutime cstime …".
// comm may hold spaces and parentheses, so the fields are counted from the last ')'.
func parseProcStat(line []byte) (procStat, error) {
	var s procStat
	start, end := bytes.IndexByte(line, '('), bytes.LastIndexByte(line, ')')
	if start < 0 || end < start {
		return s, errors.New("no command name in parentheses")
	}
	s.comm = string(line[start+1 : end])
	// After ") ": state (field 3), ppid (4), … utime (14), stime (15), cutime (16), cstime (17).
	fields := bytes.Fields(line[end+1:])
	if len(fields) < 15 {
		return s, fmt.Errorf("%d fields after the command name, want at least 15", len(fields))
	}
	tick := time.Second / ticksPerSecond
	num := func(i int) (int64, error) {
		n, err := strconv.ParseInt(string(fields[i]), 10, 64)
		// Two of them add up to a time.Duration: anything larger is no CPU time.
		if err != nil || n < 0 || n > math.MaxInt64/int64(tick)/2 {
			return 0, fmt.Errorf("field %d is %q, not a count", i+3, fields[i])
		}
		return n, nil
	}
	var v [5]int64
	for i, f := range []int{1, 11, 12, 13, 14} { // ppid, utime, stime, cutime, cstime
		n, err := num(f)
		if err != nil {
			return s, err
		}
		v[i] = n
	}
	s.ppid = int(v[0])
	s.cpu = time.Duration(v[1]+v[2]) * tick
	s.children = time.Duration(v[3]+v[4]) * tick
	return s, nil
}

// readProcStat reads the stat line of process pid under proc (/proc).
func readProcStat(proc string, pid int) (procStat, error) {
	b, err := os.ReadFile(filepath.Join(proc, strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(b)
}

// localServer returns the process id of the PostgreSQL server behind db when it runs on this machine
// and its processes are visible here: the parent of the session's backend. ok is false for a server on
// another machine or in another PID namespace (a container), whose CPU the bench cannot read.
func localServer(ctx context.Context, db *sql.DB, proc string) (postmaster int, ok bool) {
	var backend int
	if err := db.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		return 0, false
	}
	// The pid is this machine's only if it names a postgres process here.
	st, err := readProcStat(proc, backend)
	if err != nil || st.comm != "postgres" || st.ppid <= 1 {
		return 0, false
	}
	if _, err := readProcStat(proc, st.ppid); err != nil {
		return 0, false
	}
	return st.ppid, true
}

// serverCPU is the CPU the server whose postmaster is pid has used so far: the postmaster's own, that of
// the processes it runs now (sessions, WAL writer, checkpointer, …), and that of those that ended
// (which the postmaster waited for). Every session's, like the WAL counts, not only the bench's.
func serverCPU(proc string, postmaster int) (time.Duration, error) {
	pm, err := readProcStat(proc, postmaster)
	if err != nil {
		return 0, fmt.Errorf("read the database server's CPU time: %w", err)
	}
	total := pm.cpu + pm.children
	entries, err := os.ReadDir(proc)
	if err != nil {
		return 0, fmt.Errorf("read the database server's CPU time: %w", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == postmaster {
			continue
		}
		st, err := readProcStat(proc, pid)
		if err != nil || st.ppid != postmaster {
			continue // gone since the listing, or not the server's
		}
		total += st.cpu
	}
	return total, nil
}

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trama-dev/trama/bench"
)

func TestBenchCompare(t *testing.T) {
	bin := builtTrama(t)
	code, stdout, stderr := trama(t, "bench", "compare", bin, bin, "--rounds", "1", "-o", "json", "--", "--events", "30", "--batch", "10")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep bench.CompareReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	// One round is four runs, two of each build, every one of them complete.
	for _, b := range []bench.BuildRuns{rep.Baseline, rep.Candidate} {
		if b.Binary != bin || len(b.Runs) != 2 || b.Median.RunsPerSec <= 0 || b.Median.CPUPerRunMs <= 0 {
			t.Errorf("build %+v", b)
		}
		for _, r := range b.Runs {
			if r.Events != 30 || r.Batch != 10 || r.Succeeded != 30 {
				t.Errorf("a run of %s: %+v", b.Binary, r)
			}
		}
	}
	if got := strings.Count(stderr, "round 1"); got != 4 {
		t.Errorf("%d progress lines, want 4:\n%s", got, stderr)
	}

	// The same as a table, each build's runs/s in the order they ran.
	code, stdout, stderr = trama(t, "bench", "compare", bin, bin, "--rounds", "1", "--", "--events", "20", "--batch", "10")
	if code != exitOK || !strings.Contains(stdout, "completed runs/s") || !strings.Contains(stdout, "runs/s, in the order run:") {
		t.Fatalf("exit %d:\n%s%s", code, stdout, stderr)
	}
}

func TestBenchCompareUsage(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "no-such-trama")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{}, "baseline trama binary"},
		{[]string{self, self, self}, "got 3"},
		{[]string{missing}, missing},
		{[]string{self, "--rounds", "0"}, "--rounds"},
		{[]string{self, "--", "-o", "text"}, "leave -o out"},
		{[]string{self, "--", "--wait"}, "nothing to compare"},
	} {
		code, _, stderr := trama(t, append([]string{"bench", "compare"}, tt.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("compare %q: exit %d, want %d with %q:\n%s", tt.args, code, exitUsage, tt.want, stderr)
		}
	}
}

// A bench that fails says why, and a password in its flags stays out of what compare prints.
func TestBenchCompareKeepsPasswords(t *testing.T) {
	bin := builtTrama(t)
	const canary = "canary-pw-5f2c"
	store := "postgres://trama:" + canary + "@127.0.0.1:1/trama?sslmode=disable&connect_timeout=2"
	code, stdout, stderr := trama(t, "bench", "compare", bin, bin, "--rounds", "1", "--", "--events", "10", "--store", store)
	if code != exitInternal {
		t.Fatalf("exit %d, want %d:\n%s%s", code, exitInternal, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, canary) {
		t.Errorf("the password is in the output:\n%s%s", stdout, stderr)
	}
	if !strings.Contains(stderr, "bench runs") || !strings.Contains(stderr, "127.0.0.1") {
		t.Errorf("the error does not say which bench failed, or where it connected:\n%s", stderr)
	}
}

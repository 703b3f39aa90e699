package bench

import (
	"net/url"
	"strings"
	"testing"

	"github.com/trama-dev/trama/secret"
)

// The flags a comparison prints keep no password, whichever way a URL is written.
func TestMaskURLsKeepsPasswords(t *testing.T) {
	const canary = "canary-pw-91d0"
	args := []string{
		"--store", "postgres://trama:" + canary + "@127.0.0.1:5432/trama?sslmode=disable",
		"--store=postgres://trama:" + canary + "@db.internal/trama",
		"--store", "postgres://trama@db.internal/trama?password=" + canary,
		"--events", "20000",
	}
	got := strings.Join(maskURLs(args), " ")
	if strings.Contains(got, canary) {
		t.Fatalf("a password is left: %s", got)
	}
	for _, want := range []string{"127.0.0.1:5432/trama", "--store=postgres://trama:", "db.internal/trama", "--events 20000"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q is gone: %s", want, got)
		}
	}
}

// FuzzMaskURLs: whatever the user, password and host, a URL among the bench's flags comes out of maskURLs
// with its password masked.
func FuzzMaskURLs(f *testing.F) {
	f.Add("trama", "canary-pw-91d0", "127.0.0.1:5432")
	f.Add("a b", "p@ss:w/rd?x=1", "db.internal")
	f.Add("0", "**", "0")
	f.Fuzz(func(t *testing.T, user, password, host string) {
		u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: host, Path: "/trama"}
		raw := u.String()
		if _, err := url.Parse(raw); err != nil || password == secret.Mask {
			return // not a URL the bench could connect to; or a password that looks masked already
		}
		for i, arg := range maskURLs([]string{raw, "--store=" + raw}) {
			if i == 1 {
				arg = strings.TrimPrefix(arg, "--store=")
			}
			m, err := url.Parse(arg)
			if err != nil {
				t.Fatalf("maskURLs(%q) = %q, which does not parse: %v", raw, arg, err)
			}
			if pw, _ := m.User.Password(); pw != secret.Mask {
				t.Fatalf("maskURLs(%q) = %q: password %q", raw, arg, pw)
			}
		}
	})
}

// TestMediansOfCPU: the database's CPU per run and the sum of both are medians over the runs that
// report them; all CPU is each run's sum, not the sum of the two medians.
func TestMediansOfCPU(t *testing.T) {
	runs := []RunsReport{
		{CPUPerRunMs: 0.30, Database: &DBWork{CPUPerRunMs: 0.50}}, // 0.80
		{CPUPerRunMs: 0.20, Database: &DBWork{CPUPerRunMs: 0.45}}, // 0.65
		{CPUPerRunMs: 0.40, Database: &DBWork{CPUPerRunMs: 0.35}}, // 0.75
	}
	m := medians(runs)
	if m.CPUPerRunMs != 0.30 || m.DBCPUPerRunMs != 0.45 || m.AllCPUPerRunMs != 0.75 {
		t.Errorf("medians = trama %.2f, database %.2f, all %.2f; want 0.30, 0.45, 0.75", m.CPUPerRunMs, m.DBCPUPerRunMs, m.AllCPUPerRunMs)
	}
	var out strings.Builder
	(&CompareReport{Rounds: 1, Baseline: BuildRuns{Median: m}, Candidate: BuildRuns{Median: m}}).WriteText(&out)
	if !strings.Contains(out.String(), "database CPU per run, ms") || !strings.Contains(out.String(), "all CPU per run, ms") {
		t.Errorf("the comparison leaves out the database's CPU:\n%s", out.String())
	}
	// A build whose bench does not read the server's CPU shows none, not trama's alone as all of it.
	if m := medians([]RunsReport{{CPUPerRunMs: 0.3, Database: &DBWork{}}}); m.AllCPUPerRunMs != 0 {
		t.Errorf("all CPU without the database's = %.2f, want none", m.AllCPUPerRunMs)
	}
}

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/bench/latency"
	"github.com/trama-dev/trama/internal/lazyregexp"
	"github.com/trama-dev/trama/internal/pgtest"
)

// TestRegexpsCompile compiles every package-level regular expression linked into trama. They compile on
// first use rather than at start (see internal/lazyregexp), so a bad one would otherwise surface only when
// a user's input first reaches it.
func TestRegexpsCompile(t *testing.T) {
	if err := lazyregexp.Check(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkStartup measures what a CI pipeline that calls trama many times pays per call, side by side
// with a Go hello-world built the same way on the same machine:
//
//   - hello: fmt.Println("hello, world");
//   - nethttp: the same hello-world linking net/http (no call into it), the floor of any Go program that
//     speaks HTTP: what its packages' initialisation and a larger binary cost before main;
//   - version: trama --version, the floor of every trama command;
//   - seed: a cold trama run of the catalog's reset-and-reenroll seed against an Okta emulator on
//     loopback (three requests), --output json.
//
// Each iteration runs the four once, interleaved, so machine noise hits them alike; the metrics are the
// medians in milliseconds, version's ratio to hello, and nethttp's ratio to hello (the ratio no HTTP
// program can go below on this machine).
//
//	go test ./cmd/trama -run XXX -bench Startup -benchtime 60x
func BenchmarkStartup(b *testing.B) {
	bins := buildStartupBinaries(b)
	const token = "00bench-token-1234"
	_, base := startEmulator(b, token)
	userID := createUser(b, base, token, "bench@example.com")
	cmds := map[string][]string{
		"hello":   {bins.hello},
		"nethttp": {bins.nethttp},
		"version": {bins.trama, "--version"},
		"seed": {bins.trama, "run", filepath.Join(catalog, "okta-reset-and-reenroll-factor-workflow.yml"),
			"--server", "oktaApi=" + base, "--input", "userId=" + userID, "--input", "oktaApiToken=" + token,
			"--input", "factorType=token:software:totp", "--input", "provider=GOOGLE", "--output", "json"},
	}
	names := []string{"hello", "nethttp", "version", "seed"}
	times := map[string][]time.Duration{}
	b.ResetTimer()
	for range b.N {
		for _, name := range names {
			c := cmds[name]
			start := time.Now()
			if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
				b.Fatalf("%s: %v\n%s", name, err, out)
			}
			times[name] = append(times[name], time.Since(start))
		}
	}
	b.StopTimer()
	med := map[string]float64{}
	for _, name := range names {
		ms := make([]float64, len(times[name]))
		for i, d := range times[name] {
			ms[i] = float64(d) / float64(time.Millisecond)
		}
		med[name] = latency.Median(ms)
		b.ReportMetric(med[name], name+"-ms")
	}
	b.ReportMetric(med["version"]/med["hello"], "version/hello")
	b.ReportMetric(med["nethttp"]/med["hello"], "nethttp/hello")
	b.ReportMetric(0, "ns/op") // an iteration is four processes; the medians above are what counts
}

type startupBinaries struct{ hello, nethttp, trama string }

// TestMain finds the PostgreSQL database the tests that need one use (pgtest), and removes the programs
// the tests and benchmarks built once every one is done with them.
func TestMain(m *testing.M) { pgtest.Main(cleanup{m}) }

type cleanup struct{ m *testing.M }

func (c cleanup) Run() int {
	code := c.m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	return code
}

// goBuild runs a go build command with the test's environment, its output in the error.
func goBuild(c *exec.Cmd) error {
	c.Env = append(os.Environ(), "GOWORK=off")
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %v\n%s", c.Args, err, out)
	}
	return nil
}

var (
	binOnce  sync.Once
	binDir   string // the built programs, removed after every test and benchmark
	tramaBin string
	binErr   error

	startupOnce sync.Once
	startupBins startupBinaries
	startupErr  error
)

// builtTrama builds this trama once per test binary, for the tests and benchmarks that run it as a
// program, and returns its path.
func builtTrama(tb testing.TB) string {
	tb.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "trama-bin-"); binErr != nil {
			return
		}
		tramaBin = filepath.Join(binDir, "trama.bin")
		binErr = goBuild(exec.Command("go", "build", "-o", tramaBin, "."))
	})
	if binErr != nil {
		tb.Fatal(binErr)
	}
	return tramaBin
}

// buildStartupBinaries builds a hello-world and one linking net/http once per test binary, with the same
// go command and environment as trama (builtTrama), so that they differ only in what they contain.
func buildStartupBinaries(b *testing.B) startupBinaries {
	trama := builtTrama(b)
	startupOnce.Do(func() {
		startupBins = startupBinaries{hello: filepath.Join(binDir, "hello.bin"), nethttp: filepath.Join(binDir, "nethttp.bin"),
			trama: trama}
		// Each program is its own module, built with the same go command and environment as trama.
		programs := map[string]string{
			startupBins.hello:   "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello, world\") }\n",
			startupBins.nethttp: "package main\n\nimport (\n\t\"fmt\"\n\t_ \"net/http\"\n)\n\nfunc main() { fmt.Println(\"hello, world\") }\n",
		}
		for bin, src := range programs {
			mod := bin + ".src"
			if err := os.MkdirAll(mod, 0o755); err != nil {
				startupErr = err
				return
			}
			os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module hello\n\ngo 1.26\n"), 0o644)
			os.WriteFile(filepath.Join(mod, "main.go"), []byte(src), 0o644)
			c := exec.Command("go", "build", "-o", bin, ".")
			c.Dir = mod
			if startupErr = goBuild(c); startupErr != nil {
				return
			}
		}
	})
	if startupErr != nil {
		b.Fatal(startupErr)
	}
	return startupBins
}

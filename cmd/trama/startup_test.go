package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/internal/pgtest"
)

// BenchmarkStartup measures what a CI pipeline that calls trama many times pays per call, side by side
// with a Go hello-world built the same way on the same machine:
//
//   - hello: fmt.Println("hello, world");
//   - version: trama --version, the floor of every trama command;
//   - seed: a cold trama run of the catalog's reset-and-reenroll seed against an Okta emulator on
//     loopback (three requests), --output json.
//
// Each iteration runs the three once, interleaved, so machine noise hits them alike; the metrics are the
// medians in milliseconds and version's ratio to hello.
//
//	go test ./cmd/trama -run XXX -bench Startup -benchtime 60x
func BenchmarkStartup(b *testing.B) {
	bins := buildStartupBinaries(b)
	const token = "00bench-token-1234"
	_, base := startEmulator(b, token)
	userID := createUser(b, base, token, "bench@example.com")
	cmds := map[string][]string{
		"hello":   {bins.hello},
		"version": {bins.trama, "--version"},
		"seed": {bins.trama, "run", filepath.Join(catalog, "okta-reset-and-reenroll-factor-workflow.yml"),
			"--server", "oktaApi=" + base, "--input", "userId=" + userID, "--input", "oktaApiToken=" + token,
			"--input", "factorType=token:software:totp", "--input", "provider=GOOGLE", "--output", "json"},
	}
	names := []string{"hello", "version", "seed"}
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
		slices.Sort(times[name])
		med[name] = float64(times[name][len(times[name])/2]) / float64(time.Millisecond)
		b.ReportMetric(med[name], name+"-ms")
	}
	b.ReportMetric(med["version"]/med["hello"], "version/hello")
	b.ReportMetric(0, "ns/op") // an iteration is three processes; the medians above are what counts
}

type startupBinaries struct{ dir, hello, trama string }

// TestMain finds the PostgreSQL database the tests that need one use (pgtest), and removes the binaries
// BenchmarkStartup built once every benchmark is done with them.
func TestMain(m *testing.M) { pgtest.Main(cleanup{m}) }

type cleanup struct{ m *testing.M }

func (c cleanup) Run() int {
	code := c.m.Run()
	if startupBins.dir != "" {
		os.RemoveAll(startupBins.dir)
	}
	return code
}

var (
	startupOnce sync.Once
	startupBins startupBinaries
	startupErr  error
)

// buildStartupBinaries builds trama and a hello-world once per test binary, with the same go command and
// environment, so the two differ only in what they contain.
func buildStartupBinaries(b *testing.B) startupBinaries {
	startupOnce.Do(func() {
		dir, err := os.MkdirTemp("", "trama-startup-")
		if err != nil {
			startupErr = err
			return
		}
		hello := filepath.Join(dir, "hello")
		if err := os.MkdirAll(hello, 0o755); err != nil {
			startupErr = err
			return
		}
		os.WriteFile(filepath.Join(hello, "go.mod"), []byte("module hello\n\ngo 1.26\n"), 0o644)
		os.WriteFile(filepath.Join(hello, "main.go"), []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello, world\") }\n"), 0o644)
		startupBins = startupBinaries{dir: dir, hello: filepath.Join(dir, "hello.bin"), trama: filepath.Join(dir, "trama.bin")}
		for _, c := range []*exec.Cmd{
			exec.Command("go", "build", "-o", startupBins.hello, "."),
			exec.Command("go", "build", "-o", startupBins.trama, "."),
		} {
			if c.Args[3] == startupBins.hello {
				c.Dir = hello
			}
			c.Env = append(os.Environ(), "GOWORK=off")
			if out, err := c.CombinedOutput(); err != nil {
				startupErr = fmt.Errorf("%v: %v\n%s", c.Args, err, out)
				return
			}
		}
	})
	if startupErr != nil {
		b.Fatal(startupErr)
	}
	return startupBins
}

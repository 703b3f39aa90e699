package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/internal/pgtest"
)

// binDir holds the trama binary the process tests build; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	pgtest.Main(withBinCleanup{m})
}

// withBinCleanup removes the built binary after the tests.
type withBinCleanup struct{ m *testing.M }

func (w withBinCleanup) Run() int {
	code := w.m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	return code
}

// buildTrama compiles the trama binary once per test binary.
var buildTrama = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "trama-e2e-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "trama")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/trama").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// serveProc is one `trama serve` process.
type serveProc struct {
	cmd *exec.Cmd
	mu  sync.Mutex
	out bytes.Buffer
}

func (p *serveProc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *serveProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func startServe(t *testing.T, bin, dir string, env []string) *serveProc {
	t.Helper()
	p := &serveProc{cmd: exec.Command(bin, "serve", "--config", filepath.Join(dir, "trama.yaml"), "--log-level", "warn")}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("trama serve at %s did not become healthy", base)
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

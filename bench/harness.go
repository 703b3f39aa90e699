package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// target is the workflows' API in a bench: the cheapest HTTP server there is, on loopback, so that
// what is measured is trama.
type target struct {
	srv  *http.Server
	addr string
}

func startTarget() (*target, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the target: %w", err)
	}
	t := &target{addr: ln.Addr().String(), srv: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"pong":true}`))
	}), ReadHeaderTimeout: 5 * time.Second}}
	go t.srv.Serve(ln)
	return t, nil
}

func (t *target) close() { t.srv.Close() }

// writeFiles writes name → text into dir.
func writeFiles(dir string, files map[string]string) error {
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// benchDir returns dir, or a temporary directory and the function that removes it.
func benchDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "trama-bench-")
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

// hookClient sends event-hook deliveries as Okta does.
type hookClient struct {
	ctx    context.Context
	client *http.Client
}

func newHookClient(ctx context.Context, conns int) *hookClient {
	return &hookClient{ctx: ctx, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns + 1, MaxConnsPerHost: conns + 1}}}
}

func (h *hookClient) close() { h.client.CloseIdleConnections() }

// send posts one delivery to url and returns when it was sent and how long the acknowledgement took.
func (h *hookClient) send(url string, body []byte) (time.Time, time.Duration, error) {
	req, err := http.NewRequestWithContext(h.ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return time.Time{}, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", benchSecret)
	sent := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		return sent, 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(sent)
	if resp.StatusCode != http.StatusOK {
		return sent, took, fmt.Errorf("delivery answered %s", resp.Status)
	}
	return sent, took, nil
}

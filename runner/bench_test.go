package runner_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/trama-dev/trama/runner"
)

// cannedTransport answers every request in memory, so a benchmark through it measures trama's own work per
// step: expressions, request building, criteria, outputs — not the network.
type cannedTransport struct{}

func (cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	body := `{"id":"item-1","status":"ACTIVE","count":3,"name":"Widget","received":{"name":"Widget"}}`
	return &http.Response{
		StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": {"application/json"}, "X-Item-Etag": {`W/"abc123"`}},
		Body:    io.NopCloser(bytes.NewReader([]byte(body))),
		Request: r,
	}, nil
}

// BenchmarkStepOverhead runs the two-step `child`+`setup`-shaped workflow `parent` through an in-memory
// transport and reports trama's overhead per step (ns/step) beyond the HTTP round trip.
func BenchmarkStepOverhead(b *testing.B) {
	bundle := loadFlows(b)
	r := runner.New(bundle, runner.Options{
		Servers:    map[string]string{"api": "http://api.invalid/v1"},
		HTTPClient: &http.Client{Transport: cannedTransport{}},
	})
	ctx := context.Background()
	in := map[string]any{"name": "Widget"}
	b.ReportAllocs()
	b.ResetTimer()
	steps := 0
	for i := 0; i < b.N; i++ {
		res, err := r.Run(ctx, "twoStep", in)
		if err != nil || res.Status != runner.StatusSucceeded {
			b.Fatalf("run: %v %+v", err, res)
		}
		steps += len(res.Steps)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(steps), "ns/step")
}

// BenchmarkTwoStepLoopback runs the same workflow against a real HTTP server on loopback, for the end-to-end
// cost per run next to BenchmarkStepOverhead.
func BenchmarkTwoStepLoopback(b *testing.B) {
	api := newTestAPI(b)
	r := runner.New(loadFlows(b), runner.Options{Servers: map[string]string{"api": api.srv.URL + "/v1"}})
	ctx := context.Background()
	in := map[string]any{"name": "Widget"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := r.Run(ctx, "twoStep", in)
		if err != nil || res.Status != runner.StatusSucceeded {
			b.Fatalf("run: %v %+v", err, res)
		}
	}
}

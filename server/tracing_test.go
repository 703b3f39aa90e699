package server_test

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace/noop"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/trama-dev/trama/tracing"
)

// otlpReceiver is an OTLP/HTTP trace receiver: it keeps every span exported to it.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			o.spans = append(o.spans, ss.Spans...)
		}
	}
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	b, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Write(b)
}

// TestOneTracePerEvent: with OTEL_EXPORTER_OTLP_ENDPOINT set, an event's receipt, its dispatch, the run
// it starts, the run's step and the step's request are spans of one trace, each under the one before,
// exported over OTLP/HTTP to a receiver; no secret is in any attribute.
func TestOneTracePerEvent(t *testing.T) {
	recv := &otlpReceiver{}
	collector := httptest.NewServer(recv)
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
	stop, err := tracing.Start(context.Background(), "trama-test")
	if err != nil {
		t.Fatal(err)
	}
	defer otel.SetTracerProvider(noop.NewTracerProvider())

	s := newSetup(t, setupOptions{triggers: getUserTrigger("audit-factor", "")})
	userID := s.createUser("traced@example.com")
	uuid := "0a1b2c3d-0000-11ef-8000-000000000001"
	if code, body := s.post(envelope("trace-1", "00uadmin", userID, uuid), "application/json", hookSecret); code != 200 {
		t.Fatalf("delivery: %d %s", code, body)
	}
	s.settle()
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	recv.mu.Lock()
	defer recv.mu.Unlock()
	byName := map[string]*tracepb.Span{}
	for _, sp := range recv.spans {
		name := sp.Name
		for _, p := range []string{"okta event", "dispatch", "run", "step", "HTTP"} {
			if strings.HasPrefix(name, p) {
				byName[p] = sp
			}
		}
		for _, a := range sp.Attributes {
			if v := a.Value.GetStringValue(); strings.Contains(v, oktaToken) || strings.Contains(v, hookSecret) {
				t.Errorf("span %q attribute %s holds a secret", sp.Name, a.Key)
			}
		}
	}
	root, dispatch, run, step, req := byName["okta event"], byName["dispatch"], byName["run"], byName["step"], byName["HTTP"]
	if root == nil || dispatch == nil || run == nil || step == nil || req == nil {
		names := []string{}
		for _, sp := range recv.spans {
			names = append(names, sp.Name)
		}
		t.Fatalf("spans %v: want the event, its dispatch, the run, its step and the request", names)
	}
	trace := hex.EncodeToString(root.TraceId)
	for _, sp := range []*tracepb.Span{dispatch, run, step, req} {
		if hex.EncodeToString(sp.TraceId) != trace {
			t.Errorf("span %q is in trace %x, not the event's %s", sp.Name, sp.TraceId, trace)
		}
	}
	parent := func(child, of *tracepb.Span) {
		if hex.EncodeToString(child.ParentSpanId) != hex.EncodeToString(of.SpanId) {
			t.Errorf("span %q's parent is %x, want %q (%x)", child.Name, child.ParentSpanId, of.Name, of.SpanId)
		}
	}
	for _, sp := range []*tracepb.Span{root, dispatch, run, step, req} {
		var attrs []string
		for _, a := range sp.Attributes {
			attrs = append(attrs, a.Key+"="+a.Value.String())
		}
		t.Logf("span %x parent %x %q %.1fms %s", sp.SpanId, sp.ParentSpanId, sp.Name,
			float64(sp.EndTimeUnixNano-sp.StartTimeUnixNano)/1e6, strings.Join(attrs, " "))
	}
	parent(dispatch, root)
	parent(run, root)
	parent(step, run)
	parent(req, step)
	if root.Name != "okta event user.mfa.factor.activate" || req.Kind != tracepb.Span_SPAN_KIND_CLIENT {
		t.Errorf("root %q, request kind %v", root.Name, req.Kind)
	}
}

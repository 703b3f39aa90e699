// Package tracing gives trama's OpenTelemetry traces their shape: one trace per Okta event, whatever
// process or replica handles which part of it. The trace id and the root span id are derived from the
// event's uuid, so the receiver, the dispatcher and every attempt of every run the event starts — on any
// replica, after any restart — add their spans to the same trace without storing a trace context.
//
// Tracing is off unless the standard OTEL_* environment asks for it (Start); off, every span is the
// API's no-op and costs nothing measurable.
package tracing

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Tracer is trama's tracer, from the global provider Start installs (a no-op one until then).
func Tracer() trace.Tracer { return otel.Tracer("github.com/trama-dev/trama") }

// Recording reports whether spans are exported: callers skip the work of building spans otherwise.
func Recording() bool {
	_, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider)
	return ok
}

// Enabled reports whether the environment asks for traces: an OTLP endpoint is set and
// OTEL_TRACES_EXPORTER, OTEL_SDK_DISABLED do not turn them off.
func Enabled(getenv func(string) string) bool {
	if getenv == nil {
		getenv = os.Getenv
	}
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") || strings.EqualFold(getenv("OTEL_TRACES_EXPORTER"), "none") {
		return false
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Start installs a tracer provider exporting over OTLP when Enabled: HTTP/protobuf by default, gRPC
// when OTEL_EXPORTER_OTLP_TRACES_PROTOCOL (or OTEL_EXPORTER_OTLP_PROTOCOL) says grpc. The exporters
// read the rest of the OTEL_EXPORTER_OTLP_* settings (endpoint, headers, timeout, TLS) themselves, and
// the resource reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (service.name defaults to
// service). Shutdown flushes what is buffered; it is a no-op when tracing is off.
func Start(ctx context.Context, service string) (shutdown func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	if !Enabled(nil) {
		return noop, nil
	}
	protocol := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	var exp sdktrace.SpanExporter
	switch strings.ToLower(protocol) {
	case "", "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		return noop, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q: trama exports traces over http/protobuf or grpc", protocol)
	}
	if err != nil {
		return noop, fmt.Errorf("OpenTelemetry exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", service)))
	if err != nil {
		return noop, err
	}
	if env, err := resource.New(ctx, resource.WithFromEnv()); err == nil {
		if merged, err := resource.Merge(res, env); err == nil {
			res = merged
		}
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res), sdktrace.WithIDGenerator(ids{}))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	return tp.Shutdown, nil
}

// eventIDs derives an event's trace id and root span id from its uuid.
func eventIDs(uuid string) (trace.TraceID, trace.SpanID) {
	sum := sha256.Sum256([]byte("trama event " + uuid))
	var t trace.TraceID
	var s trace.SpanID
	copy(t[:], sum[:16])
	copy(s[:], sum[16:24])
	return t, s
}

// EventContext returns ctx inside the trace of the event with uuid, under its root span: a span started
// from it belongs to the event's trace, on whatever process starts it.
func EventContext(ctx context.Context, uuid string) context.Context {
	t, s := eventIDs(uuid)
	return trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: t, SpanID: s, TraceFlags: trace.FlagsSampled, Remote: true}))
}

// StartEvent starts the root span of the event with uuid, the one every other span of the event hangs
// under: the receiver starts it when it stores the event.
func StartEvent(ctx context.Context, uuid, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	opts = append(opts, trace.WithNewRoot(), trace.WithAttributes(attribute.String("okta.event.uuid", uuid)))
	return Tracer().Start(context.WithValue(ctx, rootKey{}, uuid), name, opts...)
}

type rootKey struct{}

// ids makes the root span of an event (StartEvent) carry the ids derived from its uuid, and every other
// span random ids, as the SDK's default generator does.
type ids struct{}

func (ids) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	if uuid, ok := ctx.Value(rootKey{}).(string); ok {
		return eventIDs(uuid)
	}
	return randomIDs()
}

func (ids) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	if uuid, ok := ctx.Value(rootKey{}).(string); ok {
		_, s := eventIDs(uuid)
		return s
	}
	_, s := randomIDs()
	return s
}

// End ends span, recording err as its error status when not nil.
func End(span trace.Span, err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		span.RecordError(err)
		span.SetStatus(codesError, err.Error())
	}
	span.End()
}

// Span starts a span under ctx — inside the trace of the event with uuid when uuid is not "" — named
// and described by describe, which is called only when spans are exported: off, a span costs no
// allocation at all.
func Span(ctx context.Context, uuid string, describe func() (string, []attribute.KeyValue)) (context.Context, trace.Span) {
	if !Recording() {
		return ctx, noopSpan
	}
	if uuid != "" {
		ctx = EventContext(ctx, uuid)
	}
	name, attrs := describe()
	return Tracer().Start(ctx, name, trace.WithAttributes(attrs...))
}

// noopSpan is the span Span returns when tracing is off.
var noopSpan = trace.SpanFromContext(context.Background())

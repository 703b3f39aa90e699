package tracing

import (
	"crypto/rand"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

const codesError = codes.Error

// randomIDs returns fresh random ids that are valid (not all zero).
func randomIDs() (trace.TraceID, trace.SpanID) {
	var t trace.TraceID
	var s trace.SpanID
	for !t.IsValid() {
		rand.Read(t[:])
	}
	for !s.IsValid() {
		rand.Read(s[:])
	}
	return t, s
}

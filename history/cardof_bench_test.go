package history_test

import (
	"testing"
	"time"

	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/okta/oktatest"
	"github.com/trama-dev/trama/store"
)

// BenchmarkCardOf is the card a dispatch builds for every event some trigger listens to.
func BenchmarkCardOf(b *testing.B) {
	src := store.CardSource{UUID: "9a8b7c6d-0000-11ef-8000-000000000001", Type: "user.mfa.factor.activate",
		Source: store.SourceHook, ReceivedAt: time.Now(), EventID: "delivery-1", EventTime: time.Now(),
		HookSource: "https://org.example/api/v1/eventHooks/who1",
		Headers:    map[string][]string{"Content-Type": {"application/json"}, "Authorization": {"****"}},
		Payload:    oktatest.Event{UUID: "9a8b7c6d-0000-11ef-8000-000000000001"}.JSON()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := history.CardOf(src); err != nil {
			b.Fatal(err)
		}
	}
}

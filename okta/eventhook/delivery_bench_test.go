package eventhook

import (
	"net/http"
	"testing"
	"time"
)

// BenchmarkPublish measures what Publish costs the caller (the emulator's request path) with one
// subscribed hook delivering to a loopback receiver in the background. Events still queued at the end
// are dropped by Close.
func BenchmarkPublish(b *testing.B) {
	rc := newReceiver(b, func(n int, w http.ResponseWriter, r *http.Request, body []byte) { echo(w, r) })
	r, _ := newTestRegistry(b, Config{BatchWindow: 10 * time.Millisecond})
	h, err := r.Create(b.Context(), input(rc.URL+"/hook"), "00uadmin")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := r.Verify(b.Context(), h.ID); err != nil {
		b.Fatal(err)
	}
	ev := logEvent("e", "user.mfa.factor.activate")
	b.ReportAllocs()
	for b.Loop() {
		r.Publish(ev)
	}
}

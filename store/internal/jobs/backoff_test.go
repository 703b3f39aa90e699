package jobs

import (
	"testing"
	"time"
)

func TestBackoffDoublesAndCaps(t *testing.T) {
	b := &Backoff{Base: time.Second, Max: 30 * time.Second}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i, w := range want {
		w *= time.Second
		for range 50 {
			d := b.delay(i + 1)
			if d < w-w/10 || d > w+w/10 {
				t.Fatalf("delay(attempt %d) = %v, want %v ±10%%", i+1, d, w)
			}
		}
	}
}

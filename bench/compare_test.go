package bench

import (
	"strings"
	"testing"
)

// The flags a comparison prints keep no password, whichever way a URL is written.
func TestMaskURLsKeepsPasswords(t *testing.T) {
	const canary = "canary-pw-91d0"
	args := []string{
		"--store", "postgres://trama:" + canary + "@127.0.0.1:5432/trama?sslmode=disable",
		"--store=postgres://trama:" + canary + "@db.internal/trama",
		"--store", "postgres://trama@db.internal/trama?password=" + canary,
		"--events", "20000",
	}
	got := strings.Join(maskURLs(args), " ")
	if strings.Contains(got, canary) {
		t.Fatalf("a password is left: %s", got)
	}
	for _, want := range []string{"127.0.0.1:5432/trama", "--store=postgres://trama:", "db.internal/trama", "--events 20000"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q is gone: %s", want, got)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, tt := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0}, {[]float64{3}, 3}, {[]float64{4, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

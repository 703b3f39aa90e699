package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
)

func TestRetryAfter(t *testing.T) {
	base := errors.New("HTTP 429")
	err := fmt.Errorf("step activate: %w", store.RetryAfter(30*time.Second, base))
	if d, ok := store.RetryDelay(err); !ok || d != 30*time.Second {
		t.Errorf("RetryDelay = %v, %v; want 30s", d, ok)
	}
	if !errors.Is(err, base) || err.Error() != "step activate: HTTP 429" {
		t.Errorf("wrapped error = %q, does not keep its cause", err)
	}
	if _, ok := store.RetryDelay(base); ok {
		t.Error("RetryDelay found a delay in a plain error")
	}
	if store.RetryAfter(time.Second, nil) != nil {
		t.Error("RetryAfter(nil) is not nil")
	}
}

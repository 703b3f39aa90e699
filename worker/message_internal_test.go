package worker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trama-dev/trama/internal/testdb"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/storetest"
)

// TestReceiveTakesAnEventAlreadyInTheInbox: an Okta event received after the run started but before its
// receive step began (a user who approved at once) is the step's message at once; the run does not wait
// for an event that already came. Another user's event is not, and neither is one received before the run
// started.
func TestReceiveTakesAnEventAlreadyInTheInbox(t *testing.T) {
	st := storetest.Open(t, testdb.SQLite())
	ctx := context.Background()
	started := time.Now().Add(-time.Second)
	storetest.Ingest(t, st, storetest.Delivery("d1", storetest.Event("0e0e0e0e-0000-11ef-8000-000000000001", "user.mfa.factor.activate")))
	receive := func(correlation string, since time.Time) (runner.Message, error) {
		m := &runMessenger{w: &Worker{Store: st}, run: store.Run{ID: "r1", StartedAt: since}}
		return m.Receive(ctx, runner.Receive{Channel: runner.Channel{Address: "okta/events/user.mfa.factor.activate"},
			Correlation: correlation, Since: time.Now()})
	}
	msg, err := receive("00uann", started)
	if err != nil || msg.ID != "0e0e0e0e-0000-11ef-8000-000000000001" {
		t.Fatalf("Receive = %+v, %v; want the event in the inbox", msg, err)
	}
	if _, err := receive("00uother", started); !errors.Is(err, runner.ErrMessageLater) {
		t.Errorf("another user's event: %v, want ErrMessageLater", err)
	}
	if _, err := receive("00uann", time.Now().Add(time.Minute)); !errors.Is(err, runner.ErrMessageLater) {
		t.Errorf("an event received before the run started: %v, want ErrMessageLater", err)
	}
}

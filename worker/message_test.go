package worker_test

import (
	"context"
	"errors"
	"testing"

	"github.com/trama-dev/trama/internal/testdb"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/storetest"
	"github.com/trama-dev/trama/trigger"
	"github.com/trama-dev/trama/worker"
)

// unreadableWaits is a store whose waiting runs cannot be read.
type unreadableWaits struct{ *store.Store }

func (unreadableWaits) WaitingForEvents(context.Context, []string) ([]store.Run, error) {
	return nil, errors.New("the database is unreachable")
}

// TestDispatchFailsWhenWaitingRunsCannotBeRead: a batch whose waiting runs cannot be read fails as a
// whole, so the queue dispatches it again later, rather than completing it and leaving a run waiting for
// an event that came and went.
func TestDispatchFailsWhenWaitingRunsCannotBeRead(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		f := newFixture(t, newDriver)
		cfg := f.config("record", "")
		m, err := trigger.NewMatcher(cfg)
		if err != nil {
			t.Fatal(err)
		}
		w := &worker.Worker{Store: unreadableWaits{f.st}, Matcher: m, Config: cfg}
		res := w.Dispatch(context.Background(), []store.Dispatch{{UUID: "e1", Type: "user.lifecycle.create"}, {UUID: "e2", Type: "user.session.start"}})
		for i, r := range res {
			if r.Err == nil || len(r.Outcome.Runs) != 0 {
				t.Errorf("dispatch %d = %+v, want the store's error and no runs", i, r)
			}
		}
	})
}

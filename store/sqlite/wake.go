package sqlite

import (
	"context"
	"database/sql"
	"sync/atomic"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivershared/baseservice"
	"github.com/riverqueue/river/rivershared/riverpilot"
	"github.com/riverqueue/river/rivertype"
)

// River on SQLite only polls, and a job inserted inside a transaction does not wake the local workers
// (River cannot know when the caller commits). Waiting for the next poll would cost up to a poll interval
// on each of the two hops from event to run, so the store wakes the workers itself right after it
// commits. River v0.31 hands its wake-up function only to a driver's pilot, hence this wrapper: a driver
// that is riversqlite plus a standard pilot that keeps the function. If a River upgrade stops calling
// PilotInit, wake does nothing and the poll interval is the only cost.

// wakingDriver is riversqlite's driver with a pilot that captures River's wake-up function.
type wakingDriver struct {
	*riversqlite.Driver
	pilot *wakingPilot
}

func newWakingDriver(db *sql.DB) *wakingDriver {
	return &wakingDriver{Driver: riversqlite.New(db), pilot: &wakingPilot{}}
}

// PluginInit is called by River's NewClient; the wrapper needs nothing from it.
func (d *wakingDriver) PluginInit(*baseservice.Archetype) {}

// PluginPilot gives River the capturing pilot.
func (d *wakingDriver) PluginPilot() riverpilot.Pilot { return d.pilot }

type wakingPilot struct {
	riverpilot.StandardPilot
	notify atomic.Pointer[func(context.Context, []*rivertype.JobInsertResult)]
}

func (p *wakingPilot) PilotInit(a *baseservice.Archetype, params *riverpilot.PilotInitParams) {
	p.StandardPilot.PilotInit(a, params)
	if params != nil && params.NotifyNonTxJobInsert != nil {
		p.notify.Store(&params.NotifyNonTxJobInsert)
	}
}

// wake asks this process's workers of queue to fetch now. Call it only after the transaction that
// inserted the jobs committed: a fetch before that would not see them.
func (s *Store) wake(ctx context.Context, queue string) {
	s.wakeMu.RLock()
	defer s.wakeMu.RUnlock()
	if !s.awake {
		return // the workers poll the queue when they start
	}
	if f := s.driver.pilot.notify.Load(); f != nil {
		(*f)(ctx, []*rivertype.JobInsertResult{{Job: &rivertype.JobRow{Queue: queue}}})
	}
}

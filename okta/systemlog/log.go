package systemlog

import (
	"cmp"
	"slices"
	"sync"

	"github.com/trama-dev/trama/okta"
)

// Log is an in-memory System Log. It keeps events in persistence order (the order of Append calls),
// which polling queries return, and orders them by `published` for bounded queries. A Log is safe for
// concurrent use; the zero value is not usable, call New.
//
// Events handed to Append and returned by Query and Events share their maps and pointers with the
// Log: callers must not modify them afterwards.
type Log struct {
	mu      sync.RWMutex
	entries entries
	// lastSeq numbers events across Reset and Restore, so a poller's cursor never matches an event it
	// has not seen.
	lastSeq int64
	// inOrder is true while every event was appended with a published time no earlier than the one
	// before, the usual case: persistence order is then also published order and bounded queries need
	// no separate index.
	inOrder bool
	// byPublished lists entry positions ordered by (published, seq); nil when stale or not needed.
	byPublished []int
}

type entry struct {
	seq   int64
	pubMs int64
	event okta.LogEvent
}

func (e *entry) key() key { return key{pubMs: e.pubMs, seq: e.seq} }

// key orders entries for bounded queries: by published time, then by persistence order.
type key struct {
	pubMs int64
	seq   int64
}

func (a key) compare(b key) int {
	if c := cmp.Compare(a.pubMs, b.pubMs); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// New returns an empty Log.
func New() *Log {
	return &Log{inOrder: true}
}

// Append persists events in the order given.
func (l *Log) Append(events ...okta.LogEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.appendLocked(events)
}

func (l *Log) appendLocked(events []okta.LogEvent) {
	for _, ev := range events {
		l.lastSeq++
		e := entry{seq: l.lastSeq, pubMs: ev.Published.UnixMilli(), event: ev}
		if n := l.entries.len(); n > 0 && e.pubMs < l.entries.at(n-1).pubMs {
			l.inOrder = false
		}
		l.entries.push(e)
	}
	l.byPublished = nil
}

// Events returns every event in persistence order, for --state snapshots.
func (l *Log) Events() []okta.LogEvent {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]okta.LogEvent, l.entries.len())
	for i := range out {
		out[i] = l.entries.at(i).event
	}
	return out
}

// Restore replaces the content of the Log with events, in persistence order, as saved by Events.
func (l *Log) Restore(events []okta.LogEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.resetLocked()
	l.appendLocked(events)
}

// Reset removes every event. Cursors handed out before stay valid and see only events appended later.
func (l *Log) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.resetLocked()
}

func (l *Log) resetLocked() {
	l.entries = entries{}
	l.inOrder = true
	l.byPublished = nil
}

// Len returns the number of events in the Log.
func (l *Log) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.entries.len()
}

// ordered returns entry positions in (published, seq) order. The caller holds at least the read lock;
// ordered may briefly take the write lock to build the index, so it returns with the read lock held
// again.
func (l *Log) ordered() []int {
	for {
		if l.inOrder {
			return nil
		}
		if l.byPublished != nil {
			return l.byPublished
		}
		l.mu.RUnlock()
		l.mu.Lock()
		if l.byPublished == nil && !l.inOrder {
			idx := make([]int, l.entries.len())
			for i := range idx {
				idx[i] = i
			}
			slices.SortFunc(idx, func(a, b int) int { return l.entries.at(a).key().compare(l.entries.at(b).key()) })
			l.byPublished = idx
		}
		l.mu.Unlock()
		// An Append or Reset may slip in here; the loop looks again under the read lock.
		l.mu.RLock()
	}
}

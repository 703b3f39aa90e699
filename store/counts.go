package store

// Counts are totals for metrics and health pages.
type Counts struct {
	Deliveries int64
	// Malformed counts deliveries that could not be parsed.
	Malformed int64
	// Events counts distinct stored events.
	Events int64
	// Duplicates counts event arrivals that were already stored.
	Duplicates int64
	// Runs counts runs by status; every status is present.
	Runs map[RunStatus]int64
	// QueueDepth counts jobs waiting to run (available, scheduled or waiting for a retry).
	QueueDepth int64
	// QueueRunning counts jobs a worker holds now.
	QueueRunning int64
}

package store

import "errors"

// ErrNotFound is returned (wrapped, naming what was looked up) when a delivery, event or run does not
// exist. Test for it with errors.Is.
var ErrNotFound = errors.New("not found")

// ErrInvalidCursor is returned (wrapped) when a pagination cursor was not produced by the same listing,
// so an API can answer 400 instead of 500.
var ErrInvalidCursor = errors.New("invalid cursor")

// ErrLeaseLost is returned (wrapped, naming the run) by every write of a run attempt whose lease is no
// longer current: it expired and another worker took the run over (its fencing token is newer), or the
// run was finished or resolved meanwhile. The attempt must stop at once, without another request.
var ErrLeaseLost = errors.New("lease lost")

// ErrNoDatabase is returned (wrapped) by Open with ReadOnly when the database does not exist: reading
// commands never create one.
var ErrNoDatabase = errors.New("no such store")

// ErrConflict is returned (wrapped) when an operator action does not apply to the run as it is now: for
// example resolving a run that is not uncertain.
var ErrConflict = errors.New("conflict")

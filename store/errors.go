package store

import "errors"

// ErrNotFound is returned (wrapped, naming what was looked up) when a delivery, event or run does not
// exist. Test for it with errors.Is.
var ErrNotFound = errors.New("not found")

// ErrInvalidCursor is returned (wrapped) when a pagination cursor was not produced by the same listing,
// so an API can answer 400 instead of 500.
var ErrInvalidCursor = errors.New("invalid cursor")

// ErrWorking is returned by Work when the store is already working jobs: one Work loop per Store keeps
// shutdown and job ownership simple.
var ErrWorking = errors.New("store is already working jobs")

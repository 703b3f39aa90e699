package store

import (
	"errors"
	"time"
)

// RetryAfter wraps err so that the queue retries the job no sooner than d, for example when Okta answers
// 429 with X-Rate-Limit-Reset: retrying before the window resets would only burn an attempt. The attempt
// still counts toward the maximum, so a limit that never lifts still ends the run. err's text is kept as
// the error's text.
func RetryAfter(d time.Duration, err error) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{delay: d, err: err}
}

// RetryDelay reports the delay asked for with RetryAfter anywhere in err's chain. Drivers use it.
func RetryDelay(err error) (time.Duration, bool) {
	var ra *retryAfterError
	if errors.As(err, &ra) {
		return ra.delay, true
	}
	return 0, false
}

type retryAfterError struct {
	delay time.Duration
	err   error
}

func (e *retryAfterError) Error() string { return e.err.Error() }

func (e *retryAfterError) Unwrap() error { return e.err }

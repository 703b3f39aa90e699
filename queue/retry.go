package queue

import (
	"errors"
	"math/rand/v2"
	"time"
)

// RetryAfter wraps err so that the queue retries no sooner than d, for example when Okta answers 429 with
// X-Rate-Limit-Reset: retrying before the window resets would only burn an attempt. The attempt still
// counts toward the maximum, so a limit that never lifts still ends the run. err's text is kept.
func RetryAfter(d time.Duration, err error) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{delay: d, err: err}
}

// retryDelay reports the delay asked for with RetryAfter anywhere in err's chain.
func retryDelay(err error) (time.Duration, bool) {
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

// backoff is the delay before attempt+1 after attempt failed with err: RetryBase·2^(attempt-1), capped
// at RetryMax, with ±10 % jitter so that what one outage failed does not all retry in the same
// millisecond; or later, when err asked for a delay with RetryAfter.
func (o Options) backoff(attempt int, err error) time.Duration {
	d := o.RetryBase
	for i := 1; i < attempt && d < o.RetryMax; i++ {
		d *= 2
	}
	d = min(d, o.RetryMax)
	d += time.Duration(rand.Int64N(int64(d)/5+1)) - d/10
	if r, ok := retryDelay(err); ok {
		d = max(d, r)
	}
	return d
}

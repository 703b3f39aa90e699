package jobs

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/trama-dev/trama/store"
)

// Backoff is the retry policy (a river.ClientRetryPolicy): Base·2^(attempt-1), capped at Max, with ±10 %
// jitter so that jobs failed by one outage do not all retry in the same millisecond; or later, when the
// handler asked for a delay with store.RetryAfter.
type Backoff struct {
	Base, Max time.Duration
	// requested holds delays asked for by failed attempts, by job id, until River asks for the job's next
	// retry. River does so right after the attempt returns, in the process that ran it; a job rescued
	// from a dead process gets the plain backoff.
	requested sync.Map
}

// NextRetry implements river.ClientRetryPolicy.
func (b *Backoff) NextRetry(job *rivertype.JobRow) time.Time {
	d := b.delay(job.Attempt)
	if r, ok := b.requested.LoadAndDelete(job.ID); ok {
		d = max(d, r.(time.Duration))
	}
	return time.Now().Add(d)
}

// request records the delay a failed attempt asked for, if any.
func (b *Backoff) request(jobID int64, err error) {
	if d, ok := store.RetryDelay(err); ok {
		b.requested.Store(jobID, d)
	}
}

func (b *Backoff) delay(attempt int) time.Duration {
	d := b.Base
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) - d/10
	return d + jitter
}

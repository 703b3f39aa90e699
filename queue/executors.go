package queue

import "time"

// executors runs each task on a goroutine of its own at once, reusing the goroutines of tasks that ended.
//
// A new goroutine's stack starts small and grows by copying itself as calls nest: a run's attempt goes
// deep (the runner, the HTTP client, JSON decoders), so each attempt on a fresh goroutine paid for the
// same growth again, about 4 % of a replica's CPU in `trama bench runs`. A goroutine that finished a
// task keeps its grown stack and waits up to idle for the next one, then exits, so an idle queue holds
// no goroutine for it. The zero value is not ready: use newExecutors.
type executors struct {
	handoff chan func() // unbuffered: a send succeeds only when a goroutine waits for a task
	idle    time.Duration
}

// execIdle is how long a goroutine that finished a task waits for another: long enough to last between
// two claims under load, short enough that a burst's goroutines are gone soon after it.
const execIdle = time.Second

func newExecutors(idle time.Duration) *executors {
	return &executors{handoff: make(chan func()), idle: idle}
}

// run starts f on a waiting goroutine, or on a new one when none waits; it never waits for f.
func (e *executors) run(f func()) {
	select {
	case e.handoff <- f:
	default:
		go e.loop(f)
	}
}

func (e *executors) loop(f func()) {
	t := time.NewTimer(e.idle)
	defer t.Stop()
	for {
		f()
		f = nil // let the finished task's closure go while this goroutine waits
		t.Reset(e.idle)
		select {
		case f = <-e.handoff:
		case <-t.C:
			return
		}
	}
}

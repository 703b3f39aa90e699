package queue

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// Every task starts at once, however many are running: a run never waits for another run's goroutine.
func TestExecutorsStartEveryTaskAtOnce(t *testing.T) {
	e := newExecutors(time.Minute)
	const n = 64
	var started sync.WaitGroup
	started.Add(n)
	release := make(chan struct{})
	for range n {
		e.run(func() {
			started.Done()
			<-release
		})
	}
	all := make(chan struct{})
	go func() { started.Wait(); close(all) }()
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		t.Fatal("not every task started while the others ran")
	}
	close(release)
}

// A goroutine that finished a task takes the next one, and exits once it waited idle for none.
func TestExecutorsReuseThenExit(t *testing.T) {
	base := runtime.NumGoroutine()
	e := newExecutors(50 * time.Millisecond)
	first := make(chan struct{})
	e.run(func() { close(first) })
	<-first
	second := make(chan struct{})
	select {
	case e.handoff <- func() { close(second) }:
	case <-time.After(10 * time.Second):
		t.Fatal("the goroutine of a finished task did not wait for the next one")
	}
	<-second
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines remain after the idle time, %d before the tasks", runtime.NumGoroutine(), base)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// deep uses about depth × 1 KiB of stack, as a workflow's nested calls do.
//
//go:noinline
func deep(depth int) byte {
	var buf [1024]byte
	buf[depth%len(buf)] = byte(depth)
	if depth == 0 {
		return buf[0]
	}
	return deep(depth-1) + buf[depth%len(buf)]
}

// BenchmarkExecutors compares a task on a new goroutine with one on a reused goroutine when the task needs
// a 64 KiB stack: `go test ./queue -run XXX -bench Executors`.
func BenchmarkExecutors(b *testing.B) {
	task := func(wg *sync.WaitGroup) func() {
		return func() { deep(64); wg.Done() }
	}
	b.Run("new-goroutine", func(b *testing.B) {
		var wg sync.WaitGroup
		for b.Loop() {
			wg.Add(1)
			go task(&wg)()
			wg.Wait()
		}
	})
	b.Run("executors", func(b *testing.B) {
		e := newExecutors(time.Second)
		var wg sync.WaitGroup
		for b.Loop() {
			wg.Add(1)
			e.run(task(&wg))
			wg.Wait()
		}
	})
}

// Package syncbuf holds Buffer, a bytes.Buffer safe for writers on several goroutines: what tests hand
// a logger or a command whose output they read while it runs.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer collects output written from many goroutines. The zero value is ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

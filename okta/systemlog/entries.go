package systemlog

// chunkBits sizes the blocks entries are stored in: 1024 entries of a few hundred bytes each.
const chunkBits = 10

const chunkSize = 1 << chunkBits

// entries is an append-only sequence stored in fixed-size chunks. Unlike one growing slice it never
// copies old entries when it grows, which keeps Append cheap and the garbage collector calm once the
// log holds hundreds of thousands of events.
type entries struct {
	chunks [][]entry
	n      int
}

func (s *entries) len() int { return s.n }

func (s *entries) at(i int) *entry { return &s.chunks[i>>chunkBits][i&(chunkSize-1)] }

func (s *entries) push(e entry) {
	if s.n&(chunkSize-1) == 0 {
		s.chunks = append(s.chunks, make([]entry, 0, chunkSize))
	}
	last := &s.chunks[len(s.chunks)-1]
	*last = append(*last, e)
	s.n++
}

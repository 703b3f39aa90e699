package systemlog

import (
	"fmt"
	"strconv"
	"strings"
)

// cursor is the decoded `after` parameter. Clients treat it as opaque, as they must with Okta; it
// looks like Okta's own cursors (1627500044869_1): milliseconds, an underscore and a sequence number.
//
//   - polling:            {sinceMs}_{seq}            resume after event seq, still honouring since
//   - bounded ascending:  {publishedMs}_{seq}        resume after this (published, seq) position
//   - bounded descending: {publishedMs}_{seq}_{sinceMs}
//
// The next link replaces since with after, so a cursor carries the since bound where the position
// alone does not imply it.
type cursor struct {
	ms       int64
	seq      int64
	sinceMs  int64
	hasSince bool
}

func (c cursor) String() string {
	if c.hasSince {
		return fmt.Sprintf("%d_%d_%d", c.ms, c.seq, c.sinceMs)
	}
	return fmt.Sprintf("%d_%d", c.ms, c.seq)
}

func parseCursor(s string) (cursor, error) {
	parts := strings.Split(s, "_")
	if len(parts) < 2 || len(parts) > 3 {
		return cursor{}, fmt.Errorf("after: %q is not a cursor from a next link", s)
	}
	var nums [3]int64
	for i, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || (i == 1 && n < 0) {
			return cursor{}, fmt.Errorf("after: %q is not a cursor from a next link", s)
		}
		nums[i] = n
	}
	return cursor{ms: nums[0], seq: nums[1], sinceMs: nums[2], hasSince: len(parts) == 3}, nil
}

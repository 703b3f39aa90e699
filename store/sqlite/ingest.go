package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/trama-dev/trama/store"
)

// insertChunk bounds the rows of one multi-row INSERT, well under SQLite's bound-variable limit.
const insertChunk = 200

// eventCols and queueCols are the number of values per row of insertEvents and queueEventsSQL.
const eventCols, queueCols = 10, 3

// InsertEvents implements store.Driver with multi-row INSERTs: one statement per 200 events instead of
// one per event, which is most of what keeps a 50-event acknowledgement fast, and one more that queues
// the new events for dispatch. The statement text of each row count is prepared once per connection
// (see stmtcache.go).
func (d *Driver) InsertEvents(ctx context.Context, tx *sql.Tx, rows []store.EventRow) ([]string, error) {
	var keys []string
	var queued []any // seq, uuid and type of each new event that waits for dispatch
	for start := 0; start < len(rows); start += insertChunk {
		chunk := rows[start:min(start+insertChunk, len(rows))]
		args := make([]any, 0, len(chunk)*eventCols)
		queue := make(map[string]*store.EventRow, len(chunk)) // the rows to queue, by key
		for i, r := range chunk {
			var dlv any
			if r.DeliveryID != "" {
				dlv = r.DeliveryID
			}
			args = append(args, r.Key, r.UUID, r.Type, r.Published, r.Received, r.Source, dlv, r.Payload, r.UserID, r.UserLogin)
			if r.Queue {
				queue[r.Key] = &chunk[i]
			}
		}
		res, err := tx.QueryContext(ctx, insertEventsSQL(len(chunk)), args...)
		if err != nil {
			return nil, err
		}
		for res.Next() {
			var k string
			var seq int64
			if err := res.Scan(&k, &seq); err != nil {
				res.Close()
				return nil, err
			}
			keys = append(keys, k)
			if r, ok := queue[k]; ok {
				queued = append(queued, seq, r.UUID, r.Type)
			}
		}
		if err := res.Close(); err != nil {
			return nil, err
		}
	}
	for start := 0; start < len(queued); start += queueCols * insertChunk {
		chunk := queued[start:min(start+queueCols*insertChunk, len(queued))]
		if _, err := tx.ExecContext(ctx, queueEventsSQL(len(chunk)/queueCols), chunk...); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// queueEventsSQL is the INSERT of n events' dispatch_queue rows, each waiting for its first dispatch.
func queueEventsSQL(n int) string {
	var q strings.Builder
	q.WriteString(`INSERT INTO dispatch_queue (seq, uuid, type, from_replay, to_replay) VALUES `)
	for i := range n {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString("(?,?,?,0,0)")
	}
	return q.String()
}

// insertEventsSQL is the INSERT of n rows. Its placeholders are anonymous: SQLite looks up the name of
// each numbered one ($7) in a list, which over 1 800 parameters cost a sixth of an acknowledgement's CPU
// (the caching connection does the same for the store's other statements; see positional.go).
func insertEventsSQL(n int) string {
	var q strings.Builder
	q.WriteString(`INSERT INTO events (ukey, uuid, type, published, received_at, source, delivery_id, payload, user_id, user_login) VALUES `)
	for i := range n {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteByte('(')
		for c := range eventCols {
			if c > 0 {
				q.WriteByte(',')
			}
			q.WriteByte('?')
		}
		q.WriteByte(')')
	}
	q.WriteString(` ON CONFLICT (ukey) DO NOTHING RETURNING ukey, seq`)
	return q.String()
}

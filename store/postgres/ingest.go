package postgres

import (
	"context"
	"database/sql"

	"github.com/trama-dev/trama/store"
)

// InsertEvents implements store.Driver with one statement over unnest'ed arrays: a single statement text
// whatever the number of events, prepared once per connection by pgx, that inserts the events and queues
// the new ones that wait for dispatch. Rows come sorted by key, so concurrent acknowledgements take their
// row locks in one order.
func (d *Driver) InsertEvents(ctx context.Context, tx *sql.Tx, rows []store.EventRow) ([]string, error) {
	n := len(rows)
	keys, uuids, types, payloads := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	userIDs, userLogins := make([]string, n), make([]string, n)
	published, queued := make([]int64, n), make([]string, 0, n)
	var source string
	var dlv *string
	for i, r := range rows {
		keys[i], uuids[i], types[i], payloads[i] = r.Key, r.UUID, r.Type, r.Payload
		userIDs[i], userLogins[i], published[i] = r.UserID, r.UserLogin, r.Published
		if r.Queue {
			queued = append(queued, r.Key)
		}
		source = r.Source
		if r.DeliveryID != "" {
			dlv = &r.DeliveryID
		}
	}
	var received int64
	if n > 0 {
		received = rows[0].Received
	}
	res, err := tx.QueryContext(ctx, `WITH ins AS (
			INSERT INTO events (ukey, uuid, type, published, received_at, source, delivery_id, payload, user_id, user_login)
			SELECT k, u, t, p, $5, $6, $7, j::json, ui, ul FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[],
				$8::text[], $9::text[], $10::text[]) AS r(k, u, t, p, j, ui, ul)
			ON CONFLICT (ukey) DO NOTHING RETURNING ukey, seq, uuid, type),
		queued AS (INSERT INTO dispatch_queue (seq, uuid, type, from_replay, to_replay)
			SELECT seq, uuid, type, 0, 0 FROM ins WHERE ukey = ANY($11::text[]))
		SELECT ukey FROM ins`,
		keys, uuids, types, published, received, source, dlv, payloads, userIDs, userLogins, queued)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var inserted []string
	for res.Next() {
		var k string
		if err := res.Scan(&k); err != nil {
			return nil, err
		}
		inserted = append(inserted, k)
	}
	return inserted, res.Err()
}

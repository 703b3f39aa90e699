package postgres

import (
	"context"
	"database/sql"

	"github.com/trama-dev/trama/store"
)

// InsertEvents implements store.Driver with one INSERT over unnest'ed arrays: a single statement text
// whatever the number of events, prepared once per connection by pgx. Rows come sorted by key, so
// concurrent acknowledgements take their row locks in one order.
func (d *Driver) InsertEvents(ctx context.Context, tx *sql.Tx, rows []store.EventRow) ([]string, error) {
	n := len(rows)
	keys, uuids, types, payloads := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	published, dispatched := make([]int64, n), make([]int64, n)
	var source string
	var dlv *string
	for i, r := range rows {
		keys[i], uuids[i], types[i], payloads[i] = r.Key, r.UUID, r.Type, r.Payload
		published[i], dispatched[i] = r.Published, int64(r.Dispatched)
		source = r.Source
		if r.DeliveryID != "" {
			dlv = &r.DeliveryID
		}
	}
	var received int64
	if n > 0 {
		received = rows[0].Received
	}
	res, err := tx.QueryContext(ctx, `INSERT INTO events (ukey, uuid, type, published, received_at, source, delivery_id,
			payload, dispatched)
		SELECT k, u, t, p, $5, $6, $7, j::json, x FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[],
			$8::text[], $9::bigint[]) AS r(k, u, t, p, j, x)
		ON CONFLICT (ukey) DO NOTHING RETURNING ukey`,
		keys, uuids, types, published, received, source, dlv, payloads, dispatched)
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

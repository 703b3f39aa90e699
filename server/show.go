package server

import (
	"context"

	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/store"
)

// ShowEvent loads one event with its card and runs, as `GET /api/v1/events/{uuid}` and
// `trama events show` present it.
func ShowEvent(ctx context.Context, st store.Store, uuid string) (history.Event, error) {
	ev, err := st.GetEvent(ctx, uuid)
	if err != nil {
		return history.Event{}, err
	}
	card, err := history.Card(ctx, st, ev)
	if err != nil {
		return history.Event{}, err
	}
	var runs []store.Run
	after := ""
	for {
		page, next, err := st.ListRuns(ctx, store.RunFilter{EventUUID: uuid, Page: store.Page{Limit: store.MaxPageSize, After: after}})
		if err != nil {
			return history.Event{}, err
		}
		runs = append(runs, page...)
		if next == "" {
			break
		}
		after = next
	}
	return history.FromEvent(ev, &card, runs), nil
}

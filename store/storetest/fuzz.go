package storetest

import (
	"context"
	"testing"

	"github.com/trama-dev/trama/store"
)

// FuzzIngest sends arbitrary strings through the acknowledgement path: it must never fail or panic for
// anything the receiver can hand it; a uuid that can identify an event is stored once and a duplicate
// the second time, any other is quarantined.
func FuzzIngest(f *testing.F, newDriver NewDriver) {
	s := Open(f, newDriver)
	f.Add("e766d84e-a0a8-11ed-a750-9f5fc296ce63", "user.mfa.factor.activate", "okta", "d-1", []byte(`{}`))
	f.Add("a\x00b", "t\xff", "", "", []byte(`{"x":"\u0000"}`))
	f.Add("ünïcødé", "", "h", "\x00", []byte(`[]`))
	f.Add("", "t", "h", "", []byte(`null`))
	f.Fuzz(func(t *testing.T, uuid, typ, hook, eventID string, payload []byte) {
		ctx := context.Background()
		d := store.NewDelivery{Hook: hook, EventID: eventID, Headers: map[string][]string{hook: {eventID}},
			Events: []store.NewEvent{{UUID: uuid, Type: typ, Payload: []byte(`{}`)}}}
		first, err := s.IngestDelivery(ctx, d)
		if err != nil {
			t.Fatalf("IngestDelivery(%q, %q): %v", uuid, typ, err)
		}
		if store.ValidUUID(uuid) != "" {
			if first.Quarantined != 1 || len(first.New)+len(first.Duplicates) != 0 {
				t.Fatalf("IngestDelivery(%q) = %+v; want it quarantined", uuid, first)
			}
			return
		}
		again, err := s.IngestDelivery(ctx, d)
		if err != nil || len(again.New) != 0 || len(again.Duplicates) != 1 {
			t.Fatalf("second IngestDelivery(%q) = %+v, %v; want a duplicate", uuid, again, err)
		}
		if _, err := s.GetEvent(ctx, uuid); err != nil {
			t.Fatalf("GetEvent(%q): %v", uuid, err)
		}
	})
}

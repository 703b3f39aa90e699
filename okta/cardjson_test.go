package okta_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/okta/oktatest"
)

// TestCardOfJSONMatchesNewCard: a stored event's card, read from its JSON in one decode, is the card
// NewCard makes from the typed event and the same JSON, for every shape of event trama meets.
func TestCardOfJSONMatchesNewCard(t *testing.T) {
	meta := okta.DeliveryMeta{EventID: "d1", Source: "https://org.example/api/v1/eventHooks/who1",
		Headers: http.Header{"Content-Type": {"application/json"}}}
	events := [][]byte{
		oktatest.Event{UUID: "u1"}.JSON(),
		oktatest.Event{UUID: "u2", Type: "user.lifecycle.activate", Reason: "x"}.JSON(),
		[]byte(`{"uuid":"u3","eventType":"user.session.start","published":"2026-11-22T07:00:00Z","actor":null,"target":null,"outcome":null}`),
		[]byte(`{"uuid":"u4","eventType":"group.user_membership.add","published":"2026-11-22T07:00:00.123456Z","version":"0",
			"target":[{"id":"00u1","type":"User","alternateId":"a@example.com","displayName":"A"},{"id":"00g1","type":"UserGroup"}],
			"debugContext":{"debugData":{"requestId":"r","n":12.50}}}`),
	}
	for _, raw := range events {
		var ev okta.LogEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		want := okta.NewCard(meta, ev, raw)
		got, err := okta.CardOfJSON(meta, raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", raw, got, want)
		}
	}
	for _, bad := range []string{``, `[]`, `"x"`, `{"published":"yesterday"}`} {
		if _, err := okta.CardOfJSON(meta, json.RawMessage(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

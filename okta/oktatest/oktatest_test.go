package oktatest

import (
	"encoding/json"
	"testing"

	"github.com/trama-dev/trama/okta"
)

// TestEventIsALogEvent: what the fixture renders decodes as Okta's LogEvent, whatever its strings hold.
func TestEventIsALogEvent(t *testing.T) {
	for _, e := range []Event{{UUID: "e766d84e-a0a8-11ed-a750-9f5fc296ce63"}, {UUID: "a\"b\x00\xff", UserID: "u\"1"}} {
		var le okta.LogEvent
		if err := json.Unmarshal(e.JSON(), &le); err != nil {
			t.Fatalf("%q: %v\n%s", e.UUID, err, e.JSON())
		}
		if le.EventType != "user.mfa.factor.activate" || le.Actor == nil || len(le.Target) != 2 {
			t.Errorf("LogEvent = %+v", le)
		}
	}
	var env struct {
		EventType string `json:"eventType"`
		Data      struct {
			Events []json.RawMessage `json:"events"`
		} `json:"data"`
	}
	if err := json.Unmarshal(Delivery("d1", Event{UUID: "a"}, Event{UUID: "b"}), &env); err != nil ||
		env.EventType != okta.EventHookEventType || len(env.Data.Events) != 2 {
		t.Errorf("Delivery = %+v, %v", env, err)
	}
}

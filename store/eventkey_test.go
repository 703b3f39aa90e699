package store

import (
	"testing"

	"github.com/google/uuid"
)

func TestEventKeyOrdersVersion1ByTime(t *testing.T) {
	prev := ""
	for range 1000 {
		u, err := uuid.NewUUID() // version 1, like Okta's
		if err != nil {
			t.Fatal(err)
		}
		k := eventKey(u.String())
		if k <= prev {
			t.Fatalf("key %q of %s does not sort after %q", k, u, prev)
		}
		prev = k
	}
	if got := eventKey("e766d84e-a0a8-11ed-a750-9f5fc296ce63"); got != "1:1eda0a8e766d84ea7509f5fc296ce63" {
		t.Errorf("eventKey = %q", got)
	}
}

// FuzzEventKey: the key must be a bijection, or two different events would be taken for duplicates.
func FuzzEventKey(f *testing.F) {
	f.Add("e766d84e-a0a8-11ed-a750-9f5fc296ce63", "1eda0a8e766d84ea7509f5fc296ce63")
	f.Add("0b2f4a6e-9c1d-4e3f-8a5b-6c7d8e9f0a1b", "E766D84E-A0A8-11ED-A750-9F5FC296CE63")
	f.Add("", "1:")
	f.Fuzz(func(t *testing.T, a, b string) {
		if a != b && eventKey(a) == eventKey(b) {
			t.Fatalf("eventKey(%q) == eventKey(%q) == %q", a, b, eventKey(a))
		}
	})
}

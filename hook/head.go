package hook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/trama-dev/trama/internal/jsonscan"
)

// readHead reads the members the receiver needs — uuid, eventType, published, and where target is — from
// one event of a delivery. The envelope decode has already validated the event's JSON, so instead of
// decoding it a second time with encoding/json (which scans every byte twice more, most of them in members
// like actor that are only skipped), one scan walks the top-level members and hands just the three wanted
// values to encoding/json. It matches members the way encoding/json does: exact or case-insensitive name,
// the last occurrence winning. FuzzReadHead holds it to encoding/json's result on any input.
func readHead(b []byte) (eventHead, error) {
	var h eventHead
	i := jsonscan.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return h, errors.New("event is not a JSON object")
	}
	end, err := jsonscan.WalkObject(b, i, func(key, value []byte) error {
		name, ok := jsonscan.MemberName(key)
		if !ok {
			return nil
		}
		if string(name) == "target" {
			// Matched by its exact name, as the card that dispatch builds reads it (see okta.UserTargetJSON).
			h.target = value
			return nil
		}
		if field := member(&h, name); field != nil {
			if err := json.Unmarshal(value, field); err != nil {
				return fmt.Errorf("member %s: %w", key, err)
			}
		}
		return nil
	})
	if err != nil {
		return h, err
	}
	return h, trailing(b, end)
}

// member returns the field of h the (unescaped) member name stands for, or nil.
func member(h *eventHead, name []byte) any {
	switch {
	case bytes.EqualFold(name, nameUUID):
		return &h.UUID
	case bytes.EqualFold(name, nameEventType):
		return &h.EventType
	case bytes.EqualFold(name, namePublished):
		return &h.Published
	}
	return nil
}

var (
	nameUUID      = []byte("uuid")
	nameEventType = []byte("eventType")
	namePublished = []byte("published")
)

func trailing(b []byte, i int) error {
	if jsonscan.SkipSpace(b, i) != len(b) {
		return errors.New("event: data after the object")
	}
	return nil
}

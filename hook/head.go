package hook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// readHead reads the three members the receiver needs — uuid, eventType, published — from one event of
// a delivery. The envelope decode has already validated the event's JSON, so instead of decoding it a
// second time with encoding/json (which scans every byte twice more, most of them in members like actor
// and target that are only skipped), one scan walks the top-level members and hands just the three wanted
// values to encoding/json. It matches members the way encoding/json does: exact or case-insensitive name,
// the last occurrence winning. FuzzReadHead holds it to encoding/json's result on any input.
func readHead(b []byte) (eventHead, error) {
	var h eventHead
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return h, errors.New("event is not a JSON object")
	}
	end, err := walkObject(b, i, func(key, value []byte) error {
		if field := member(&h, key); field != nil {
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

// walkObject calls member for each member of the object starting at b[i], with the member's quoted name
// and its value, and returns the index after the object. An error from member stops the walk and is
// returned; so is one about the JSON itself, which callers that checked it never see (its wording names
// an event, for readHead's quarantine reasons).
func walkObject(b []byte, i int, member func(key, value []byte) error) (int, error) {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, errors.New("event: expected a member name")
		}
		end, err := stringEnd(b, i)
		if err != nil {
			return 0, err
		}
		key := b[i:end]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return 0, errors.New("event: expected ':' after a member name")
		}
		i = skipSpace(b, i+1)
		vEnd, err := valueEnd(b, i)
		if err != nil {
			return 0, err
		}
		if err := member(key, b[i:vEnd]); err != nil {
			return 0, err
		}
		i = skipSpace(b, vEnd)
		if i >= len(b) {
			return 0, errors.New("event: unterminated object")
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return 0, errors.New("event: expected ',' or '}'")
		}
	}
}

// member returns the field of h a member name stands for, or nil.
func member(h *eventHead, rawKey []byte) any {
	name, ok := memberName(rawKey)
	if !ok {
		return nil
	}
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
	if skipSpace(b, i) != len(b) {
		return errors.New("event: data after the object")
	}
	return nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the closing quote of the string starting at b[i].
func stringEnd(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errors.New("event: unterminated string")
}

// valueEnd returns the index after the JSON value starting at b[i]: a string, an object or array (nested
// brackets counted outside strings), or a literal or number (up to the next delimiter).
func valueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("event: missing value")
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := stringEnd(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errors.New("event: unterminated value")
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
			j++
		}
		if j == i {
			return 0, errors.New("event: missing value")
		}
		return j, nil
	}
}

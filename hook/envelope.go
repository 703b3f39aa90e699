package hook

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// readEnvelope decodes an event-hook body as json.Unmarshal into an envelope would, at about half the
// cost on a full delivery. encoding/json checks the whole body and then walks every event a second time to
// find where it ends (a delivery is 50 events, almost all of its bytes); here the body is checked once
// (json.Valid), the members are walked with the scanner readHead uses, and each event is sliced out of the
// body without being read again. Members are matched as encoding/json matches them (exact or
// case-insensitive name, the last occurrence winning, a repeated "data" merging into the first); whatever
// this walk does not handle itself (a body that is not JSON or not an object, a "data" or "events" of
// another type) is handed to json.Unmarshal, for its result and its error. FuzzReadEnvelope holds it to
// encoding/json on any input.
//
// The events alias body, which the caller must not reuse.
func readEnvelope(body []byte) (envelope, error) {
	var env envelope
	slow := func() (envelope, error) {
		env = envelope{}
		err := json.Unmarshal(body, &env)
		return env, err
	}
	if !json.Valid(body) {
		return slow()
	}
	i := skipSpace(body, 0)
	if body[i] != '{' {
		return slow() // null, or a value encoding/json refuses to put in a struct
	}
	_, err := walkObject(body, i, func(key, value []byte) error {
		name, ok := memberName(key)
		if !ok {
			return errSlow
		}
		switch {
		case bytes.EqualFold(name, nameData):
			return readData(&env, value)
		case bytes.EqualFold(name, nameEventType):
			return setString(&env.EventType, value)
		case bytes.EqualFold(name, nameEventTypeVersion):
			return setString(&env.EventTypeVersion, value)
		case bytes.EqualFold(name, nameCloudEventsVersion):
			return setString(&env.CloudEventsVersion, value)
		case bytes.EqualFold(name, nameSource):
			return setString(&env.Source, value)
		case bytes.EqualFold(name, nameEventID):
			return setString(&env.EventID, value)
		case bytes.EqualFold(name, nameEventTime):
			return json.Unmarshal(value, &env.EventTime)
		}
		return nil
	})
	if err != nil {
		// A member of the wrong type: encoding/json decides, and words the error.
		return slow()
	}
	return env, nil
}

// errSlow asks readEnvelope to leave a body to encoding/json.
var errSlow = errors.New("left to encoding/json")

var (
	nameData               = []byte("data")
	nameEvents             = []byte("events")
	nameEventTypeVersion   = []byte("eventTypeVersion")
	nameCloudEventsVersion = []byte("cloudEventsVersion")
	nameSource             = []byte("source")
	nameEventID            = []byte("eventId")
	nameEventTime          = []byte("eventTime")
)

// readData reads a "data" member into env: null clears it, an object's "events" array is sliced into
// its events, and a later "data" object merges into the earlier one, as encoding/json does with a pointer
// to a struct.
func readData(env *envelope, value []byte) error {
	switch value[0] {
	case 'n':
		env.Data = nil
		return nil
	case '{':
	default:
		return errSlow
	}
	if env.Data == nil {
		env.Data = &struct {
			Events []json.RawMessage `json:"events"`
		}{}
	}
	_, err := walkObject(value, 0, func(key, v []byte) error {
		name, ok := memberName(key)
		if !ok {
			return errSlow
		}
		if !bytes.EqualFold(name, nameEvents) {
			return nil
		}
		switch v[0] {
		case 'n':
			env.Data.Events = nil
			return nil
		case '[':
			events, err := splitArray(v)
			env.Data.Events = events
			return err
		}
		return errSlow
	})
	return err
}

// splitArray slices the elements of a valid JSON array; an empty array gives an empty, non-nil slice, as
// encoding/json gives.
func splitArray(b []byte) ([]json.RawMessage, error) {
	out := []json.RawMessage{}
	i := skipSpace(b, 1)
	if b[i] == ']' {
		return out, nil
	}
	for {
		end, err := valueEnd(b, i)
		if err != nil {
			return nil, err
		}
		out = append(out, json.RawMessage(b[i:end:end]))
		i = skipSpace(b, end)
		if b[i] == ']' {
			return out, nil
		}
		i = skipSpace(b, i+1)
	}
}

// memberName returns a quoted member name without its quotes, unescaped; false when it cannot be read.
func memberName(key []byte) ([]byte, bool) {
	name := key[1 : len(key)-1]
	if bytes.IndexByte(name, '\\') < 0 {
		return name, true
	}
	var s string
	if err := json.Unmarshal(key, &s); err != nil {
		return nil, false
	}
	return []byte(s), true
}

// setString reads a string member the way encoding/json reads one into a string field: a plain string
// directly, null as no change, anything else (escapes, invalid UTF-8, which encoding/json replaces, other
// types) through encoding/json itself.
func setString(dst *string, value []byte) error {
	if value[0] == '"' && bytes.IndexByte(value, '\\') < 0 && utf8.Valid(value) {
		*dst = string(value[1 : len(value)-1])
		return nil
	}
	return json.Unmarshal(value, dst)
}

package hook

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/trama-dev/trama/internal/jsonscan"
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
	i := jsonscan.SkipSpace(body, 0)
	if body[i] != '{' {
		return slow() // null, or a value encoding/json refuses to put in a struct
	}
	_, err := jsonscan.WalkObject(body, i, func(key, value []byte) error {
		name, ok := jsonscan.MemberName(key)
		if !ok {
			return errSlow
		}
		switch {
		case bytes.EqualFold(name, nameData):
			return readData(&env, value)
		case bytes.EqualFold(name, nameEventType):
			return jsonscan.SetString(&env.EventType, value)
		case bytes.EqualFold(name, nameEventTypeVersion):
			return jsonscan.SetString(&env.EventTypeVersion, value)
		case bytes.EqualFold(name, nameCloudEventsVersion):
			return jsonscan.SetString(&env.CloudEventsVersion, value)
		case bytes.EqualFold(name, nameSource):
			return jsonscan.SetString(&env.Source, value)
		case bytes.EqualFold(name, nameEventID):
			return jsonscan.SetString(&env.EventID, value)
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
	_, err := jsonscan.WalkObject(value, 0, func(key, v []byte) error {
		name, ok := jsonscan.MemberName(key)
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
			events, err := jsonscan.SplitArray(v)
			env.Data.Events = events
			return err
		}
		return errSlow
	})
	return err
}

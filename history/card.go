package history

import (
	"encoding/json"
	"strings"

	"github.com/trama-dev/trama/okta"
)

// CardRow is one field of an event card as a person reads it: the card's label and definition, and
// the value — text, or indented JSON for the free-form objects (Event Details, Headers, Debug Context).
type CardRow struct {
	Name, Key, Definition string
	Value                 string
	// JSON is set when Value is a JSON object or list rather than text.
	JSON bool
	// Fields are the members of an object field the card lists (Admin's ID, Alternate ID, …).
	Fields []CardRow
}

// CardRows lists a card's fields in the order and with the labels the Okta Workflows card uses, as
// `trama events show` prints them and the console shows them.
func CardRows(c okta.Card) []CardRow {
	v := c.Value()
	var rows []CardRow
	for _, f := range okta.CardFields(c.EventType) {
		row := CardRow{Name: f.Name, Key: f.Key, Definition: f.Definition}
		for _, sub := range f.Fields {
			s := CardRow{Name: sub.Name, Key: sub.Key, Definition: sub.Definition}
			s.Value, s.JSON = cardValue(v, sub.Key)
			row.Fields = append(row.Fields, s)
		}
		if len(f.Fields) == 0 {
			row.Value, row.JSON = cardValue(v, f.Key)
		}
		rows = append(rows, row)
	}
	return rows
}

// cardValue reads a dotted key of a card value: strings as they are, anything else as indented JSON.
func cardValue(v map[string]any, key string) (string, bool) {
	var cur any = v
	for _, part := range strings.Split(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		cur = m[part]
	}
	switch x := cur.(type) {
	case nil:
		return "", false
	case string:
		return x, false
	default:
		b, _ := json.MarshalIndent(x, "", "  ")
		return string(b), true
	}
}

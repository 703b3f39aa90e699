package secret

import (
	"bytes"
	"encoding/json"
)

// RedactJSON returns a deep copy of v, a JSON-like value (map[string]any, []any, string, json.Number,
// float64, bool, nil …), in which the value of every object member whose name IsSecretName is replaced
// by Mask (a nil value stays nil, so a reader can still see the field was empty) and every string is
// passed through s.Redact. s may be nil. v is not modified.
//
// Name/value pairs count too: in {"key": "Authorization", "value": "…"} (an Okta event hook's auth
// scheme) or {"name": "X-Api-Key", "value": "…"} the "value" member is masked, because the pair's
// name says it is secret.
//
// Other Go types (typed maps, slices, structs) are first converted to their JSON form; a value that
// cannot be encoded as JSON becomes Mask, because trama cannot tell what it holds.
func RedactJSON(v any, s *Set) any {
	switch t := v.(type) {
	case nil:
		return nil
	case map[string]any:
		out := make(map[string]any, len(t))
		_, hasValue := t["value"]
		pair := hasValue && namesSecretPair(t)
		for k, e := range t {
			// In a name/value pair, "key" is the name, not a key.
			nameOfPair := hasValue && k == "key"
			if e != nil && (IsSecretName(k) && !nameOfPair || pair && k == "value") {
				out[k] = Mask
				continue
			}
			out[k] = RedactJSON(e, s)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = RedactJSON(e, s)
		}
		return out
	case string:
		return s.Redact(t)
	case json.Number, float64, float32, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64, bool:
		return t
	case map[string]string:
		out := make(map[string]any, len(t))
		for k, e := range t {
			if IsSecretName(k) {
				out[k] = Mask
				continue
			}
			out[k] = s.Redact(e)
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = s.Redact(e)
		}
		return out
	}
	b, err := json.Marshal(v)
	if err != nil {
		return Mask
	}
	// UseNumber keeps large integers (Okta IDs are strings, but counts and epoch times are not) exact.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return Mask
	}
	return RedactJSON(generic, s)
}

// namesSecretPair reports whether m, which has a "value" member, is a name/value pair whose "key" or "name" member names a secret.
func namesSecretPair(m map[string]any) bool {
	for _, field := range []string{"key", "name"} {
		if n, ok := m[field].(string); ok && IsSecretName(n) {
			return true
		}
	}
	return false
}

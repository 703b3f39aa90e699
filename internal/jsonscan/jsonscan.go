// Package jsonscan walks JSON that is already known to be valid (json.Valid, or a part of such a
// document) without decoding it: where a value starts and ends, an object's members, an array's elements.
// Callers decode only the few values they want, with encoding/json or SetString, which is what keeps the
// receiver's acknowledgement path from decoding every byte of a delivery twice. On invalid JSON the
// functions return an error or a wrong answer, never panic.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// WalkObject calls member for each member of the object starting at b[i], with the member's quoted name
// and its value, and returns the index after the object. An error from member stops the walk and is
// returned; so is one about the JSON itself, which callers that checked it never see.
func WalkObject(b []byte, i int, member func(key, value []byte) error) (int, error) {
	return walkList(b, i, '}', func(i int) (int, error) {
		if i >= len(b) || b[i] != '"' {
			return 0, errors.New("expected a member name")
		}
		end, err := StringEnd(b, i)
		if err != nil {
			return 0, err
		}
		key := b[i:end]
		i = SkipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return 0, errors.New("expected ':' after a member name")
		}
		i = SkipSpace(b, i+1)
		vEnd, err := ValueEnd(b, i)
		if err != nil {
			return 0, err
		}
		return vEnd, member(key, b[i:vEnd])
	})
}

// WalkArray calls element for each element of the array starting at b[i] (after any space), and returns
// the index after the array. An error from element stops the walk and is returned.
func WalkArray(b []byte, i int, element func(value []byte) error) (int, error) {
	i = SkipSpace(b, i)
	if i >= len(b) || b[i] != '[' {
		return 0, errors.New("expected an array")
	}
	return walkList(b, i, ']', func(i int) (int, error) {
		end, err := ValueEnd(b, i)
		if err != nil {
			return 0, err
		}
		return end, element(b[i:end])
	})
}

// walkList walks the comma-separated items of the object or array whose opening bracket is at b[i] and
// whose closing one is end: item reads the item starting at its argument and returns the index after
// it. walkList returns the index after the closing bracket.
func walkList(b []byte, i int, end byte, item func(i int) (int, error)) (int, error) {
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == end {
		return i + 1, nil
	}
	for {
		next, err := item(i)
		if err != nil {
			return 0, err
		}
		i = SkipSpace(b, next)
		if i >= len(b) {
			return 0, fmt.Errorf("no '%c' at the end", end)
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case end:
			return i + 1, nil
		default:
			return 0, fmt.Errorf("expected ',' or '%c'", end)
		}
	}
}

// SplitArray slices the elements of the JSON array b; an empty array gives an empty, non-nil slice, as
// encoding/json gives.
func SplitArray(b []byte) ([]json.RawMessage, error) {
	out := []json.RawMessage{}
	_, err := WalkArray(b, 0, func(v []byte) error {
		out = append(out, json.RawMessage(v[:len(v):len(v)]))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Member returns the value of the member named name (exactly, after unescaping) of the object b, the
// last one where there are several, as encoding/json reads an object into a map; nil when b has none or
// is not an object.
func Member(b []byte, name string) []byte {
	i := SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil
	}
	var value []byte
	WalkObject(b, i, func(key, v []byte) error {
		if n, ok := MemberName(key); ok && string(n) == name {
			value = v
		}
		return nil
	})
	return value
}

// MemberName returns a quoted member name without its quotes, unescaped; false when it cannot be read.
func MemberName(key []byte) ([]byte, bool) {
	if len(key) < 2 {
		return nil, false
	}
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

// SetString reads a string member the way encoding/json reads one into a string field: a string
// through String, anything else (null as no change, other types as an error) through encoding/json
// itself.
func SetString(dst *string, value []byte) error {
	if s, ok := String(value); ok {
		*dst = s
		return nil
	}
	return json.Unmarshal(value, dst)
}

// String returns the string the JSON string value holds, as encoding/json decodes it (escapes read,
// invalid UTF-8 replaced); false when value is not a string. A plain string costs one allocation, its
// own.
func String(value []byte) (string, bool) {
	if len(value) < 2 || value[0] != '"' {
		return "", false
	}
	if v := value[1 : len(value)-1]; bytes.IndexByte(v, '\\') < 0 && utf8.Valid(v) {
		return string(v), true
	}
	var s string
	if json.Unmarshal(value, &s) != nil {
		return "", false
	}
	return s, true
}

// SkipSpace returns the index of the first byte at or after b[i] that is not JSON white space.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// StringEnd returns the index after the closing quote of the string starting at b[i].
func StringEnd(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errors.New("unterminated string")
}

// ValueEnd returns the index after the JSON value starting at b[i]: a string, an object or array (nested
// brackets counted outside strings), or a literal or number (up to the next delimiter).
func ValueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("missing value")
	}
	switch b[i] {
	case '"':
		return StringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := StringEnd(b, j)
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
		return 0, errors.New("unterminated value")
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
			j++
		}
		if j == i {
			return 0, errors.New("missing value")
		}
		return j, nil
	}
}

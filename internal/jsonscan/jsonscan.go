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
	"unicode/utf8"
)

// WalkObject calls member for each member of the object starting at b[i], with the member's quoted name
// and its value, and returns the index after the object. An error from member stops the walk and is
// returned; so is one about the JSON itself, which callers that checked it never see.
func WalkObject(b []byte, i int, member func(key, value []byte) error) (int, error) {
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
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
		if err := member(key, b[i:vEnd]); err != nil {
			return 0, err
		}
		i = SkipSpace(b, vEnd)
		if i >= len(b) {
			return 0, errors.New("unterminated object")
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return 0, errors.New("expected ',' or '}'")
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

// WalkArray calls element for each element of the array starting at b[i] (after any space), and returns
// the index after the array. An error from element stops the walk and is returned.
func WalkArray(b []byte, i int, element func(value []byte) error) (int, error) {
	i = SkipSpace(b, i)
	if i >= len(b) || b[i] != '[' {
		return 0, errors.New("expected an array")
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := ValueEnd(b, i)
		if err != nil {
			return 0, err
		}
		if err := element(b[i:end]); err != nil {
			return 0, err
		}
		i = SkipSpace(b, end)
		if i >= len(b) {
			return 0, errors.New("unterminated array")
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return 0, errors.New("expected ',' or ']'")
		}
	}
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

// SetString reads a string member the way encoding/json reads one into a string field: a plain string
// directly, null as no change, anything else (escapes, invalid UTF-8, which encoding/json replaces, other
// types) through encoding/json itself.
func SetString(dst *string, value []byte) error {
	if len(value) > 1 && value[0] == '"' && bytes.IndexByte(value, '\\') < 0 && utf8.Valid(value) {
		*dst = string(value[1 : len(value)-1])
		return nil
	}
	return json.Unmarshal(value, dst)
}

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

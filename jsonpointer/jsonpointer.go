// Package jsonpointer reads and writes values inside decoded JSON and YAML
// documents addressed by RFC 6901 JSON Pointers.
//
// trama uses it for the "#/…" tails of runtime expressions such as
// $response.body#/id and for requestBody replacements. Documents are the
// shapes encoding/json and gopkg.in/yaml.v3 produce: map[string]any, []any and
// scalars; map[any]any (older YAML decoders) is read and written as well.
package jsonpointer

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Error reports a malformed pointer or a pointer that cannot be applied.
// Pointer is the whole pointer and Token the unescaped reference token that
// failed ("" when the pointer itself is malformed).
type Error struct {
	Pointer string
	Token   string
	Msg     string
}

func (e *Error) Error() string {
	if e.Token == "" {
		return fmt.Sprintf("jsonpointer %q: %s", e.Pointer, e.Msg)
	}
	return fmt.Sprintf("jsonpointer %q: token %q: %s", e.Pointer, e.Token, e.Msg)
}

// Validate reports whether ptr is a syntactically valid JSON Pointer: empty,
// or "/"-separated tokens where "~" is only followed by "0" or "1".
func Validate(ptr string) error {
	if ptr == "" {
		return nil
	}
	if ptr[0] != '/' {
		return &Error{Pointer: ptr, Msg: `must be empty or start with "/"`}
	}
	for i := 0; i < len(ptr); i++ {
		if ptr[i] == '~' && (i+1 == len(ptr) || (ptr[i+1] != '0' && ptr[i+1] != '1')) {
			return &Error{Pointer: ptr, Msg: fmt.Sprintf(`invalid escape at byte %d: "~" must be followed by "0" or "1"`, i)}
		}
	}
	return nil
}

// Tokens splits ptr into its unescaped reference tokens. The empty pointer
// has no tokens and addresses the whole document.
func Tokens(ptr string) ([]string, error) {
	if err := Validate(ptr); err != nil {
		return nil, err
	}
	if ptr == "" {
		return nil, nil
	}
	parts := strings.Split(ptr[1:], "/")
	for i, p := range parts {
		parts[i] = unescape(p)
	}
	return parts, nil
}

// Escape turns one member name into a reference token ("~" → "~0", "/" → "~1").
func Escape(token string) string {
	if !strings.ContainsAny(token, "~/") {
		return token
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(token)
}

func unescape(tok string) string {
	if strings.IndexByte(tok, '~') < 0 {
		return tok
	}
	// "~1" must become "/" before "~0" becomes "~", or "~01" would turn into "/".
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}

// arrayIndex parses an RFC 6901 array index: "0" or digits without a leading
// zero. ok is false for anything else, including "-".
func arrayIndex(tok string) (int, bool) {
	if tok == "" || len(tok) > 1 && tok[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(tok)
	if err != nil {
		// Only digits reach here, so this is overflow: an index past any
		// array's end.
		return math.MaxInt, true
	}
	return n, true
}

// Get returns the value ptr addresses in doc. A pointer whose target does not
// exist (absent member, index out of range, "-", or a token applied to a
// scalar) reports found=false without an error, because a missing value is an
// ordinary outcome for runtime expressions. Only a malformed pointer or a
// malformed array index is an error.
func Get(doc any, ptr string) (value any, found bool, err error) {
	if ptr == "" {
		return doc, true, nil
	}
	if ptr[0] != '/' {
		return nil, false, &Error{Pointer: ptr, Msg: `must be empty or start with "/"`}
	}
	cur := doc
	rest := ptr[1:]
	for {
		raw := rest
		last := true
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			raw, rest, last = rest[:i], rest[i+1:], false
		}
		if strings.IndexByte(raw, '~') >= 0 {
			if err := Validate("/" + raw); err != nil {
				return nil, false, &Error{Pointer: ptr, Token: raw, Msg: `"~" must be followed by "0" or "1"`}
			}
			raw = unescape(raw)
		}
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[raw]
			if !ok {
				return nil, false, nil
			}
			cur = v
		case map[any]any:
			v, ok := c[raw]
			if !ok {
				return nil, false, nil
			}
			cur = v
		case []any:
			if raw == "-" {
				return nil, false, nil
			}
			n, ok := arrayIndex(raw)
			if !ok {
				return nil, false, &Error{Pointer: ptr, Token: raw, Msg: "array index must be 0 or a number without leading zeros"}
			}
			if n >= len(c) {
				return nil, false, nil
			}
			cur = c[n]
		default:
			return nil, false, nil
		}
		if last {
			return cur, true, nil
		}
	}
}

// Set returns doc with the value at ptr replaced by v. doc itself is not
// modified: the maps and slices along the path are copied, so a document
// shared between runs (a requestBody payload from the workflow file) stays
// intact. Set creates nothing implicitly: every container on the path must
// exist. The last token may name a new object member, an existing array
// index, or "-" (or the array length) to append. The empty pointer replaces
// the whole document.
func Set(doc any, ptr string, v any) (any, error) {
	toks, err := Tokens(ptr)
	if err != nil {
		return nil, err
	}
	return set(doc, ptr, toks, v)
}

func set(cur any, ptr string, toks []string, v any) (any, error) {
	if len(toks) == 0 {
		return v, nil
	}
	tok := toks[0]
	switch c := cur.(type) {
	case map[string]any:
		child, ok := c[tok]
		if !ok && len(toks) > 1 {
			return nil, &Error{Pointer: ptr, Token: tok, Msg: "member does not exist"}
		}
		nv, err := set(child, ptr, toks[1:], v)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(c)+1)
		for k, e := range c {
			out[k] = e
		}
		out[tok] = nv
		return out, nil
	case map[any]any:
		child, ok := c[tok]
		if !ok && len(toks) > 1 {
			return nil, &Error{Pointer: ptr, Token: tok, Msg: "member does not exist"}
		}
		nv, err := set(child, ptr, toks[1:], v)
		if err != nil {
			return nil, err
		}
		out := make(map[any]any, len(c)+1)
		for k, e := range c {
			out[k] = e
		}
		out[tok] = nv
		return out, nil
	case []any:
		n := len(c)
		if tok != "-" {
			i, ok := arrayIndex(tok)
			if !ok {
				return nil, &Error{Pointer: ptr, Token: tok, Msg: `array index must be "-", 0 or a number without leading zeros`}
			}
			if i > len(c) {
				return nil, &Error{Pointer: ptr, Token: tok, Msg: fmt.Sprintf("index out of range (array length %d)", len(c))}
			}
			n = i
		}
		if n == len(c) && len(toks) > 1 {
			return nil, &Error{Pointer: ptr, Token: tok, Msg: "cannot descend past the end of an array"}
		}
		var child any
		if n < len(c) {
			child = c[n]
		}
		nv, err := set(child, ptr, toks[1:], v)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(c), len(c)+1)
		copy(out, c)
		if n == len(c) {
			return append(out, nv), nil
		}
		out[n] = nv
		return out, nil
	case nil:
		return nil, &Error{Pointer: ptr, Token: tok, Msg: "parent is null"}
	default:
		return nil, &Error{Pointer: ptr, Token: tok, Msg: fmt.Sprintf("parent is a %T, not an object or array", cur)}
	}
}

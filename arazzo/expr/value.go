package expr

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
)

// number is a numeric operand. Integers stay exact as int64 so that large
// ids compare correctly; anything else is a float64.
type number struct {
	isInt bool
	i     int64
	f     float64
}

func (n number) float() float64 {
	if n.isInt {
		return float64(n.i)
	}
	return n.f
}

func cmpNumber(a, b number) int {
	if a.isInt && b.isInt {
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	}
	x, y := a.float(), b.float()
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	case x == y:
		return 0
	}
	return 2 // NaN: unordered
}

// toNumber reports v as a number when it is one of Go's numeric kinds or a
// json.Number. Strings are not numbers here; see numericString.
func toNumber(v any) (number, bool) {
	switch n := v.(type) {
	case int:
		return number{isInt: true, i: int64(n)}, true
	case int64:
		return number{isInt: true, i: n}, true
	case int32:
		return number{isInt: true, i: int64(n)}, true
	case int16:
		return number{isInt: true, i: int64(n)}, true
	case int8:
		return number{isInt: true, i: int64(n)}, true
	case uint:
		return uintNumber(uint64(n)), true
	case uint64:
		return uintNumber(n), true
	case uint32:
		return number{isInt: true, i: int64(n)}, true
	case uint16:
		return number{isInt: true, i: int64(n)}, true
	case uint8:
		return number{isInt: true, i: int64(n)}, true
	case float64:
		return number{f: n}, true
	case float32:
		return number{f: float64(n)}, true
	case json.Number:
		return parseNumber(string(n))
	}
	return number{}, false
}

func uintNumber(u uint64) number {
	if u <= math.MaxInt64 {
		return number{isInt: true, i: int64(u)}
	}
	return number{f: float64(u)}
}

// parseNumber accepts JSON number syntax only (no "0x", "+1", " 1", "Inf"),
// so "1e3" and "-0.5" are numeric strings while "0x10" and "NaN" are not.
func parseNumber(s string) (number, bool) {
	if !isJSONNumber(s) {
		return number{}, false
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return number{isInt: true, i: i}, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return number{}, false
	}
	return number{f: f}, true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return false
	}
	if s[i] == '0' {
		i++
	} else if s[i] >= '1' && s[i] <= '9' {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	} else {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(s)
}

// toString reports v as a string when it is one. []byte counts: resolvers
// hand over non-JSON bodies as raw bytes.
func toString(v any) (string, bool) {
	switch s := v.(type) {
	case string:
		return s, true
	case []byte:
		return string(s), true
	}
	return "", false
}

// boolString reads "true"/"false" in any case, so header and query values
// (always strings) compare against boolean literals.
func boolString(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// compareStrings orders a and b after full Unicode case folding (so "STRASSE"
// equals "straße" and "ΣΑΣ" equals "σας"), as 1.0.1 l.653 requires. ASCII
// text, the common case, is compared without allocating.
func compareStrings(a, b string) int {
	if ascii(a) && ascii(b) {
		n := min(len(a), len(b))
		for i := 0; i < n; i++ {
			x, y := lower(a[i]), lower(b[i])
			if x != y {
				if x < y {
					return -1
				}
				return 1
			}
		}
		switch {
		case len(a) < len(b):
			return -1
		case len(a) > len(b):
			return 1
		}
		return 0
	}
	fa, fb := fold(a), fold(b)
	return strings.Compare(fa, fb)
}

func fold(s string) string {
	// A Caser keeps state between calls, so each comparison gets its own.
	return cases.Fold().String(s)
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Stringify renders a value the way embedded expressions substitute it (1.1
// l.1474–1480): strings as they are, numbers and booleans in JSON notation,
// null as "null", objects and arrays as JSON.
func Stringify(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case nil:
		return "null", nil
	case bool:
		return strconv.FormatBool(x), nil
	case json.Number:
		return string(x), nil
	case float64:
		return formatFloat(x, 64), nil
	case float32:
		return formatFloat(float64(x), 32), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case uint:
		return strconv.FormatUint(uint64(x), 10), nil
	}
	if n, ok := toNumber(v); ok && n.isInt {
		return strconv.FormatInt(n.i, 10), nil
	}
	if n, ok := toNumber(v); ok {
		return formatFloat(n.f, 64), nil
	}
	b, err := json.Marshal(jsonable(v))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// formatFloat matches encoding/json's float notation.
func formatFloat(f float64, bits int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.FormatFloat(f, 'e', -1, bits)
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// jsonable converts map[any]any (from older YAML decoders) into
// map[string]any, which encoding/json cannot marshal otherwise.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			ks, err := Stringify(k)
			if err != nil {
				ks = ""
			}
			m[ks] = jsonable(e)
		}
		return m
	case map[string]any:
		for _, e := range x {
			if needsConversion(e) {
				m := make(map[string]any, len(x))
				for k, e := range x {
					m[k] = jsonable(e)
				}
				return m
			}
		}
	case []any:
		for _, e := range x {
			if needsConversion(e) {
				s := make([]any, len(x))
				for i, e := range x {
					s[i] = jsonable(e)
				}
				return s
			}
		}
	}
	return v
}

func needsConversion(v any) bool {
	switch x := v.(type) {
	case map[any]any:
		return true
	case map[string]any:
		for _, e := range x {
			if needsConversion(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if needsConversion(e) {
				return true
			}
		}
	}
	return false
}

// typeName names a value's kind in error messages without printing it:
// values may be secrets.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string, []byte:
		return "a string"
	case map[string]any, map[any]any:
		return "an object"
	case []any:
		return "an array"
	}
	if _, ok := asNumber(v); ok {
		return "a number"
	}
	return "a value of type " + strings.TrimPrefix(reflectName(v), "*")
}

func reflectName(v any) string { return fmt.Sprintf("%T", v) }

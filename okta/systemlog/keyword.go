package systemlog

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/trama-dev/trama/okta"
)

// Okta's limits on the q parameter of GET /api/v1/logs.
const (
	maxKeywords   = 10
	maxKeywordLen = 40
)

// keywords is a parsed q parameter: every keyword must occur in the event.
type keywords []string

// parseKeywords splits q on white space and enforces Okta's limits of 10 keywords of at most 40
// characters each.
func parseKeywords(q string) (keywords, error) {
	fields := strings.Fields(q)
	if len(fields) > maxKeywords {
		return nil, fmt.Errorf("q: %d keywords given, at most %d are allowed", len(fields), maxKeywords)
	}
	for _, f := range fields {
		if n := len([]rune(f)); n > maxKeywordLen {
			return nil, fmt.Errorf("q: keyword %q is %d characters long, at most %d are allowed", f, n, maxKeywordLen)
		}
	}
	return fields, nil
}

// matchEvent reports whether every keyword occurs in some string value of the event.
func (k keywords) matchEvent(e *okta.LogEvent) bool {
	for _, kw := range k {
		if !anyString(reflect.ValueOf(e).Elem(), func(s string) bool { return keywordIn(s, kw) }) {
			return false
		}
	}
	return true
}

// keywordIn reports whether kw equals, ignoring case, a white-space-separated word of s or one of the
// hyphen-separated parts of such a word. Okta matches whole keywords, not substrings, and lets a part
// of a hyphenated value match on its own.
func keywordIn(s, kw string) bool {
	for _, word := range strings.Fields(s) {
		if strings.EqualFold(word, kw) {
			return true
		}
		if strings.IndexByte(word, '-') < 0 {
			continue
		}
		for part := range strings.SplitSeq(word, "-") {
			if strings.EqualFold(part, kw) {
				return true
			}
		}
	}
	return false
}

// anyString reports whether fn holds for any string value in v, at any depth.
func anyString(v reflect.Value, fn func(string) bool) bool {
	v = indirect(v)
	if !v.IsValid() {
		return false
	}
	switch v.Kind() {
	case reflect.String:
		return fn(v.String())
	case reflect.Struct:
		if v.Type() == timeType {
			return false
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && anyString(v.Field(i), fn) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if anyString(v.Index(i), fn) {
				return true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if anyString(it.Value(), fn) {
				return true
			}
		}
	}
	return false
}

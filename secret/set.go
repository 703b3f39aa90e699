package secret

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Mask replaces a secret in everything trama writes. It is fixed-width so the output does not reveal
// the length of the secret.
const Mask = "****"

// MinLen is the shortest value, in bytes, that a Set accepts. Shorter values are ignored: replacing every
// "a" or "42" in a report would shred it while protecting nothing that could not be guessed anyway.
const MinLen = 4

// Set is a collection of secret values that Redact replaces with Mask. The zero value is an empty Set
// ready to use; a nil *Set redacts nothing. A Set is safe for concurrent use, so the runner can keep
// adding values (a token obtained mid-run) while reports are written.
type Set struct {
	mu       sync.RWMutex
	values   map[string]struct{}
	replacer *strings.Replacer // built lazily from values; nil when stale
}

// Add records values as secret. Values shorter than MinLen bytes are ignored. Besides each value itself,
// Add records the forms in which it commonly reaches output: JSON-string escaped (a secret with quotes
// or '<' inside a JSON body) and URL-query escaped (a secret in a query string or form body).
func (s *Set) Add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if len(v) < MinLen {
			continue
		}
		if s.values == nil {
			s.values = make(map[string]struct{})
		}
		for _, form := range encodedForms(v) {
			if _, ok := s.values[form]; !ok {
				s.values[form] = struct{}{}
				s.replacer = nil
			}
		}
	}
}

// Len reports how many distinct forms the Set redacts; it is meant for tests and diagnostics.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.values)
}

// encodedForms returns v and the escaped spellings of v that differ from it.
func encodedForms(v string) []string {
	forms := []string{v}
	if b, err := json.Marshal(v); err == nil {
		if j := string(b[1 : len(b)-1]); j != v {
			forms = append(forms, j)
		}
	}
	if q := url.QueryEscape(v); q != v {
		forms = append(forms, q)
	}
	if p := url.PathEscape(v); p != v && !slices.Contains(forms, p) {
		forms = append(forms, p)
	}
	return forms
}

// Redact returns text with every occurrence of every secret replaced by Mask. When one secret contains
// another, the longer one wins, so no fragment of it survives.
func (s *Set) Redact(text string) string {
	r := s.replacerFor()
	if r == nil {
		return text
	}
	return r.Replace(text)
}

// RedactBytes is Redact for byte slices. It never modifies b; it returns b itself when the Set is empty.
func (s *Set) RedactBytes(b []byte) []byte {
	r := s.replacerFor()
	if r == nil {
		return b
	}
	return []byte(r.Replace(string(b)))
}

// replacerFor returns the cached replacer, building it on first use after an Add.
func (s *Set) replacerFor() *strings.Replacer {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	r, n := s.replacer, len(s.values)
	s.mu.RUnlock()
	if r != nil || n == 0 {
		return r
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.replacer != nil {
		return s.replacer
	}
	vals := make([]string, 0, len(s.values))
	for v := range s.values {
		vals = append(vals, v)
	}
	// strings.Replacer prefers earlier pairs when several match at one position, so longest first makes
	// a secret that contains another secret disappear entirely.
	slices.SortFunc(vals, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	pairs := make([]string, 0, 2*len(vals))
	for _, v := range vals {
		pairs = append(pairs, v, Mask)
	}
	s.replacer = strings.NewReplacer(pairs...)
	return s.replacer
}

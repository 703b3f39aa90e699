package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzScan holds the walkers to encoding/json on any valid JSON: SplitArray gives the elements an
// unmarshal into []json.RawMessage gives, Member the value a map gives for each name (but names with
// invalid UTF-8), String the string an unmarshal into a string gives. On any input, valid or not, nothing panics.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		`[1, "two", {"three": [3]}, null, true]`, `[]`, ` [ ] `, `{"a":1,"b":{"c":"}"},"a":2}`, `{}`,
		`{"t\u0061rget":[1],"Target":2}`, `"plain"`, `"esc\"aped\u00e9"`, "\"\xff\"", `5`, `[`, `{"a"`, `"`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		elems, arrErr := SplitArray(b)
		WalkObject(b, SkipSpace(b, 0), func(key, value []byte) error { MemberName(key); return nil })
		Member(b, "a")
		s, isString := String(bytes.TrimSpace(b)) // String reads a value as the walkers slice it
		if !json.Valid(b) {
			return
		}
		var want []json.RawMessage
		if json.Unmarshal(b, &want) == nil {
			if arrErr != nil || len(elems) != len(want) {
				t.Fatalf("%s: SplitArray = %d elements, %v; encoding/json %d", b, len(elems), arrErr, len(want))
			}
			for i := range want {
				if !bytes.Equal(elems[i], want[i]) {
					t.Fatalf("%s: element %d = %s, encoding/json %s", b, i, elems[i], want[i])
				}
			}
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) == nil && m != nil {
			for name, v := range m {
				if strings.ContainsRune(name, utf8.RuneError) {
					continue // a name with invalid UTF-8, which encoding/json replaces and Member matches as sent
				}
				if got := Member(b, name); !bytes.Equal(got, v) {
					t.Fatalf("%s: Member(%q) = %s, encoding/json %s", b, name, got, v)
				}
			}
		}
		var ws string
		wantString := json.Unmarshal(b, &ws) == nil && bytes.TrimSpace(b)[0] == '"'
		if isString != wantString || s != ws {
			t.Fatalf("%s: String = %q, %v; encoding/json %q, %v", b, s, isString, ws, wantString)
		}
	})
}

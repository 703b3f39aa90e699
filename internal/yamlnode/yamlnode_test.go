package yamlnode

import (
	"errors"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestSyntaxHasAColumn(t *testing.T) {
	for _, tt := range []struct {
		text string
		want Pos
	}{
		{"a: 1\nb: [1, 2\n", Pos{Line: 2, Col: 1}},
		{"a: 1\n  b: 2\n", Pos{Line: 2, Col: 4}},
		{"key: value\n\t- tab\n", Pos{Line: 2, Col: 1}},
	} {
		var n yaml.Node
		err := Syntax([]byte(tt.text), yaml.Unmarshal([]byte(tt.text), &n))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("%q: %v is not a SyntaxError", tt.text, err)
		}
		if se.Pos.Line == 0 || se.Pos.Col == 0 {
			t.Errorf("%q: %v has no line and column", tt.text, se)
		}
	}
}

func FuzzSyntax(f *testing.F) {
	f.Add("a: [1\n")
	f.Add("\t: x\n")
	f.Fuzz(func(t *testing.T, s string) {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(s), &n)
		if out := Syntax([]byte(s), err); (err == nil) != (out == nil) {
			t.Fatalf("Syntax(%q, %v) = %v", s, err, out)
		}
	})
}

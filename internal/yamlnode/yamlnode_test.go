package yamlnode

import (
	"errors"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestSyntaxPointsAtTheMistake: each YAML syntax error gets the line and column of what to fix, not
// the line yaml.v3 reports (one early for its parser's errors).
func TestSyntaxPointsAtTheMistake(t *testing.T) {
	for _, tt := range []struct {
		text string
		want Pos
		msg  string
	}{
		{"a: 1\nb: [1, 2\n", Pos{Line: 2, Col: 4}, "the [ here is not closed"},
		{"x: 1\ny: 2\na: [b, c\nd: 1\n", Pos{Line: 3, Col: 4}, "the [ here is not closed"},
		{"x: 1\na: {b: 1\n", Pos{Line: 2, Col: 4}, "the { here is not closed"},
		{"a: [b", Pos{Line: 1, Col: 4}, "not closed"},
		{"a: 1\n  b: 2\n", Pos{Line: 2, Col: 4}, "mapping values are not allowed"},
		{"key: value\n\t- tab\n", Pos{Line: 2, Col: 1}, "tab"},
		{"a:\n  b: 1\n c: 2\n", Pos{Line: 3, Col: 2}, "did not find expected key"},
		{"x: 1\n- a\n", Pos{Line: 2, Col: 1}, "did not find expected key"},
		{"x: 1\ny: @foo\n", Pos{Line: 2, Col: 4}, "cannot start any token"},
	} {
		var n yaml.Node
		err := Syntax([]byte(tt.text), yaml.Unmarshal([]byte(tt.text), &n))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("%q: %v is not a SyntaxError", tt.text, err)
		}
		if se.Pos != tt.want || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("%q: %v; want %v and %q", tt.text, se, tt.want, tt.msg)
		}
	}
}

func FuzzSyntax(f *testing.F) {
	f.Add("a: [1\n")
	f.Add("\t: x\n")
	f.Add("a:\n  b: {c\n")
	f.Fuzz(func(t *testing.T, s string) {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(s), &n)
		out := Syntax([]byte(s), err)
		if (err == nil) != (out == nil) {
			t.Fatalf("Syntax(%q, %v) = %v", s, err, out)
		}
		var se *SyntaxError
		lines := splitLines(s)
		if errors.As(out, &se) && se.Pos.IsValid() && (se.Pos.Line > len(lines) || se.Pos.Col > len(lines[se.Pos.Line-1])+1) {
			t.Fatalf("Syntax(%q) = %v: a position outside the text", s, se)
		}
	})
}

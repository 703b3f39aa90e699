package sqlite

import (
	"strconv"
	"strings"
	"testing"
)

func TestPositional(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)", "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)", true},
		{"SELECT 1 FROM t WHERE a = $1 AND b = '$2' AND c = $2", "SELECT 1 FROM t WHERE a = ? AND b = '$2' AND c = ?", true},
		{`SELECT "$1", [$2], ` + "`$3`" + `, $1 -- $2` + "\n" + `/* $2 */ FROM t WHERE x = $2`, `SELECT "$1", [$2], ` + "`$3`" + `, ? -- $2` + "\n" + `/* $2 */ FROM t WHERE x = ?`, true},
		{"SELECT 'it''s $2', $1", "SELECT 'it''s $2', ?", true},
		// Anything else keeps its text.
		{"SELECT 1", "SELECT 1", false},
		{"SELECT $2, $1", "SELECT $2, $1", false},
		{"SELECT $1, $1", "SELECT $1, $1", false},
		{"SELECT $1, $3", "SELECT $1, $3", false},
		{"SELECT $1, ?", "SELECT $1, ?", false},
		{"SELECT $1, :name", "SELECT $1, :name", false},
		{"SELECT $1, @name", "SELECT $1, @name", false},
		{"SELECT $name", "SELECT $name", false},
		{"SELECT $1x", "SELECT $1x", false},
		{"SELECT $01", "SELECT $01", false},
		{"SELECT $", "SELECT $", false},
		{"SELECT $99999999999999999999", "SELECT $99999999999999999999", false},
		{"SELECT '$1", "SELECT '$1", false},
	} {
		got, ok := positional(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("positional(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzPositional holds positional to its promise: a rewritten text is the original with its parameters
// $1…$n, in order, replaced by "?", and anything else comes back unchanged.
func FuzzPositional(f *testing.F) {
	for _, s := range []string{"INSERT INTO t VALUES ($1, $2)", "SELECT '$1', $1", "SELECT $2, $1", "-- $1\n$1",
		"SELECT [a$1] FROM t WHERE b = $1 /* $2", "SELECT \"x\"\"$1\", $1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, ok := positional(in)
		if !ok {
			if out != in {
				t.Fatalf("positional(%q) changed the text without rewriting it: %q", in, out)
			}
			return
		}
		if strings.Contains(in, "?") {
			return // a quoted "?" would be numbered back too; TestPositional covers quoted text
		}
		// Put the numbers back, in order, where the question marks are, and the original must return.
		parts := strings.Split(out, "?")
		var b strings.Builder
		for i, p := range parts {
			if i > 0 {
				b.WriteString("$" + strconv.Itoa(i))
			}
			b.WriteString(p)
		}
		if b.String() != in {
			t.Fatalf("positional(%q) = %q, which does not number back to the input", in, out)
		}
	})
}

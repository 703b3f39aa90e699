package expr

import (
	"errors"
	"fmt"
)

// SyntaxError reports text that is not a valid runtime expression, template
// or condition. Offset is the byte offset into Text where the problem starts;
// `trama validate` adds it to the value's position in the document.
//
// Error leaves the text of a template out: string values may hold a
// hard-coded credential ("SSWS 00a…") next to the typo.
type SyntaxError struct {
	Text   string
	Offset int
	Msg    string

	template bool
}

// Error formats the offset and message, quoting the text except for
// templates.
func (e *SyntaxError) Error() string {
	if e.template {
		return fmt.Sprintf("string value at offset %d: %s", e.Offset, e.Msg)
	}
	return fmt.Sprintf("%q at offset %d: %s", e.Text, e.Offset, e.Msg)
}

// shift moves an error found in a substring to the offsets of the whole text.
func shift(err error, text string, by int, template bool) error {
	var se *SyntaxError
	if errors.As(err, &se) {
		return &SyntaxError{Text: text, Offset: se.Offset + by, Msg: se.Msg, template: template}
	}
	return err
}

// EvalError reports that a runtime expression could not be evaluated: the
// resolver failed, the JSON Pointer tail is malformed, a template needs a
// value that does not exist, or a condition compares something it cannot.
// Expr names the expression so the run report can show which one failed.
type EvalError struct {
	Expr string
	Msg  string
	Err  error
}

func (e *EvalError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Expr, e.Msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Expr, e.Msg)
}

func (e *EvalError) Unwrap() error { return e.Err }

// suggestion returns "; did you mean $x?" for a mistyped root, or "".
func suggestion(root string, opts Options) string {
	cands := make([]string, 0, len(arazzoRoots)+len(opts.Roots))
	for _, r := range arazzoRoots {
		cands = append(cands, string(r))
	}
	cands = append(cands, opts.Roots...)
	if s := closest(root, cands); s != "" {
		return "; did you mean $" + s + "?"
	}
	return ""
}

// closest returns the candidate within a small edit distance of w (case
// changes and transpositions count once), or "".
func closest(w string, cands []string) string {
	if w == "" {
		return ""
	}
	best, bestD := "", 3
	limit := 2
	if len(w) <= 4 {
		limit = 1
	}
	for _, c := range cands {
		d := distance(w, c)
		if d <= limit && d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the optimal-string-alignment edit distance: a transposition
// ("inptus") counts as one edit, like a case change ("Inputs").
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	la, lb := len(a), len(b)
	d := make([][]int, la+1)
	for i := range d {
		d[i] = make([]int, lb+1)
		d[i][0] = i
	}
	for j := 0; j <= lb; j++ {
		d[0][j] = j
	}
	for i := 1; i <= la; i++ {
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[la][lb]
}

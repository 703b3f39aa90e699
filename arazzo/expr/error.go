package expr

import (
	"errors"
	"fmt"

	"github.com/trama-dev/trama/internal/suggest"
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

// ErrNotFound is what errors.Is finds in the EvalError of an expression whose value does not exist (a
// JSON Pointer past the end of the response, a header that was not sent), as opposed to one that is
// malformed or compares what it cannot.
var ErrNotFound = errors.New("value not found")

// Is makes errors.Is(err, ErrNotFound) true for a value that does not exist.
func (e *EvalError) Is(target error) bool {
	return target == ErrNotFound && e.Msg == ErrNotFound.Error()
}

// suggestion returns "; did you mean $x?" for a mistyped root, or "".
func suggestion(root string, opts Options) string {
	cands := make([]string, 0, len(arazzoRoots)+len(opts.Roots))
	for _, r := range arazzoRoots {
		cands = append(cands, string(r))
	}
	cands = append(cands, opts.Roots...)
	if s := suggest.Closest(root, cands); s != "" {
		return "; did you mean $" + s + "?"
	}
	return ""
}

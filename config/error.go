package config

import (
	"fmt"
	"strings"
)

// Error is one problem in a configuration file, at the line and column of the offending YAML node. Msg
// says what is wrong and what to write instead; it never holds a value that came from the environment
// or a secret field.
type Error struct {
	File   string
	Line   int
	Column int
	// Path is the key path of the offending value, e.g. "triggers[0].run.file"; "" for the whole file.
	Path string
	Msg  string
}

// Error formats the problem as "file:line:col: path: message", the form editors jump to.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem Parse found, in file order, so one edit can fix them all instead of one per run
// of `trama serve`.
type Errors []*Error

// Error puts each problem on its own line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each *Error to errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

package arazzo

import (
	"cmp"
	"fmt"
	"slices"
)

// Severity tells whether a Diagnostic stops a document from running.
type Severity int

const (
	// Error marks a defect that makes the document invalid; trama refuses to
	// run a bundle that has errors.
	Error Severity = iota
	// Warning marks something legal or tolerated that is likely a mistake or
	// relies on a compatibility behaviour of trama.
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one finding about a document, located at the key or value it
// concerns. Code is a stable kebab-case identifier that tests, CI filters and
// documentation can rely on; Message is for people and may change.
type Diagnostic struct {
	File     string
	Line     int
	Col      int
	Severity Severity
	Code     string
	Message  string
}

// String formats d as "file:line:col: error: message [code]", the form
// editors and CI annotations recognise.
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s [%s]", d.File, d.Line, d.Col, d.Severity, d.Message, d.Code)
}

// HasErrors reports whether any diagnostic in ds is an Error.
func HasErrors(ds []Diagnostic) bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

func sortDiagnostics(ds []Diagnostic) {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// diagnostics collects findings for one file.
type diagnostics struct {
	file string
	list []Diagnostic
}

func (ds *diagnostics) add(sev Severity, p Pos, code, format string, args ...any) {
	ds.list = append(ds.list, Diagnostic{
		File: ds.file, Line: p.Line, Col: p.Col, Severity: sev, Code: code,
		Message: fmt.Sprintf(format, args...),
	})
}

func (ds *diagnostics) errorf(p Pos, code, format string, args ...any) {
	ds.add(Error, p, code, format, args...)
}

func (ds *diagnostics) warnf(p Pos, code, format string, args ...any) {
	ds.add(Warning, p, code, format, args...)
}

package okta

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// Error is Okta's error object, the body of every 4xx and 5xx response. ErrorLink repeats ErrorCode, as
// Okta does today; ErrorCauses is never null on the wire.
type Error struct {
	ErrorCode    string       `json:"errorCode"`
	ErrorSummary string       `json:"errorSummary"`
	ErrorLink    string       `json:"errorLink"`
	ErrorID      string       `json:"errorId"`
	ErrorCauses  []ErrorCause `json:"errorCauses"`
}

// ErrorCause is one entry of Error.ErrorCauses.
type ErrorCause struct {
	ErrorSummary string `json:"errorSummary"`
}

// Error formats the code, the summary and the causes, for logs and test failures.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "okta %s: %s", e.ErrorCode, e.ErrorSummary)
	for _, c := range e.ErrorCauses {
		b.WriteString("; ")
		b.WriteString(c.ErrorSummary)
	}
	return b.String()
}

// NewError builds Okta's error object the way Okta fills it: errorLink repeats errorCode, errorId is fresh
// (NewErrorID), and errorCauses is never nil.
func NewError(code, summary string, causes ...string) *Error {
	e := &Error{ErrorCode: code, ErrorSummary: summary, ErrorLink: code, ErrorID: NewErrorID(), ErrorCauses: []ErrorCause{}}
	for _, c := range causes {
		e.ErrorCauses = append(e.ErrorCauses, ErrorCause{ErrorSummary: c})
	}
	return e
}

// NewErrorID returns an errorId as real Okta writes them: "oae" followed by 22 base64url characters.
func NewErrorID() string {
	var b [17]byte
	_, _ = rand.Read(b[:])
	return "oae" + base64.RawURLEncoding.EncodeToString(b[:])[:22]
}

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

// ErrorCause is one entry of Error.ErrorCauses. Newer Okta services add where and why a request was
// refused (reason INVALID_FORMAT, locationType body, domain policy, ...); older ones send the summary
// alone, so the other members are omitted when empty.
type ErrorCause struct {
	ErrorSummary string `json:"errorSummary"`
	Reason       string `json:"reason,omitempty"`
	Location     string `json:"location,omitempty"`
	LocationType string `json:"locationType,omitempty"`
	Domain       string `json:"domain,omitempty"`
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

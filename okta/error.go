package okta

import (
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

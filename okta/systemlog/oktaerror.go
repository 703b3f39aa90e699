package systemlog

import (
	"crypto/rand"
	"encoding/base64"

	"github.com/trama-dev/trama/okta"
)

// newError builds Okta's error object. errorLink repeats errorCode and errorId imitates Okta's
// "oae" + 22 base64url characters.
func newError(code, summary string, causes ...string) *okta.Error {
	e := &okta.Error{ErrorCode: code, ErrorSummary: summary, ErrorLink: code, ErrorID: errorID(), ErrorCauses: []okta.ErrorCause{}}
	for _, c := range causes {
		e.ErrorCauses = append(e.ErrorCauses, okta.ErrorCause{ErrorSummary: c})
	}
	return e
}

func errorID() string {
	var b [17]byte
	_, _ = rand.Read(b[:])
	return "oae" + base64.RawURLEncoding.EncodeToString(b[:])[:22]
}

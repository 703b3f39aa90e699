package ratelimit

import (
	"net/http"

	"github.com/trama-dev/trama/okta"
)

// OktaKey counts a request against its Okta endpoint: host, method and the path template of Okta's
// management description (/api/v1/users/{}), because Okta's limits are per endpoint, not per user.
// Paths the description does not have fall back to DefaultKey.
func OktaKey(r *http.Request) string {
	if t, ok := okta.Template(r.Method, r.URL.Path); ok {
		return r.URL.Host + " " + r.Method + " " + t
	}
	return DefaultKey(r)
}

package worker

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/trama-dev/trama/runner"
)

// Connection is a named credential of trama serve, shared by every run whose trigger names it, so that
// one OAuth token serves them all.
type Connection struct {
	Authenticator runner.Authenticator
	// Origin is the scheme and host of the connection's server (an Okta org): it authenticates the
	// requests of every source description whose base URL has that origin. "" means every source.
	Origin string
}

// authenticators gives a run's sources the connection its trigger names.
func (w *Worker) authenticators(r *runner.Runner, name string, sources []string) (map[string]runner.Authenticator, error) {
	if name == "" {
		return nil, nil
	}
	c, ok := w.Connections[name]
	if !ok {
		return nil, errUnknownConnection(name)
	}
	out := map[string]runner.Authenticator{}
	var seen []string
	for _, src := range sources {
		if c.Origin == "" {
			out[src] = c.Authenticator
			continue
		}
		u, err := r.SourceURL(src)
		if err != nil {
			seen = append(seen, src+" (no server)")
			continue
		}
		if sameOrigin(u, c.Origin) {
			out[src] = c.Authenticator
		} else {
			seen = append(seen, src+" at "+u)
		}
	}
	if len(out) == 0 {
		// Running without the connection would send requests with no credentials, or the
		// workflow's own: say what to fix instead.
		return nil, fmt.Errorf("connection %s is for %s, and no source description of the workflow goes there (%s): point one at it in the servers section",
			name, c.Origin, strings.Join(seen, ", "))
	}
	return out, nil
}

type errUnknownConnection string

func (e errUnknownConnection) Error() string {
	return "connection " + string(e) + " is not defined in the configuration this worker runs under"
}

// sameOrigin compares a URL's scheme and host (with port) to an origin, case-insensitively.
func sameOrigin(rawURL, origin string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	o, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Scheme, o.Scheme) && strings.EqualFold(u.Host, o.Host)
}

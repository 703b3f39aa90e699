package backfill

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/trama-dev/trama/secret"
)

// logsPath is the System Log query endpoint; every URL the poller requests has exactly this path.
const logsPath = "/api/v1/logs"

// parseOrgURL checks the configured org URL. Plain http is accepted only for loopback hosts (the
// emulator, a local proxy): anywhere else it would send the API token in clear text.
func parseOrgURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("backfill: OrgURL is empty; want the org's URL, e.g. https://example.okta.com")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the input, which may carry a password.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("backfill: OrgURL is not a URL: %w", err)
	}
	shown := u.Redacted()
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("backfill: OrgURL %q: want an https:// URL", shown)
	case u.Host == "":
		return nil, fmt.Errorf("backfill: OrgURL %q: no host", shown)
	case u.User != nil:
		return nil, fmt.Errorf("backfill: OrgURL %q: must not carry user information", shown)
	case u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "":
		return nil, fmt.Errorf("backfill: OrgURL %q: want the org's base URL without path, query or fragment", shown)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return nil, fmt.Errorf("backfill: OrgURL %q: http:// is allowed only for loopback hosts; the API token would travel in clear text", shown)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkSameOrg resolves a link (the stored cursor or a response's next link, which RFC 8288 allows to
// be relative) against base and accepts it only when it is the org's System Log endpoint. The token is
// sent with every request, so a link elsewhere, whether from a tampered database or a misbehaving
// proxy, is refused rather than followed.
func checkSameOrg(org, base *url.URL, ref string) (*url.URL, error) {
	r, err := url.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("link %q: %w", ref, err)
	}
	u := base.ResolveReference(r)
	switch {
	case u.User != nil:
		return nil, fmt.Errorf("link %s: refusing a URL with user information", displayURL(u))
	case !strings.EqualFold(u.Scheme, org.Scheme) || !strings.EqualFold(hostPort(u), hostPort(org)):
		return nil, fmt.Errorf("link %s: refusing to send the API token outside the org %s", displayURL(u), org)
	case u.Path != logsPath:
		return nil, fmt.Errorf("link %s: refusing a path other than %s", displayURL(u), logsPath)
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// hostPort returns host:port with the scheme's default port made explicit, so https://o.okta.com and
// https://o.okta.com:443 name the same org.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// displayURL renders u for logs and errors: no user information, and the value of every query parameter
// whose name suggests a secret masked. Okta's own parameters (since, after, filter, limit) stay, in
// their order, because they are what a person needs to reproduce the request.
func displayURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	if c.RawQuery != "" {
		c.RawQuery = secret.RedactQuery(c.RawQuery)
	}
	return c.String()
}

package secret

import (
	"net/url"
	"strings"
)

// RedactURL masks what a URL may carry of secrets, for reports, logs and errors: the password of its user
// information, the value of every query parameter whose name IsSecretName (?api_key=…, ?token=…), and
// every value in s (which may be nil). Everything else stays as written, query parameters in their
// order, so the URL still tells a person which request it was.
func RedactURL(raw string, s *Set) string {
	if !strings.ContainsAny(raw, "?@") {
		return s.Redact(raw) // no query and no user information: nothing to parse (the runner's per-step path)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return s.Redact(raw)
	}
	masked := false
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), Mask)
			masked = true
		}
	}
	if u.RawQuery != "" {
		u.RawQuery = RedactQuery(u.RawQuery)
	}
	out := u.String()
	if masked {
		// url escapes the mask's asterisks in user information (%2A%2A…), which RFC 3986 allows as they are;
		// a person reads user:****@host.
		user := url.User(u.User.Username()).String()
		out = strings.Replace(out, user+":"+escapedMask+"@", user+":"+Mask+"@", 1)
	}
	return s.Redact(out)
}

// escapedMask is Mask as url writes it in a URL's user information.
var escapedMask = strings.TrimPrefix(url.UserPassword("", Mask).String(), ":")

// RedactQuery masks the values of secret-named parameters of a query string (or a form body) and keeps
// the others as written, in their order. A name that cannot be unescaped is masked too: it may be hiding
// a secret name.
func RedactQuery(raw string) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, found := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil || (found && IsSecretName(name)) {
			parts[i] = k + "=" + Mask
		}
	}
	return strings.Join(parts, "&")
}

package secret

import (
	"net/http"
	"net/textproto"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// RedactHeader returns the value of header name as trama may write it.
//
//   - Authorization and Proxy-Authorization keep their scheme so a reader can still see how the request
//     authenticated: "SSWS 00abc…" becomes "SSWS ****", "Bearer eyJ…" becomes "Bearer ****". A value
//     without a scheme becomes Mask.
//   - Cookie keeps the cookie names and masks every value: "sid=abc; xsrf=def" becomes
//     "sid=****; xsrf=****".
//   - Set-Cookie masks the cookie value and keeps its attributes (Path, Expires, HttpOnly…), which are
//     not secret and explain client behaviour.
//   - DPoP (a proof of possession, RFC 9449) becomes Mask: it is single-use, but it names the request
//     and the access token's hash, and nothing about it helps a reader.
//   - Any other header whose name IsSecretName (X-Api-Key, X-Auth-Token, a hook's secret header)
//     becomes Mask.
//   - Everything else is returned unchanged.
func RedactHeader(name, value string) string {
	switch textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name)) {
	case "Authorization", "Proxy-Authorization":
		v := strings.TrimSpace(value)
		scheme, _, found := strings.Cut(v, " ")
		if !found || scheme == "" || !httpguts.ValidHeaderFieldName(scheme) {
			return Mask
		}
		return scheme + " " + Mask
	case "Dpop":
		return Mask
	case "Cookie":
		return redactCookiePairs(value, ";", false)
	case "Set-Cookie":
		return redactCookiePairs(value, ";", true)
	}
	if IsSecretName(name) {
		return Mask
	}
	return value
}

// redactCookiePairs masks the value of each name=value pair; with firstOnly, only the first pair is a
// cookie and the rest are attributes kept as they are.
func redactCookiePairs(value, sep string, firstOnly bool) string {
	parts := strings.Split(value, sep)
	for i, p := range parts {
		if firstOnly && i > 0 {
			break
		}
		name, _, found := strings.Cut(p, "=")
		if !found {
			if strings.TrimSpace(p) != "" {
				parts[i] = Mask
			}
			continue
		}
		parts[i] = name + "=" + Mask
	}
	return strings.Join(parts, sep)
}

// RedactHeaders returns a copy of h with every value passed through RedactHeader. h is not modified;
// a nil h gives nil.
func RedactHeaders(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for name, values := range h {
		cp := make([]string, len(values))
		for i, v := range values {
			cp[i] = RedactHeader(name, v)
		}
		out[name] = cp
	}
	return out
}

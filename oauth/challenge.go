package oauth

import (
	"net/http"
	"strings"
)

// Challenge is one WWW-Authenticate challenge (RFC 9110 §11.6.1): its scheme and auth-params, such as
// Bearer error="insufficient_scope", scope="okta.users.manage".
type Challenge struct {
	Scheme string
	Params map[string]string
}

// Challenges parses every challenge in a response's WWW-Authenticate headers. Malformed parts are
// skipped: a challenge is a hint about what to do next, never a reason to fail harder.
func Challenges(h http.Header) []Challenge {
	var out []Challenge
	for _, v := range h.Values("WWW-Authenticate") {
		out = append(out, parseChallenges(v)...)
	}
	return out
}

// Find returns the first challenge whose error param is code, if any.
func Find(cs []Challenge, code string) (Challenge, bool) {
	for _, c := range cs {
		if c.Params["error"] == code {
			return c, true
		}
	}
	return Challenge{}, false
}

// parseChallenges reads `Scheme k=v, k="quoted, \"v\"", Scheme2 k=v`: a token followed by '=' is a
// parameter of the current challenge, any other token starts a new challenge.
func parseChallenges(s string) []Challenge {
	var out []Challenge
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return out
		}
		tok, rest := cutToken(s)
		if tok == "" {
			s = s[1:] // not a token: skip a byte and resynchronize
			continue
		}
		rest = strings.TrimLeft(rest, " \t")
		if !strings.HasPrefix(rest, "=") {
			out = append(out, Challenge{Scheme: tok, Params: map[string]string{}})
			s = rest
			continue
		}
		var v string
		v, s = cutValue(strings.TrimLeft(rest[1:], " \t"))
		if len(out) > 0 {
			out[len(out)-1].Params[strings.ToLower(tok)] = v
		}
	}
}

func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func cutToken(s string) (string, string) {
	i := 0
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// cutValue reads a token or a quoted-string with backslash escapes.
func cutValue(s string) (string, string) {
	if !strings.HasPrefix(s, `"`) {
		return cutToken(s)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), "" // unterminated: take the rest
}

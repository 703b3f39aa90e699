package backfill

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// link is one entry of an HTTP Link header (RFC 8288): a URI reference and its relation types.
type link struct {
	target string
	rels   []string
}

// hasRel reports whether the link has relation type rel; relation types compare case-insensitively.
func (l link) hasRel(rel string) bool {
	for _, r := range l.rels {
		if strings.EqualFold(r, rel) {
			return true
		}
	}
	return false
}

// errNoNext is returned by nextLink when no Link header carries rel="next".
var errNoNext = errors.New(`no Link header with rel="next"`)

// nextLink returns the target of the rel="next" link among all Link headers of a response. Okta sends
// self and next as separate headers, but a proxy may fold them into one comma-separated value, so both
// shapes are read. A malformed header is skipped when another one supplies next, because one bad value
// must not stop polling; it is reported only when no next link is found.
func nextLink(h http.Header) (string, error) {
	var bad error
	for _, v := range h.Values("Link") {
		links, err := parseLinks(v)
		if err != nil {
			bad = err
		}
		for _, l := range links {
			if l.hasRel("next") {
				return l.target, nil
			}
		}
	}
	if bad != nil {
		return "", fmt.Errorf("%w: %w", errNoNext, bad)
	}
	return "", errNoNext
}

// parseLinks parses one Link header value: comma-separated `<uri>; param=value` entries where value is
// a token or a quoted string. It returns the links read before the first syntax error along with the
// error, so a caller can still use what was well-formed.
func parseLinks(v string) ([]link, error) {
	var links []link
	p := linkParser{s: v}
	for {
		p.skip(" \t,")
		if p.done() {
			return links, nil
		}
		l, err := p.link()
		if err != nil {
			return links, fmt.Errorf("Link header at byte %d: %w", p.i, err)
		}
		links = append(links, l)
	}
}

type linkParser struct {
	s string
	i int
}

func (p *linkParser) done() bool { return p.i >= len(p.s) }

func (p *linkParser) skip(chars string) {
	for p.i < len(p.s) && strings.IndexByte(chars, p.s[p.i]) >= 0 {
		p.i++
	}
}

// link reads `<uri>` and its parameters up to the next top-level comma or the end.
func (p *linkParser) link() (link, error) {
	if p.s[p.i] != '<' {
		return link{}, fmt.Errorf("want '<', got %q", p.s[p.i])
	}
	end := strings.IndexByte(p.s[p.i+1:], '>')
	if end < 0 {
		return link{}, errors.New("unterminated <uri>")
	}
	l := link{target: strings.TrimSpace(p.s[p.i+1 : p.i+1+end])}
	p.i += end + 2
	seenRel := false
	for {
		p.skip(" \t")
		if p.done() || p.s[p.i] == ',' {
			return l, nil
		}
		if p.s[p.i] != ';' {
			return link{}, fmt.Errorf("want ';' or ',', got %q", p.s[p.i])
		}
		p.i++
		p.skip(" \t")
		name := p.token()
		if name == "" {
			return link{}, errors.New("missing parameter name")
		}
		p.skip(" \t")
		var value string
		if !p.done() && p.s[p.i] == '=' {
			p.i++
			p.skip(" \t")
			var err error
			if value, err = p.value(); err != nil {
				return link{}, fmt.Errorf("parameter %q: %w", name, err)
			}
		}
		// Only the first rel counts (RFC 8288 §3.3); it may list several types separated by spaces.
		if strings.EqualFold(name, "rel") && !seenRel {
			l.rels, seenRel = strings.Fields(value), true
		}
	}
}

// token reads an RFC 9110 token.
func (p *linkParser) token() string {
	start := p.i
	for p.i < len(p.s) && httpguts.IsTokenRune(rune(p.s[p.i])) {
		p.i++
	}
	return p.s[start:p.i]
}

// value reads a quoted string with backslash escapes, or an unquoted value. RFC 8288 wants a token
// there, but servers write media types such as type=application/json unquoted, so an unquoted value
// runs to the next separator.
func (p *linkParser) value() (string, error) {
	if p.done() || p.s[p.i] != '"' {
		start := p.i
		for p.i < len(p.s) && strings.IndexByte(" \t;,", p.s[p.i]) < 0 {
			p.i++
		}
		return p.s[start:p.i], nil
	}
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if p.i >= len(p.s) {
				return "", errors.New("unterminated quoted string")
			}
			b.WriteByte(p.s[p.i])
			p.i++
		default:
			b.WriteByte(c)
		}
	}
	return "", errors.New("unterminated quoted string")
}

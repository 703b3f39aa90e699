package sqlite

import "strings"

// The store writes its statements with PostgreSQL's numbered parameters ($1, $2, …), which SQLite
// accepts as named ones. Binding a named parameter costs SQLite a walk of the statement's list of names
// (sqlite3_bind_parameter_name, which the driver calls for every argument), so a statement with n
// parameters binds in time n²: a 50-row INSERT of runs has 750, a 200-event ingest 1 800. Where the
// numbers are simply 1…n in order, each used once, plain "?" parameters mean the same and bind in a
// step each; the caching connection prepares that form instead.

// positional returns query with its parameters $1…$n written as "?", and true, when they occur in that
// order, each once, and the query has no other parameter. Otherwise it returns query unchanged and
// false. String literals, quoted identifiers and comments are skipped, so a "$1" inside them is text.
func positional(query string) (string, bool) {
	var b strings.Builder
	next := 1 // the number the next parameter must have
	last := 0 // the end of the text already copied to b
	for i := 0; i < len(query); {
		switch c := query[i]; {
		case c == '\'' || c == '"' || c == '`':
			i = skipQuoted(query, i, c)
		case c == '[':
			if j := strings.IndexByte(query[i:], ']'); j >= 0 {
				i += j + 1
			} else {
				i = len(query)
			}
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			if j := strings.IndexByte(query[i:], '\n'); j >= 0 {
				i += j + 1
			} else {
				i = len(query)
			}
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			if j := strings.Index(query[i+2:], "*/"); j >= 0 {
				i += j + 4
			} else {
				i = len(query)
			}
		case c == '?':
			return query, false
		case c == ':' || c == '@' || c == '#':
			if i+1 < len(query) && identByte(query[i+1]) {
				return query, false // a named parameter
			}
			i++
		case c == '$':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			if j == i+1 || (j < len(query) && identByte(query[j])) || query[i+1] == '0' {
				return query, false // $name, $1x or $01: not a plain numbered parameter
			}
			if !numberIs(query[i+1:j], next) {
				return query, false
			}
			b.WriteString(query[last:i])
			b.WriteByte('?')
			last, next, i = j, next+1, j
		default:
			i++
		}
	}
	if next == 1 {
		return query, false // no parameters: nothing to gain
	}
	b.WriteString(query[last:])
	return b.String(), true
}

// skipQuoted returns the index after the quoted text that starts at i with quote q; a doubled quote
// inside stands for itself. An unterminated quote runs to the end.
func skipQuoted(s string, i int, q byte) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// identByte reports whether c can continue an SQLite identifier (and so a parameter name).
func identByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

// numberIs reports whether the decimal digits s spell n, without parsing an arbitrarily long number.
func numberIs(s string, n int) bool {
	if len(s) > 9 {
		return false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v == n
}

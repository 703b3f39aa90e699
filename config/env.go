package config

import (
	"fmt"
	"strings"
)

// expandEnv replaces every ${NAME} in s with the variable's value and every ${NAME:-default} with the value,
// or default when the variable is unset or empty; "$${" is a literal "${". A "$" not followed by "{" is
// kept, so values such as "$event.reason" and prices pass through. It returns the values it substituted,
// so the caller can keep them out of error messages.
//
// Errors name the variable but never a value.
func expandEnv(s string, env func(string) (string, bool)) (out string, values []string, err error) {
	if !strings.Contains(s, "${") {
		return s, nil, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' {
			b.WriteByte(c)
			i++
			continue
		}
		if strings.HasPrefix(s[i:], "$${") {
			b.WriteString("${")
			i += 3
			continue
		}
		if !strings.HasPrefix(s[i:], "${") {
			b.WriteByte(c)
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", nil, fmt.Errorf("unclosed \"${\" at offset %d; write ${NAME}, or $${ for a literal \"${\"", i)
		}
		inner := s[i+2 : i+2+end]
		name, def, hasDef := strings.Cut(inner, ":-")
		if !validEnvName(name) {
			return "", nil, fmt.Errorf("${%s} at offset %d: %q is not a variable name (letters, digits and _, not starting with a digit)", clip(inner), i, clip(name))
		}
		v, ok := env(name)
		switch {
		case hasDef && (!ok || v == ""):
			v = def
		case !ok:
			return "", nil, fmt.Errorf("environment variable %s is not set; export it or write ${%s:-default}", name, name)
		default:
			values = append(values, v)
		}
		b.WriteString(v)
		i += 2 + end + 1
	}
	return b.String(), values, nil
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// clip keeps error messages short when a user pastes something long where a name belongs.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

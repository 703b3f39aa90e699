package openapi

import (
	"fmt"
	"slices"
	"strings"
)

// Server is one entry of a servers list.
type Server struct {
	URL         string // may contain {variable} placeholders
	Description string
	Variables   map[string]ServerVariable
}

// ServerVariable is a substitutable part of a server URL.
type ServerVariable struct {
	Default     string
	Enum        []string // allowed values; empty means any
	Description string
}

// Expand substitutes the URL's {variables}: a value from values when given,
// else the variable's default. A value outside a declared enum, or a
// placeholder with neither a value nor a declaration, is an error that names
// the variable.
func (s Server) Expand(values map[string]string) (string, error) {
	var b strings.Builder
	rest := s.URL
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return "", fmt.Errorf("server %q: unclosed '{'", s.URL)
		}
		name := rest[open+1 : open+end]
		b.WriteString(rest[:open])
		decl, declared := s.Variables[name]
		v, given := values[name]
		switch {
		case given:
			if declared && len(decl.Enum) > 0 && !slices.Contains(decl.Enum, v) {
				return "", fmt.Errorf("server %q: variable %q: value %q is not one of %q", s.URL, name, v, decl.Enum)
			}
		case declared:
			v = decl.Default
		default:
			return "", fmt.Errorf("server %q: variable %q has no value and no declared default", s.URL, name)
		}
		b.WriteString(v)
		rest = rest[open+end+1:]
	}
}

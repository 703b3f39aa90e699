package main

import (
	"encoding/json"
	"fmt"
	"strings"
)

// parsePairs turns repeated NAME=VALUE flags into a map; the error names the flag and the bad entry.
func parsePairs(flag string, entries []string) (map[string]string, error) {
	out := make(map[string]string, len(entries))
	for _, e := range entries {
		name, value, ok := strings.Cut(e, "=")
		if !ok || name == "" {
			return nil, usageErr("--%s %q: want NAME=VALUE", flag, e)
		}
		out[name] = value
	}
	return out, nil
}

// outputFormat checks an --output/--format value.
func outputFormat(flag, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return usageErr("--%s %q: want one of %s", flag, value, strings.Join(allowed, ", "))
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// textValue shows a value on one line: strings as they are, everything else as JSON.
func textValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

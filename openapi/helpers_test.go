package openapi

import (
	"encoding/json"
	"strings"
)

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func lower(s string) string { return strings.ToLower(s) }

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}

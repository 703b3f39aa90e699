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

// opPointer is the JSON Pointer of a listed operation: its path-item field,
// or its additionalOperations entry (OpenAPI 3.2) for the other methods.
func opPointer(r OperationRef) string {
	if operationField(lower(r.Method)) {
		return "/paths/" + escapePointer(r.Path) + "/" + lower(r.Method)
	}
	return "/paths/" + escapePointer(r.Path) + "/additionalOperations/" + escapePointer(r.Method)
}

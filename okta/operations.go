package okta

import (
	"slices"
	"strings"
	"sync"
)

//go:generate go run ./internal/genoperations -spec ../../shared/okta/openapi/management-current.yaml -out operations_table.go

// operation is one row of the generated table.
type operation struct{ path, method, scopes, statuses, discriminator string }

// Scopes returns the OAuth 2.0 scopes Okta requires of an access token for method on path, from Okta's
// management API description; nil when the description lists none (an unknown path, or one that takes
// only an API token). path is a request path (/api/v1/users/00u1/factors) or an OpenAPI path template
// (/api/v1/users/{userId}/factors); a literal segment matches itself or a parameter, and the most
// literal template wins (/api/v1/users/me before /api/v1/users/{id}).
func Scopes(method, path string) []string {
	if op := lookup(method, path); op != nil {
		return strings.Fields(op.scopes)
	}
	return nil
}

// Statuses returns the response statuses Okta's management API description documents for method on
// path ("200", "204", "default"…), matched as Scopes matches; nil for an operation it does not have.
func Statuses(method, path string) []string {
	if op := lookup(method, path); op != nil {
		return strings.Fields(op.statuses)
	}
	return nil
}

// BodyDiscriminator returns the property whose value the JSON request body of method on path must carry
// for Okta to pick the body's variant (a policy rule's "type"), from Okta's management API description;
// "" when it has none.
func BodyDiscriminator(method, path string) string {
	if op := lookup(method, path); op != nil {
		return op.discriminator
	}
	return ""
}

// Template returns Okta's path template for a request path (/api/v1/users/00u1 → /api/v1/users/{}),
// the endpoint Okta's rate limits count requests by, and whether the description has the operation.
func Template(method, path string) (string, bool) {
	if op := lookup(method, path); op != nil {
		return op.path, true
	}
	return "", false
}

// lookup finds the operation a request path or template names.
func lookup(method, path string) *operation {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	best, bestLiterals := -1, -1
	for _, c := range operationIndex()[indexKey{method, len(segs)}] {
		if n, ok := matchSegments(c.segs, segs); ok && n > bestLiterals {
			best, bestLiterals = c.row, n
		}
	}
	if best < 0 {
		return nil
	}
	return &operations[best]
}

// indexKey groups operations by method and number of path segments: a path can only match templates
// of its own length, so a lookup (one per request of the rate-limit budget) reads a few rows, already
// split, instead of splitting every template of the table.
type indexKey struct {
	method string
	n      int
}

type indexed struct {
	row  int
	segs []string
}

var operationIndex = sync.OnceValue(func() map[indexKey][]indexed {
	idx := map[indexKey][]indexed{}
	for i := range operations {
		segs := strings.Split(strings.Trim(operations[i].path, "/"), "/")
		k := indexKey{operations[i].method, len(segs)}
		idx[k] = append(idx[k], indexed{row: i, segs: segs})
	}
	return idx
})

// matchSegments matches path segments against a template's and counts its literal segments; "{}" in
// the template matches any segment, and a path may name a parameter by a template of its own ("{id}").
func matchSegments(template, segs []string) (literals int, ok bool) {
	for i, ts := range template {
		switch s := segs[i]; {
		case ts == "{}":
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			return 0, false
		case ts == s:
			literals++
		default:
			return 0, false
		}
	}
	return literals, true
}

// MissingScopes returns the scopes of required that granted does not cover, in order; nil when it
// covers them all. Okta lets a .manage scope stand for its .read scope (okta.users.manage covers
// okta.users.read).
func MissingScopes(granted, required []string) []string {
	var missing []string
	for _, r := range required {
		if slices.Contains(granted, r) {
			continue
		}
		if base, ok := strings.CutSuffix(r, ".read"); ok && slices.Contains(granted, base+".manage") {
			continue
		}
		missing = append(missing, r)
	}
	return missing
}

package openapi

import "fmt"

// OperationRef names one operation of a description: enough to list them all
// without decoding any.
type OperationRef struct {
	ID string // operationId; empty when the operation declares none
	// Method is upper case. It is the path-item field's name (GET, QUERY…) or,
	// in OpenAPI 3.2, an additionalOperations key upper-cased (COPY).
	Method string
	Path   string // path template as written under paths
}

// Operation is what the Arazzo runner needs to call one operation.
type Operation struct {
	ID     string
	Method string // upper case: GET, POST, QUERY, COPY… (see OperationRef.Method)
	Path   string // template, e.g. /api/v1/users/{userId}/factors
	// Parameters are the path-item parameters merged with the operation's own:
	// path-item parameters first, in declared order, then the operation's; an
	// operation parameter replaces a path-item one with the same name and in.
	// $refs are resolved.
	// At most one parameter is in querystring, and then none is in query
	// (OpenAPI 3.2); Operation refuses an operation that breaks this.
	Parameters []*Parameter
	// RequestBody is nil when the operation declares none; $ref resolved.
	RequestBody *RequestBody
	// Servers are the operation-level servers, else the path-level ones, else
	// nil: the caller then uses Document.Servers.
	Servers []Server
	// Security is the effective requirement list: the operation's when it
	// declares one (an empty, non-nil slice means "no security"), else the
	// document's; nil means neither declares any.
	Security []SecurityRequirement
	// Line is the 1-based line of the operation's key in the description, or 0
	// when the loader cannot tell (JSON descriptions).
	Line int
}

// Parameter is one resolved parameter. Style and Explode hold the effective
// values: when the description omits them they carry the OpenAPI defaults
// (simple for path and header, form for query and cookie; explode true only
// for form), so serializers and comparisons never see "unset".
type Parameter struct {
	Name string
	// In is path, query, header or cookie, or (OpenAPI 3.2) querystring: the
	// whole query string as one value, described by content, whose name is
	// not sent.
	In            string
	Required      bool
	Style         string
	Explode       bool
	AllowReserved bool
	// Schema is nil when the parameter uses content instead of schema.
	Schema *Schema
	// ContentType is the media type of the parameter's content (for a
	// querystring parameter, how the query string is encoded, e.g.
	// application/x-www-form-urlencoded). It is empty when the parameter uses
	// schema, or when content does not hold exactly one media type as the
	// specification requires.
	ContentType string
}

// Schema is the part of a JSON Schema that serialization and simple input
// checks need. $refs are resolved; deeper keywords are deliberately dropped to
// keep Operation cheap.
type Schema struct {
	// Type is the first non-"null" type; OpenAPI 3.1 allows a list.
	Type     string
	Format   string
	Nullable bool // 3.0 nullable: true, or "null" in a 3.1 type list
	Items    *Schema
}

// RequestBody lists the media types an operation accepts.
type RequestBody struct {
	Required     bool
	ContentTypes []string // in declared order
}

// SecurityRequirement maps a security scheme name to its required scopes.
type SecurityRequirement map[string][]string

// SecurityScheme is one entry of components.securitySchemes.
type SecurityScheme struct {
	Type         string // apiKey, http, oauth2, openIdConnect, mutualTLS
	Name         string // apiKey: header, query or cookie name
	In           string // apiKey: header, query or cookie
	Scheme       string // http: basic, bearer…
	BearerFormat string
	Description  string
	// TokenURL is an oauth2 scheme's clientCredentials flow tokenUrl as written (it may be relative to
	// the server URL); empty when the scheme has no such flow.
	TokenURL string
	// OpenIDConnectURL is an openIdConnect scheme's discovery URL.
	OpenIDConnectURL string
}

// defaultStyle returns the OpenAPI default style for a parameter location.
func defaultStyle(in string) string {
	switch in {
	case "query", "cookie":
		return "form"
	default:
		return "simple"
	}
}

// mergeParameters applies the OpenAPI override rule: an operation parameter
// replaces a path-item parameter with the same name and location.
func mergeParameters(pathLevel, opLevel []*Parameter) []*Parameter {
	if len(pathLevel) == 0 {
		return opLevel
	}
	out := make([]*Parameter, 0, len(pathLevel)+len(opLevel))
	for _, p := range pathLevel {
		overridden := false
		for _, o := range opLevel {
			if o.Name == p.Name && o.In == p.In {
				overridden = true
				break
			}
		}
		if !overridden {
			out = append(out, p)
		}
	}
	return append(out, opLevel...)
}

// checkQueryString enforces OpenAPI 3.2's rules for the querystring location
// on an operation's merged parameters: at most one parameter is in
// querystring, and none is then in query. Which of them would describe the
// query string cannot be told, so the operation is refused as a $ref that
// does not resolve is.
func checkQueryString(params []*Parameter) error {
	var qs, q *Parameter
	for _, p := range params {
		switch p.In {
		case "querystring":
			if qs != nil {
				return fmt.Errorf("parameters %q and %q are both in: querystring; OpenAPI 3.2 allows one querystring parameter per operation", qs.Name, p.Name)
			}
			qs = p
		case "query":
			if q == nil {
				q = p
			}
		}
	}
	if qs != nil && q != nil {
		return fmt.Errorf("querystring parameter %q and query parameter %q are both declared; OpenAPI 3.2 forbids in: query parameters in an operation that has an in: querystring one", qs.Name, q.Name)
	}
	return nil
}

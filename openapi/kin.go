package openapi

import (
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// kinLoad is the full load: everything parsed and every $ref resolved.
// Origins are recorded because they give document order and lines, which kin's
// maps lose.
func kinLoad(data []byte, location string, opts Options) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = opts.ExternalRefs
	loader.IncludeOrigin = true
	if opts.ExternalRefs {
		u, err := url.Parse(location)
		if err != nil {
			u = &url.URL{Path: location}
		}
		return loader.LoadFromDataWithPath(data, u)
	}
	return loader.LoadFromData(data)
}

func keyLine(o *openapi3.Origin) int {
	if o == nil || o.Key == nil {
		return 0
	}
	return o.Key.Line
}

// kinSite is one operation of a fully loaded description.
type kinSite struct {
	site
	op   *openapi3.Operation
	item *openapi3.PathItem
}

// kinSites lists the operations of a fully loaded description in document
// order, keeping the ones keepSites keeps. kin's PathItem.Operations is not
// used: it lists query and additionalOperations in every version, and
// additionalOperations keys as written.
func kinSites(doc *openapi3.T) []kinSite {
	if doc.Paths == nil {
		return nil
	}
	var all []kinSite
	for path, item := range doc.Paths.Map() {
		if item == nil {
			continue
		}
		add := func(op *openapi3.Operation, method string, loc ...string) {
			if op != nil {
				all = append(all, kinSite{site: site{ref: OperationRef{ID: op.OperationID, Method: strings.ToUpper(method), Path: path},
					loc: loc, line: keyLine(op.Origin)}, op: op, item: item})
			}
		}
		for _, m := range []string{"get", "put", "post", "delete", "options", "head", "patch", "trace", "query"} {
			add(item.GetOperation(strings.ToUpper(m)), m, m)
		}
		for m, op := range item.AdditionalOperations {
			add(op, m, "additionalOperations", m)
		}
	}
	// Lines give document order; kin records none for JSON, where the order is path and method.
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i].site, all[j].site
		if a.line != b.line {
			return a.line < b.line
		}
		if a.ref.Path != b.ref.Path {
			return a.ref.Path < b.ref.Path
		}
		if a.ref.Method != b.ref.Method {
			return a.ref.Method < b.ref.Method
		}
		return strings.Join(a.loc, "/") < strings.Join(b.loc, "/")
	})
	sites := make([]site, len(all))
	for i, k := range all {
		sites[i] = k.site
	}
	kept := keepSites(doc.OpenAPI, sites)
	out := all[:0]
	for _, k := range all {
		if len(kept) > 0 && kept[0].ref == k.ref && slices.Equal(kept[0].loc, k.loc) {
			out = append(out, k)
			kept = kept[1:]
		}
	}
	return out
}

// kinResponses returns the sorted response keys of an operation, for
// Document.ResponseCodes; ok is false when it declares no responses.
func kinResponses(op *openapi3.Operation) (codes []string, ok bool) {
	if op.Responses == nil {
		return nil, false
	}
	for code := range op.Responses.Map() {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	return codes, true
}

// kinResponseTypes is ResponseMediaTypes for an operation of a fully loaded description.
func kinResponseTypes(op *openapi3.Operation) (types []string, ok bool) {
	codes, ok := kinResponses(op)
	for _, code := range codes {
		if r := op.Responses.Value(code); r != nil && r.Value != nil {
			for _, ct := range kinContentTypes(r.Value.Content) {
				if !slices.Contains(types, ct) {
					types = append(types, ct)
				}
			}
		}
	}
	return types, ok
}

// kinOperation converts one operation.
func kinOperation(doc *openapi3.T, k kinSite) *Operation {
	op, item := k.op, k.item
	o := &Operation{
		ID:         op.OperationID,
		Method:     k.ref.Method,
		Path:       k.ref.Path,
		Parameters: mergeParameters(kinParameters(item.Parameters), kinParameters(op.Parameters)),
		Line:       k.line,
	}
	if rb := op.RequestBody; rb != nil && rb.Value != nil {
		o.RequestBody = &RequestBody{Required: rb.Value.Required, ContentTypes: kinContentTypes(rb.Value.Content)}
	}
	switch {
	case op.Servers != nil:
		o.Servers = kinServers(*op.Servers)
	case item.Servers != nil:
		o.Servers = kinServers(item.Servers)
	}
	switch {
	case op.Security != nil:
		o.Security = kinSecurity(*op.Security)
		if o.Security == nil {
			o.Security = []SecurityRequirement{}
		}
	case doc.Security != nil:
		o.Security = kinSecurity(doc.Security)
	}
	return o
}

func kinParameters(ps openapi3.Parameters) []*Parameter {
	out := make([]*Parameter, 0, len(ps))
	for _, ref := range ps {
		if ref == nil || ref.Value == nil {
			continue
		}
		v := ref.Value
		p := &Parameter{Name: v.Name, In: v.In, Required: v.Required, Style: v.Style, AllowReserved: v.AllowReserved}
		if p.Style == "" {
			p.Style = defaultStyle(p.In)
		}
		if v.Explode != nil {
			p.Explode = *v.Explode
		} else {
			p.Explode = p.Style == "form"
		}
		if v.Schema != nil {
			p.Schema = kinSchema(v.Schema, 0)
		}
		if len(v.Content) == 1 {
			for ct := range v.Content {
				p.ContentType = ct
			}
		}
		out = append(out, p)
	}
	return out
}

func kinSchema(ref *openapi3.SchemaRef, depth int) *Schema {
	if ref == nil || ref.Value == nil {
		return nil
	}
	v := ref.Value
	s := &Schema{Format: v.Format, Nullable: v.Nullable}
	if v.Type != nil {
		for _, t := range v.Type.Slice() {
			if t == "null" {
				s.Nullable = true
			} else if s.Type == "" {
				s.Type = t
			}
		}
	}
	if v.Items != nil && depth < maxSchemaDepth {
		s.Items = kinSchema(v.Items, depth+1)
	}
	return s
}

// kinContentTypes orders media types by where they appear in the description.
func kinContentTypes(c openapi3.Content) []string {
	if len(c) == 0 {
		return nil
	}
	types := make([]string, 0, len(c))
	for t := range c {
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool {
		li, lj := 0, 0
		if m := c[types[i]]; m != nil {
			li = keyLine(m.Origin)
		}
		if m := c[types[j]]; m != nil {
			lj = keyLine(m.Origin)
		}
		if li != lj {
			return li < lj
		}
		return types[i] < types[j]
	})
	return types
}

func kinServers(ss openapi3.Servers) []Server {
	if ss == nil {
		return nil
	}
	out := make([]Server, 0, len(ss))
	for _, s := range ss {
		if s == nil {
			continue
		}
		srv := Server{URL: s.URL, Description: s.Description}
		if s.Variables != nil {
			srv.Variables = make(map[string]ServerVariable, len(s.Variables))
			for k, v := range s.Variables {
				if v != nil {
					srv.Variables[k] = ServerVariable{Default: v.Default, Enum: v.Enum, Description: v.Description}
				}
			}
		}
		out = append(out, srv)
	}
	return out
}

func kinSecurity(reqs openapi3.SecurityRequirements) []SecurityRequirement {
	if reqs == nil {
		return nil
	}
	out := make([]SecurityRequirement, len(reqs))
	for i, r := range reqs {
		out[i] = SecurityRequirement(r)
	}
	return out
}

func kinSecuritySchemes(doc *openapi3.T) map[string]SecurityScheme {
	out := map[string]SecurityScheme{}
	if doc.Components == nil {
		return out
	}
	for name, ref := range doc.Components.SecuritySchemes {
		if ref == nil || ref.Value == nil {
			continue
		}
		v := ref.Value
		s := SecurityScheme{Type: v.Type, Name: v.Name, In: v.In, Scheme: v.Scheme,
			BearerFormat: v.BearerFormat, Description: v.Description, OpenIDConnectURL: v.OpenIdConnectUrl}
		if v.Flows != nil && v.Flows.ClientCredentials != nil {
			s.TokenURL = v.Flows.ClientCredentials.TokenURL
		}
		out[name] = s
	}
	return out
}

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

// kinResponses returns the response keys of every operation, by method and path ("GET /users"), for
// Document.ResponseCodes.
func kinResponses(doc *openapi3.T) map[string][]string {
	out := map[string][]string{}
	if doc.Paths == nil {
		return out
	}
	for path, item := range doc.Paths.Map() {
		if item == nil {
			continue
		}
		for method, op := range item.Operations() {
			if op == nil || op.Responses == nil {
				continue
			}
			var codes []string
			for code := range op.Responses.Map() {
				codes = append(codes, code)
			}
			sort.Strings(codes)
			out[strings.ToUpper(method)+" "+path] = codes
		}
	}
	return out
}

// kinResponseTypes is ResponseMediaTypes for every operation of a fully loaded description.
func kinResponseTypes(doc *openapi3.T) map[string][]string {
	out := map[string][]string{}
	if doc.Paths == nil {
		return out
	}
	for path, item := range doc.Paths.Map() {
		if item == nil {
			continue
		}
		for method, op := range item.Operations() {
			if op == nil || op.Responses == nil {
				continue
			}
			var types []string
			codes := make([]string, 0, op.Responses.Len())
			for code := range op.Responses.Map() {
				codes = append(codes, code)
			}
			sort.Strings(codes)
			for _, code := range codes {
				if r := op.Responses.Value(code); r != nil && r.Value != nil {
					for _, ct := range kinContentTypes(r.Value.Content) {
						if !slices.Contains(types, ct) {
							types = append(types, ct)
						}
					}
				}
			}
			out[strings.ToUpper(method)+" "+path] = types
		}
	}
	return out
}

// kinOperations converts every operation, sorted into document order.
func kinOperations(doc *openapi3.T) []*Operation {
	var ops []*Operation
	if doc.Paths == nil {
		return nil
	}
	for path, item := range doc.Paths.Map() {
		if item == nil {
			continue
		}
		pathParams := kinParameters(item.Parameters)
		for method, op := range item.Operations() {
			if op == nil || !httpMethods[strings.ToLower(method)] {
				continue
			}
			o := &Operation{
				ID:         op.OperationID,
				Method:     strings.ToUpper(method),
				Path:       path,
				Parameters: mergeParameters(pathParams, kinParameters(op.Parameters)),
				Line:       keyLine(op.Origin),
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
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Line != ops[j].Line {
			return ops[i].Line < ops[j].Line
		}
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	return ops
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

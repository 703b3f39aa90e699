package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// The raw* types mirror the few OpenAPI fields trama reads. They decode from
// both yaml.v3 nodes and JSON so the outline and the JSON loader share one
// builder.

type rawParameter struct {
	Ref           string     `yaml:"$ref" json:"$ref"`
	Name          string     `yaml:"name" json:"name"`
	In            string     `yaml:"in" json:"in"`
	Required      bool       `yaml:"required" json:"required"`
	Style         string     `yaml:"style" json:"style"`
	Explode       *bool      `yaml:"explode" json:"explode"`
	AllowReserved bool       `yaml:"allowReserved" json:"allowReserved"`
	Schema        *rawSchema `yaml:"schema" json:"schema"`
	Content       mediaTypes `yaml:"content" json:"content"`
}

type rawSchema struct {
	Ref      string     `yaml:"$ref" json:"$ref"`
	Type     typeList   `yaml:"type" json:"type"`
	Format   string     `yaml:"format" json:"format"`
	Nullable bool       `yaml:"nullable" json:"nullable"`
	Items    *rawSchema `yaml:"items" json:"items"`
}

type rawServer struct {
	URL         string                       `yaml:"url" json:"url"`
	Description string                       `yaml:"description" json:"description"`
	Variables   map[string]rawServerVariable `yaml:"variables" json:"variables"`
}

type rawServerVariable struct {
	Default     string   `yaml:"default" json:"default"`
	Enum        []string `yaml:"enum" json:"enum"`
	Description string   `yaml:"description" json:"description"`
}

type rawSecurityScheme struct {
	Ref          string `yaml:"$ref" json:"$ref"`
	Type         string `yaml:"type" json:"type"`
	Name         string `yaml:"name" json:"name"`
	In           string `yaml:"in" json:"in"`
	Scheme       string `yaml:"scheme" json:"scheme"`
	BearerFormat string `yaml:"bearerFormat" json:"bearerFormat"`
	Description  string `yaml:"description" json:"description"`
	Flows        struct {
		ClientCredentials struct {
			TokenURL string `yaml:"tokenUrl" json:"tokenUrl"`
		} `yaml:"clientCredentials" json:"clientCredentials"`
	} `yaml:"flows" json:"flows"`
	OpenIDConnectURL string `yaml:"openIdConnectUrl" json:"openIdConnectUrl"`
}

// typeList accepts both "type: string" (3.0) and "type: [string, null]" (3.1).
type typeList []string

func (t *typeList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*t = typeList{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*t = l
	return nil
}

func (t *typeList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = typeList{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*t = l
	return nil
}

// keyList keeps only the keys of a mapping, in document order (media types).
type keyList []string

func (k *keyList) UnmarshalYAML(n *yaml.Node) error {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: content is not a mapping", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		*k = append(*k, n.Content[i].Value)
	}
	return nil
}

func (k *keyList) UnmarshalJSON(b []byte) error {
	ms, err := splitObject(b)
	if err != nil {
		return fmt.Errorf("content: %w", err)
	}
	for _, m := range ms {
		*k = append(*k, m.key)
	}
	return nil
}

// mediaTypes keeps the keys of a parameter's content. Unlike keyList it
// accepts a content that is not a mapping as empty: a parameter's content was
// never read before OpenAPI 3.2's querystring, and an operation that loaded
// then must still load.
type mediaTypes []string

func (m *mediaTypes) UnmarshalYAML(n *yaml.Node) error {
	var k keyList
	if k.UnmarshalYAML(n) == nil {
		*m = mediaTypes(k)
	}
	return nil
}

func (m *mediaTypes) UnmarshalJSON(b []byte) error {
	var k keyList
	if k.UnmarshalJSON(b) == nil {
		*m = mediaTypes(k)
	}
	return nil
}

// maxRefHops bounds $ref chains so that a cycle is an error, not a hang.
const maxRefHops = 32

// deref follows v's $ref chain (refOf reads it) until a value without one.
func deref[T any](t tree, v *T, refOf func(*T) string) error {
	for hop := 0; refOf(v) != ""; hop++ {
		ref := refOf(v)
		if hop == maxRefHops {
			return fmt.Errorf("$ref %q: more than %d hops (a cycle?)", ref, maxRefHops)
		}
		tokens, err := refTokens(ref)
		if err != nil {
			return err
		}
		n, ok, err := t.lookup(tokens)
		if err != nil {
			return fmt.Errorf("$ref %q: %w", ref, err)
		}
		if !ok {
			return fmt.Errorf("$ref %q: no such value in the description", ref)
		}
		var next T
		if err := n.decode(&next); err != nil {
			return fmt.Errorf("$ref %q: %w", ref, err)
		}
		*v = next
	}
	return nil
}

// get decodes the value at tokens into v and reports whether it exists.
func get(t tree, v any, tokens ...string) (bool, error) {
	n, ok, err := t.lookup(tokens)
	if err != nil || !ok {
		return false, err
	}
	if err := n.decode(v); err != nil {
		return true, fmt.Errorf("%s: %w", strings.Join(tokens, "."), err)
	}
	return true, nil
}

// buildOperation assembles one Operation from a tree; loc is where it sits
// below its path item (site.loc).
func buildOperation(t tree, ref OperationRef, loc []string, line int) (*Operation, error) {
	op := &Operation{ID: ref.ID, Method: ref.Method, Path: ref.Path, Line: line}
	at := func(key string) []string {
		return append(append([]string{"paths", ref.Path}, loc...), key)
	}

	var pathParams, opParams []rawParameter
	if _, err := get(t, &pathParams, "paths", ref.Path, "parameters"); err != nil {
		return nil, err
	}
	if _, err := get(t, &opParams, at("parameters")...); err != nil {
		return nil, err
	}
	pp, err := buildParameters(t, pathParams)
	if err != nil {
		return nil, err
	}
	opp, err := buildParameters(t, opParams)
	if err != nil {
		return nil, err
	}
	op.Parameters = mergeParameters(pp, opp)
	if err := checkQueryString(op.Parameters); err != nil {
		return nil, err
	}

	rb, err := buildRequestBody(t, at("requestBody"))
	if err != nil {
		return nil, fmt.Errorf("requestBody: %w", err)
	}
	op.RequestBody = rb

	var servers []rawServer
	ok, err := get(t, &servers, at("servers")...)
	if err != nil {
		return nil, err
	}
	if !ok {
		if _, err := get(t, &servers, "paths", ref.Path, "servers"); err != nil {
			return nil, err
		}
	}
	op.Servers = convertServers(servers)

	var sec []SecurityRequirement
	ok, err = get(t, &sec, at("security")...)
	if err != nil {
		return nil, err
	}
	if !ok {
		if _, err := get(t, &sec, "security"); err != nil {
			return nil, err
		}
	} else if sec == nil {
		sec = []SecurityRequirement{}
	}
	op.Security = sec
	return op, nil
}

// buildRequestBody reads a request body key by key, following $refs, so that
// its schemas are never decoded.
func buildRequestBody(t tree, tokens []string) (*RequestBody, error) {
	if _, ok, err := t.lookup(tokens); err != nil || !ok {
		return nil, err
	}
	tokens, err := followRef(t, tokens)
	if err != nil {
		return nil, err
	}
	rb := &RequestBody{}
	if _, err := get(t, &rb.Required, append(tokens, "required")...); err != nil {
		return nil, err
	}
	types, _, err := t.keys(append(tokens, "content"))
	if err != nil {
		return nil, err
	}
	rb.ContentTypes = types
	return rb, nil
}

// followRef follows the $ref of the object at tokens, hop after hop, and returns where the object that
// is not a reference is.
func followRef(t tree, tokens []string) ([]string, error) {
	for hop := 0; ; hop++ {
		var ref string
		if _, err := get(t, &ref, append(tokens, "$ref")...); err != nil {
			return nil, err
		}
		if ref == "" {
			return tokens, nil
		}
		if hop == maxRefHops {
			return nil, fmt.Errorf("$ref %q: more than %d hops (a cycle?)", ref, maxRefHops)
		}
		next, err := refTokens(ref)
		if err != nil {
			return nil, err
		}
		if _, ok, err := t.lookup(next); err != nil || !ok {
			return nil, fmt.Errorf("$ref %q: %w", ref, errors.Join(err, errMissing))
		}
		tokens = next
	}
}

// errMissing is reported for a $ref whose target does not exist.
var errMissing = errors.New("no such value in the description")

func buildParameters(t tree, raws []rawParameter) ([]*Parameter, error) {
	out := make([]*Parameter, 0, len(raws))
	for i := range raws {
		rp := raws[i]
		if err := deref(t, &rp, func(p *rawParameter) string { return p.Ref }); err != nil {
			return nil, fmt.Errorf("parameter %d: %w", i, err)
		}
		p := &Parameter{Name: rp.Name, In: rp.In, Required: rp.Required, Style: rp.Style, AllowReserved: rp.AllowReserved}
		if len(rp.Content) == 1 {
			p.ContentType = rp.Content[0]
		}
		if p.Style == "" {
			p.Style = defaultStyle(p.In)
		}
		if rp.Explode != nil {
			p.Explode = *rp.Explode
		} else {
			p.Explode = p.Style == "form"
		}
		if rp.Schema != nil {
			s, err := buildSchema(t, rp.Schema, 0)
			if err != nil {
				return nil, fmt.Errorf("parameter %q schema: %w", rp.Name, err)
			}
			p.Schema = s
		}
		out = append(out, p)
	}
	return out, nil
}

// maxSchemaDepth bounds items nesting; a self-referencing array schema stops here.
const maxSchemaDepth = 8

// buildSchema converts an inline schema; a $ref is followed key by key.
func buildSchema(t tree, rs *rawSchema, depth int) (*Schema, error) {
	if rs.Ref != "" {
		tokens, err := refTokens(rs.Ref)
		if err != nil {
			return nil, err
		}
		return buildSchemaAt(t, tokens, depth)
	}
	s := newSchema(rs.Type, rs.Format, rs.Nullable)
	if rs.Items != nil && depth < maxSchemaDepth {
		it, err := buildSchema(t, rs.Items, depth+1)
		if err != nil {
			return nil, fmt.Errorf("items: %w", err)
		}
		s.Items = it
	}
	return s, nil
}

// buildSchemaAt reads only the schema keys trama uses, one at a time, so that
// the rest of a large component schema (and any YAML alias in it) is never
// decoded.
func buildSchemaAt(t tree, tokens []string, depth int) (*Schema, error) {
	for hop := 0; ; hop++ {
		if _, ok, err := t.lookup(tokens); err != nil || !ok {
			return nil, fmt.Errorf("$ref %q: %w", "#/"+strings.Join(tokens, "/"), errors.Join(err, errMissing))
		}
		var ref string
		if _, err := get(t, &ref, append(tokens, "$ref")...); err != nil {
			return nil, err
		}
		if ref == "" {
			break
		}
		if hop == maxRefHops {
			return nil, fmt.Errorf("$ref %q: more than %d hops (a cycle?)", ref, maxRefHops)
		}
		next, err := refTokens(ref)
		if err != nil {
			return nil, err
		}
		tokens = next
	}
	var (
		types    typeList
		format   string
		nullable bool
	)
	if _, err := get(t, &types, append(tokens, "type")...); err != nil {
		return nil, err
	}
	if _, err := get(t, &format, append(tokens, "format")...); err != nil {
		return nil, err
	}
	if _, err := get(t, &nullable, append(tokens, "nullable")...); err != nil {
		return nil, err
	}
	s := newSchema(types, format, nullable)
	if depth < maxSchemaDepth {
		items := append(tokens[:len(tokens):len(tokens)], "items")
		if _, ok, err := t.lookup(items); err != nil {
			return nil, err
		} else if ok {
			it, err := buildSchemaAt(t, items, depth+1)
			if err != nil {
				return nil, fmt.Errorf("items: %w", err)
			}
			s.Items = it
		}
	}
	return s, nil
}

func newSchema(types typeList, format string, nullable bool) *Schema {
	s := &Schema{Format: format, Nullable: nullable}
	for _, ty := range types {
		if ty == "null" {
			s.Nullable = true
		} else if s.Type == "" {
			s.Type = ty
		}
	}
	return s
}

func convertServers(raws []rawServer) []Server {
	if raws == nil {
		return nil
	}
	out := make([]Server, len(raws))
	for i, r := range raws {
		out[i] = Server{URL: r.URL, Description: r.Description}
		if r.Variables != nil {
			out[i].Variables = make(map[string]ServerVariable, len(r.Variables))
			for k, v := range r.Variables {
				out[i].Variables[k] = ServerVariable(v)
			}
		}
	}
	return out
}

// buildSecuritySchemes decodes components.securitySchemes from a tree.
func buildSecuritySchemes(t tree) (map[string]SecurityScheme, error) {
	var raws map[string]rawSecurityScheme
	if _, err := get(t, &raws, "components", "securitySchemes"); err != nil {
		return nil, err
	}
	out := make(map[string]SecurityScheme, len(raws))
	for name, r := range raws {
		if err := deref(t, &r, func(s *rawSecurityScheme) string { return s.Ref }); err != nil {
			continue // documented on Document.SecuritySchemes
		}
		out[name] = SecurityScheme{Type: r.Type, Name: r.Name, In: r.In, Scheme: r.Scheme,
			BearerFormat: r.BearerFormat, Description: r.Description,
			TokenURL: r.Flows.ClientCredentials.TokenURL, OpenIDConnectURL: r.OpenIDConnectURL}
	}
	return out, nil
}

package openapi

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Field is one member of an object parameter value. Serializers accept
// []Field where member order matters; a map[string]any is serialized with
// its keys sorted, so requests are reproducible.
type Field struct {
	Name  string
	Value any
}

type shapeKind uint8

const (
	shapeNull shapeKind = iota
	shapePrimitive
	shapeArray
	shapeObject
)

// shape is a parameter value flattened to strings: OpenAPI styles only
// describe primitives, arrays of primitives and objects of primitives.
type shape struct {
	kind   shapeKind
	prim   string
	items  []string
	fields []Field // Value holds the formatted string
}

func (p *Parameter) shape(value any) (shape, error) {
	switch v := value.(type) {
	case nil:
		return shape{kind: shapeNull}, nil
	case []any:
		items := make([]string, len(v))
		for i, it := range v {
			s, err := primitive(it)
			if err != nil {
				return shape{}, fmt.Errorf("parameter %q item %d: %w", p.Name, i, err)
			}
			items[i] = s
		}
		return shape{kind: shapeArray, items: items}, nil
	case []string:
		return shape{kind: shapeArray, items: v}, nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fields := make([]Field, len(keys))
		for i, k := range keys {
			fields[i] = Field{Name: k, Value: v[k]}
		}
		return p.shape(fields)
	case map[string]string:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fields := make([]Field, len(keys))
		for i, k := range keys {
			fields[i] = Field{Name: k, Value: v[k]}
		}
		return shape{kind: shapeObject, fields: fields}, nil
	case []Field:
		fields := make([]Field, len(v))
		for i, f := range v {
			s, err := primitive(f.Value)
			if err != nil {
				return shape{}, fmt.Errorf("parameter %q property %q: %w", p.Name, f.Name, err)
			}
			fields[i] = Field{Name: f.Name, Value: s}
		}
		return shape{kind: shapeObject, fields: fields}, nil
	}
	s, err := primitive(value)
	if err != nil {
		return shape{}, fmt.Errorf("parameter %q: %w", p.Name, err)
	}
	return shape{kind: shapePrimitive, prim: s}, nil
}

// primitive formats a scalar the way it appears in JSON, without quotes.
func primitive(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case json.Number:
		return x.String(), nil
	case int:
		return strconv.Itoa(x), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float32:
		return formatFloat(float64(x), 32)
	case float64:
		return formatFloat(x, 64)
	}
	return "", fmt.Errorf("cannot serialize a %T value: OpenAPI styles only cover primitives, arrays and objects of primitives", v)
}

func formatFloat(f float64, bits int) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("cannot serialize %v", f)
	}
	return strconv.FormatFloat(f, 'f', -1, bits), nil
}

// escape percent-encodes everything but RFC 3986 unreserved characters, and
// with allowReserved also the reserved ones that cannot change how a query
// string splits ('#', '&', '=' and '+' stay encoded so that a value never
// ends the query or starts a new pair).
func escape(s string, allowReserved bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (allowReserved && strings.IndexByte(":/?[]@!$'()*,;", c) >= 0) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// join escapes each part with esc and joins them with sep.
func join(parts []string, sep string, esc func(string) string) string {
	out := make([]string, len(parts))
	for i, s := range parts {
		out[i] = esc(s)
	}
	return strings.Join(out, sep)
}

// pairs renders object members as k<kv>v joined by sep, or k<sep>v<sep>… when kv is "".
func pairs(fields []Field, kv, sep string, esc func(string) string) string {
	out := make([]string, 0, 2*len(fields))
	for _, f := range fields {
		if kv == "" {
			out = append(out, esc(f.Name), esc(f.Value.(string)))
		} else {
			out = append(out, esc(f.Name)+kv+esc(f.Value.(string)))
		}
	}
	return strings.Join(out, sep)
}

// SerializePath renders value for the {name} placeholder of a path template,
// escaped, in the simple, label or matrix style (label and matrix include
// their leading '.' or ';').
func (p *Parameter) SerializePath(value any) (string, error) {
	sh, err := p.shape(value)
	if err != nil {
		return "", err
	}
	esc := func(s string) string { return escape(s, false) }
	name := esc(p.Name)
	switch p.style("simple") {
	case "simple":
		return simple(sh, esc, p.Explode), nil
	case "label":
		switch sh.kind {
		case shapeNull:
			return ".", nil
		case shapePrimitive:
			return "." + esc(sh.prim), nil
		case shapeArray:
			return "." + join(sh.items, ".", esc), nil
		default:
			if p.Explode {
				return "." + pairs(sh.fields, "=", ".", esc), nil
			}
			return "." + pairs(sh.fields, "", ".", esc), nil
		}
	case "matrix":
		switch sh.kind {
		case shapeNull:
			return ";" + name, nil
		case shapePrimitive:
			return ";" + name + "=" + esc(sh.prim), nil
		case shapeArray:
			if p.Explode {
				return ";" + name + "=" + join(sh.items, ";"+name+"=", esc), nil
			}
			return ";" + name + "=" + join(sh.items, ",", esc), nil
		default:
			if p.Explode {
				return ";" + pairs(sh.fields, "=", ";", esc), nil
			}
			return ";" + name + "=" + pairs(sh.fields, "", ",", esc), nil
		}
	}
	return "", p.badStyle("path")
}

func simple(sh shape, esc func(string) string, explode bool) string {
	switch sh.kind {
	case shapeNull:
		return ""
	case shapePrimitive:
		return esc(sh.prim)
	case shapeArray:
		return join(sh.items, ",", esc)
	}
	if explode {
		return pairs(sh.fields, "=", ",", esc)
	}
	return pairs(sh.fields, "", ",", esc)
}

// SerializeQuery renders "name=value" pairs joined by '&', escaped (honouring
// allowReserved), in the form, spaceDelimited, pipeDelimited or deepObject
// style. An exploded empty array yields "" (no pairs).
func (p *Parameter) SerializeQuery(value any) (string, error) {
	sh, err := p.shape(value)
	if err != nil {
		return "", err
	}
	esc := func(s string) string { return escape(s, p.AllowReserved) }
	name := escape(p.Name, false)
	style := p.style("form")
	switch style {
	case "form", "spaceDelimited", "pipeDelimited":
		sep := ","
		if style == "spaceDelimited" {
			sep = "%20"
		} else if style == "pipeDelimited" {
			sep = "|"
		}
		switch sh.kind {
		case shapeNull:
			return name + "=", nil
		case shapePrimitive:
			return name + "=" + esc(sh.prim), nil
		case shapeArray:
			if p.Explode {
				if len(sh.items) == 0 {
					return "", nil
				}
				return name + "=" + join(sh.items, "&"+name+"=", esc), nil
			}
			return name + "=" + join(sh.items, sep, esc), nil
		default:
			if p.Explode {
				return pairs(sh.fields, "=", "&", esc), nil
			}
			return name + "=" + pairs(sh.fields, "", sep, esc), nil
		}
	case "deepObject":
		if sh.kind != shapeObject {
			return "", fmt.Errorf("parameter %q: deepObject style needs an object value", p.Name)
		}
		out := make([]string, len(sh.fields))
		for i, f := range sh.fields {
			out[i] = name + "[" + escape(f.Name, false) + "]=" + esc(f.Value.(string))
		}
		return strings.Join(out, "&"), nil
	}
	return "", p.badStyle("query")
}

// SerializeHeader renders a header value in the simple style. Values are not
// percent-encoded; CR, LF and NUL are rejected because they would split or
// truncate the header.
func (p *Parameter) SerializeHeader(value any) (string, error) {
	if p.style("simple") != "simple" {
		return "", p.badStyle("header")
	}
	sh, err := p.shape(value)
	if err != nil {
		return "", err
	}
	out := simple(sh, func(s string) string { return s }, p.Explode)
	if strings.ContainsAny(out, "\r\n\x00") {
		return "", fmt.Errorf("parameter %q: header value contains a line break or NUL", p.Name)
	}
	return out, nil
}

// SerializeCookie renders "name=value" in the form style, values
// percent-encoded. Exploded arrays and objects become several cookies joined
// by "; ", the separator of a Cookie header.
func (p *Parameter) SerializeCookie(value any) (string, error) {
	if p.style("form") != "form" {
		return "", p.badStyle("cookie")
	}
	sh, err := p.shape(value)
	if err != nil {
		return "", err
	}
	esc := func(s string) string { return escape(s, false) }
	name := esc(p.Name)
	switch sh.kind {
	case shapeNull:
		return name + "=", nil
	case shapePrimitive:
		return name + "=" + esc(sh.prim), nil
	case shapeArray:
		if p.Explode {
			return name + "=" + join(sh.items, "; "+name+"=", esc), nil
		}
		return name + "=" + join(sh.items, ",", esc), nil
	}
	if p.Explode {
		return pairs(sh.fields, "=", "; ", esc), nil
	}
	return name + "=" + pairs(sh.fields, "", ",", esc), nil
}

func (p *Parameter) style(def string) string {
	if p.Style == "" {
		return def
	}
	return p.Style
}

func (p *Parameter) badStyle(where string) error {
	return fmt.Errorf("parameter %q: style %q does not apply to a %s parameter", p.Name, p.Style, where)
}

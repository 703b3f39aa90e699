package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/trama-dev/trama/arazzo/expr"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
)

// encodeBody turns an evaluated payload into the bytes of a request body for contentType.
//
//   - JSON media types (application/json, anything+json): a string payload is sent as written (it is
//     already JSON text); any other value is marshalled.
//   - application/x-www-form-urlencoded: an object becomes name=value pairs (arrays repeat the name,
//     objects are sent as JSON text); a string is sent as written.
//   - multipart/form-data: an object becomes one part per field, in name order (arrays repeat the field;
//     objects are JSON parts with Content-Type application/json); the returned content type carries the
//     boundary.
//   - anything else: a string or []byte is sent as is; other values are marshalled as JSON.
func encodeBody(contentType string, payload any) (body []byte, finalType string, err error) {
	mediaType, _, perr := mime.ParseMediaType(contentType)
	if perr != nil {
		mediaType = strings.ToLower(strings.TrimSpace(contentType))
	}
	switch {
	case isJSONMediaType(mediaType) || mediaType == "":
		if s, ok := payload.(string); ok {
			return []byte(s), nonEmpty(contentType, "application/json"), nil
		}
		b, err := marshalJSON(payload)
		return b, nonEmpty(contentType, "application/json"), err
	case mediaType == "application/x-www-form-urlencoded":
		if s, ok := payload.(string); ok {
			return []byte(s), contentType, nil
		}
		obj, ok := payload.(map[string]any)
		if !ok {
			return nil, "", fmt.Errorf("a %s payload must be an object or a string, not %s", mediaType, typeName(payload))
		}
		form := url.Values{}
		for _, k := range sortedKeys(obj) {
			vals, err := formValues(obj[k])
			if err != nil {
				return nil, "", fmt.Errorf("form field %q: %w", k, err)
			}
			form[k] = vals
		}
		return []byte(form.Encode()), contentType, nil
	case mediaType == "multipart/form-data":
		obj, ok := payload.(map[string]any)
		if !ok {
			return nil, "", fmt.Errorf("a multipart/form-data payload must be an object, not %s", typeName(payload))
		}
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for _, k := range sortedKeys(obj) {
			if err := writeParts(w, k, obj[k]); err != nil {
				return nil, "", fmt.Errorf("multipart field %q: %w", k, err)
			}
		}
		if err := w.Close(); err != nil {
			return nil, "", err
		}
		return buf.Bytes(), w.FormDataContentType(), nil
	default:
		switch x := payload.(type) {
		case string:
			return []byte(x), contentType, nil
		case []byte:
			return x, contentType, nil
		}
		b, err := marshalJSON(payload)
		return b, contentType, err
	}
}

func isJSONMediaType(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json"
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// marshalJSON encodes without HTML escaping: request bodies are not HTML.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode JSON body: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func formValues(v any) ([]string, error) {
	switch x := v.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, err := scalarText(e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	default:
		s, err := scalarText(v)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
}

func writeParts(w *multipart.Writer, name string, v any) error {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if err := writeParts(w, name, e); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		b, err := marshalJSON(x)
		if err != nil {
			return err
		}
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{mime.FormatMediaType("form-data", map[string]string{"name": name})}
		h["Content-Type"] = []string{"application/json"}
		pw, err := w.CreatePart(h)
		if err != nil {
			return err
		}
		_, err = pw.Write(b)
		return err
	default:
		s, err := scalarText(v)
		if err != nil {
			return err
		}
		return w.WriteField(name, s)
	}
}

// scalarText is the text form of a value inside a string, as the Arazzo spec substitutes expressions
// into strings (expr.Stringify: scalars as written, objects and arrays as JSON), except that a missing or
// null value is empty text rather than "null", which is what a form field or a query value should carry.
func scalarText(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	return expr.Stringify(v)
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

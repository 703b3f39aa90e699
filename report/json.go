package report

import (
	"bytes"
	"encoding/json"
	"io"
)

// MaxIndentDepth is how deep WriteJSON indents; deeper values are written compactly on one line.
// Indenting every level makes output grow with the square of the nesting (a 6 KB event nested 3 000
// deep indents to 36 MB), and events and API responses come from outside.
const MaxIndentDepth = 16

// WriteJSON writes v as JSON indented by two spaces up to MaxIndentDepth levels, followed by a newline:
// the output of `--output json` and of trama's HTTP API, which stays linear in the size of v however
// deeply it nests.
func WriteJSON(w io.Writer, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	out.Grow(len(raw) + len(raw)/2)
	indent(&out, raw, MaxIndentDepth)
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// indent copies compact JSON src to dst, breaking lines and indenting inside the first max levels.
func indent(dst *bytes.Buffer, src []byte, max int) {
	depth := 0
	inString := false
	newline := func(d int) {
		dst.WriteByte('\n')
		for range d {
			dst.WriteString("  ")
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inString {
			dst.WriteByte(c)
			switch c {
			case '\\':
				i++
				if i < len(src) {
					dst.WriteByte(src[i])
				}
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			dst.WriteByte(c)
		case '{', '[':
			dst.WriteByte(c)
			depth++
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				continue // an empty object or array stays {} or []
			}
			if depth <= max {
				newline(depth)
			}
		case '}', ']':
			if src[i-1] != '{' && src[i-1] != '[' && depth <= max {
				newline(depth - 1)
			}
			depth--
			dst.WriteByte(c)
		case ',':
			dst.WriteByte(c)
			if depth <= max {
				newline(depth)
			}
		case ':':
			dst.WriteByte(c)
			if depth <= max {
				dst.WriteByte(' ')
			}
		default:
			dst.WriteByte(c)
		}
	}
}

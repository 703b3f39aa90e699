package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestWriteJSONIndentsLikeEncoding(t *testing.T) {
	v := map[string]any{"a": []any{1, "x,{y}", map[string]any{}}, "b": map[string]any{"c": []any{}, "d": `q"uote\`}}
	var got bytes.Buffer
	if err := WriteJSON(&got, v); err != nil {
		t.Fatal(err)
	}
	want, _ := json.MarshalIndent(v, "", "  ")
	if got.String() != string(want)+"\n" {
		t.Errorf("WriteJSON =\n%s\nwant\n%s", got.String(), want)
	}
}

// TestWriteJSONIsLinear: a value nested thousands deep is written in about its own size.
func TestWriteJSONIsLinear(t *testing.T) {
	deep := json.RawMessage(strings.Repeat(`{"a":`, 3000) + "1" + strings.Repeat("}", 3000))
	var out bytes.Buffer
	if err := WriteJSON(&out, map[string]any{"payload": deep}); err != nil {
		t.Fatal(err)
	}
	if out.Len() > 2*len(deep)+1000 {
		t.Errorf("a %d-byte value nested 3000 deep renders as %d bytes", len(deep), out.Len())
	}
	if !json.Valid(out.Bytes()) {
		t.Error("output is not JSON")
	}
}

// FuzzWriteJSON: for any JSON value, the output is valid JSON equal to the input and linear in its size.
func FuzzWriteJSON(f *testing.F) {
	f.Add(`{"a":[1,2,{"b":"c\"d"}],"e":{}}`)
	f.Add(`[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]`)
	f.Add(`"\u003c\\"`)
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return
		}
		var out bytes.Buffer
		if err := WriteJSON(&out, json.RawMessage(s)); err != nil {
			return // json.Marshal refuses what it cannot re-encode
		}
		decode := func(b []byte) (any, error) {
			d := json.NewDecoder(bytes.NewReader(b))
			d.UseNumber()
			var v any
			return v, d.Decode(&v)
		}
		a, err := decode([]byte(s))
		if err != nil {
			return
		}
		b, err := decode(out.Bytes())
		if err != nil {
			t.Fatalf("output %q of %q is not JSON: %v", out.String(), s, err)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Fatalf("WriteJSON changed %q into %q", s, out.String())
		}
		if out.Len() > 2*(len(s)+1)*MaxIndentDepth+64 {
			t.Fatalf("%d bytes in, %d out", len(s), out.Len())
		}
	})
}

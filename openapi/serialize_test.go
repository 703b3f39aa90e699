package openapi

import (
	"encoding/json"
	"strings"
	"testing"
)

// The values of the style examples in the OpenAPI 3.0.3 specification
// ("Style Examples" under the Parameter Object).
var (
	specString = "blue"
	specArray  = []any{"blue", "black", "brown"}
	specObject = []Field{{"R", 100}, {"G", 200}, {"B", 150}}
)

// TestSerializeSpecExamples is the OpenAPI 3.0.3 style/explode table for the
// parameter "color". The spec's spaceDelimited and pipeDelimited rows show
// only the value; trama emits the whole "color=…" pair, as a query needs.
func TestSerializeSpecExamples(t *testing.T) {
	type row struct {
		in, style   string
		explode     bool
		empty       string // value nil; "-" means not applicable
		str, arr, o string
	}
	rows := []row{
		{"path", "matrix", false, ";color", ";color=blue", ";color=blue,black,brown", ";color=R,100,G,200,B,150"},
		{"path", "matrix", true, ";color", ";color=blue", ";color=blue;color=black;color=brown", ";R=100;G=200;B=150"},
		{"path", "label", false, ".", ".blue", ".blue.black.brown", ".R.100.G.200.B.150"},
		{"path", "label", true, ".", ".blue", ".blue.black.brown", ".R=100.G=200.B=150"},
		{"query", "form", false, "color=", "color=blue", "color=blue,black,brown", "color=R,100,G,200,B,150"},
		{"query", "form", true, "color=", "color=blue", "color=blue&color=black&color=brown", "R=100&G=200&B=150"},
		{"path", "simple", false, "", "blue", "blue,black,brown", "R,100,G,200,B,150"},
		{"path", "simple", true, "", "blue", "blue,black,brown", "R=100,G=200,B=150"},
		{"header", "simple", false, "", "blue", "blue,black,brown", "R,100,G,200,B,150"},
		{"header", "simple", true, "", "blue", "blue,black,brown", "R=100,G=200,B=150"},
		{"query", "spaceDelimited", false, "-", "-", "color=blue%20black%20brown", "color=R%20100%20G%20200%20B%20150"},
		{"query", "pipeDelimited", false, "-", "-", "color=blue|black|brown", "color=R|100|G|200|B|150"},
		{"query", "deepObject", true, "-", "-", "-", "color[R]=100&color[G]=200&color[B]=150"},
		{"cookie", "form", false, "color=", "color=blue", "color=blue,black,brown", "color=R,100,G,200,B,150"},
	}
	for _, r := range rows {
		p := &Parameter{Name: "color", In: r.in, Style: r.style, Explode: r.explode}
		for _, c := range []struct {
			what  string
			value any
			want  string
		}{
			{"empty", nil, r.empty},
			{"string", specString, r.str},
			{"array", specArray, r.arr},
			{"object", specObject, r.o},
		} {
			if c.want == "-" {
				continue
			}
			got, err := serialize(p, c.value)
			if err != nil {
				t.Errorf("%s %s explode=%v %s: %v", r.in, r.style, r.explode, c.what, err)
				continue
			}
			if got != c.want {
				t.Errorf("%s %s explode=%v %s = %q, want %q", r.in, r.style, r.explode, c.what, got, c.want)
			}
		}
	}
}

func serialize(p *Parameter, v any) (string, error) {
	switch p.In {
	case "path":
		return p.SerializePath(v)
	case "query":
		return p.SerializeQuery(v)
	case "header":
		return p.SerializeHeader(v)
	}
	return p.SerializeCookie(v)
}

func TestSerializeEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     Parameter
		value any
		want  string
		err   string
	}{
		{"path escapes reserved characters", Parameter{Name: "id", In: "path", Style: "simple"}, "a/b c?#", "a%2Fb%20c%3F%23", ""},
		{"path array items escaped, commas kept", Parameter{Name: "id", In: "path", Style: "simple"}, []any{"a,b", "c"}, "a%2Cb,c", ""},
		{"query escapes by default", Parameter{Name: "q", In: "query", Style: "form", Explode: true}, "a/b&c=d", "q=a%2Fb%26c%3Dd", ""},
		{"query allowReserved keeps delimiters safe", Parameter{Name: "q", In: "query", Style: "form", Explode: true, AllowReserved: true}, "a/b:c&d=e#f", "q=a/b:c%26d%3De%23f", ""},
		{"query name escaped", Parameter{Name: "filter by", In: "query", Style: "form", Explode: true}, "x", "filter%20by=x", ""},
		{"exploded empty array adds nothing", Parameter{Name: "tag", In: "query", Style: "form", Explode: true}, []any{}, "", ""},
		{"numbers and booleans", Parameter{Name: "n", In: "query", Style: "form", Explode: false}, []any{json.Number("1.50"), 2, 2.5, true, int64(-3)}, "n=1.50,2,2.5,true,-3", ""},
		{"map keys sorted", Parameter{Name: "o", In: "query", Style: "deepObject", Explode: true}, map[string]any{"b": "2", "a": "1"}, "o[a]=1&o[b]=2", ""},
		{"cookie exploded array", Parameter{Name: "c", In: "cookie", Style: "form", Explode: true}, []any{"x", "y z"}, "c=x; c=y%20z", ""},
		{"header keeps text", Parameter{Name: "X-Token", In: "header", Style: "simple"}, "SSWS a/b c", "SSWS a/b c", ""},
		{"header rejects line breaks", Parameter{Name: "X-Token", In: "header", Style: "simple"}, "a\r\nInjected: 1", "", "line break"},
		{"nested value", Parameter{Name: "o", In: "query", Style: "form"}, []any{[]any{"x"}}, "", `parameter "o" item 0`},
		{"deepObject needs object", Parameter{Name: "o", In: "query", Style: "deepObject"}, "x", "", "deepObject"},
		{"wrong style for path", Parameter{Name: "id", In: "path", Style: "form"}, "x", "", `style "form"`},
		{"wrong style for header", Parameter{Name: "h", In: "header", Style: "form"}, "x", "", `style "form"`},
		{"NaN", Parameter{Name: "n", In: "query", Style: "form"}, nanValue(), "", "NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := serialize(&tc.p, tc.value)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

// TestSerializeLoadedDefaults checks that parameters read from a description
// carry the OpenAPI defaults (query: form, explode) into serialization.
func TestSerializeLoadedDefaults(t *testing.T) {
	doc := head + `paths:
  /s/{id}:
    get:
      operationId: s
      parameters:
        - {name: id, in: path, required: true}
        - {name: tag, in: query}
        - {name: X-Trace, in: header}
        - {name: session, in: cookie}
`
	d, err := Load([]byte(doc), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	op, err := d.Operation("s")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a,b", "tag=a&tag=b", "a,b", "session=a; session=b"}
	for i, p := range op.Parameters {
		got, err := serialize(p, []any{"a", "b"})
		if err != nil || got != want[i] {
			t.Errorf("%s (%s, explode=%v) = %q, %v; want %q", p.Name, p.Style, p.Explode, got, err, want[i])
		}
	}
}

package jsonpointer

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// rfcDoc is the example document of RFC 6901 section 5.
const rfcDoc = `{"foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5, "k\"l": 6, " ": 7, "m~n": 8}`

func decode(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestGetRFC6901(t *testing.T) {
	doc := decode(t, rfcDoc)
	tests := []struct {
		ptr  string
		want any
	}{
		{"", doc},
		{"/foo", []any{"bar", "baz"}},
		{"/foo/0", "bar"},
		{"/", json.Number("0")},
		{"/a~1b", json.Number("1")},
		{"/c%d", json.Number("2")},
		{"/e^f", json.Number("3")},
		{"/g|h", json.Number("4")},
		{"/i\\j", json.Number("5")},
		{"/k\"l", json.Number("6")},
		{"/ ", json.Number("7")},
		{"/m~0n", json.Number("8")},
	}
	for _, tt := range tests {
		got, found, err := Get(doc, tt.ptr)
		if err != nil || !found || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Get(%q) = %v, %v, %v; want %v", tt.ptr, got, found, err, tt.want)
		}
	}
}

func TestGetMissingAndErrors(t *testing.T) {
	doc := map[string]any{
		"arr":  []any{"x", map[string]any{"id": 1}},
		"s":    "text",
		"null": nil,
		"yaml": map[any]any{"k": []any{true}},
		"~01":  "escaped order",
	}
	found := []struct {
		ptr  string
		want any
	}{
		{"/arr/1/id", 1},
		{"/null", nil},
		{"/yaml/k/0", true},
		{"/~001", "escaped order"},
	}
	for _, tt := range found {
		got, ok, err := Get(doc, tt.ptr)
		if err != nil || !ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Get(%q) = %v, %v, %v; want %v", tt.ptr, got, ok, err, tt.want)
		}
	}
	for _, ptr := range []string{"/nope", "/arr/2", "/arr/-", "/s/0", "/null/x", "/arr/1/id/x", "/arr/99999999999999999999"} {
		if v, ok, err := Get(doc, ptr); ok || err != nil || v != nil {
			t.Errorf("Get(%q) = %v, %v, %v; want not found", ptr, v, ok, err)
		}
	}
	errs := []struct{ ptr, token, msg string }{
		{"arr", "", `start with "/"`},
		{"/arr/01", "01", "leading zeros"},
		{"/arr/x", "x", "array index"},
		{"/arr/-1", "-1", "array index"},
		{"/arr/", "", "array index"},
		{"/a~2", "a~2", `"~"`},
		{"/a~", "a~", `"~"`},
	}
	for _, tt := range errs {
		_, _, err := Get(doc, tt.ptr)
		var pe *Error
		if !errors.As(err, &pe) || pe.Pointer != tt.ptr || pe.Token != tt.token || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Get(%q) error = %v, want token %q and %q", tt.ptr, err, tt.token, tt.msg)
		}
	}
}

func TestSet(t *testing.T) {
	base := `{"user": {"name": "a", "tags": ["x", "y"]}, "list": [], "n": null}`
	tests := []struct {
		ptr  string
		v    any
		want string
	}{
		{"", "whole", `"whole"`},
		{"/user/name", "b", `{"user": {"name": "b", "tags": ["x", "y"]}, "list": [], "n": null}`},
		{"/user/email", "e@x", `{"user": {"name": "a", "email": "e@x", "tags": ["x", "y"]}, "list": [], "n": null}`},
		{"/user/tags/0", "z", `{"user": {"name": "a", "tags": ["z", "y"]}, "list": [], "n": null}`},
		{"/user/tags/-", "z", `{"user": {"name": "a", "tags": ["x", "y", "z"]}, "list": [], "n": null}`},
		{"/user/tags/2", "z", `{"user": {"name": "a", "tags": ["x", "y", "z"]}, "list": [], "n": null}`},
		{"/list/-", map[string]any{"k": "v"}, `{"user": {"name": "a", "tags": ["x", "y"]}, "list": [{"k": "v"}], "n": null}`},
		{"/n", 1, `{"user": {"name": "a", "tags": ["x", "y"]}, "list": [], "n": 1}`},
		{"/a~1b", 1, `{"user": {"name": "a", "tags": ["x", "y"]}, "list": [], "n": null, "a/b": 1}`},
	}
	for _, tt := range tests {
		doc := decode(t, base)
		got, err := Set(doc, tt.ptr, tt.v)
		if err != nil {
			t.Errorf("Set(%q): %v", tt.ptr, err)
			continue
		}
		want := decode(t, tt.want)
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) {
			t.Errorf("Set(%q) = %s, want %s", tt.ptr, gj, wj)
		}
		if !reflect.DeepEqual(doc, decode(t, base)) {
			t.Errorf("Set(%q) modified its input", tt.ptr)
		}
	}
	yaml := map[any]any{"a": map[any]any{"b": 1}}
	got, err := Set(yaml, "/a/b", 2)
	if err != nil || got.(map[any]any)["a"].(map[any]any)["b"] != 2 || yaml["a"].(map[any]any)["b"] != 1 {
		t.Errorf("Set on map[any]any = %v, %v", got, err)
	}
	errs := []struct{ ptr, token, msg string }{
		{"user", "", `start with "/"`},
		{"/missing/x", "missing", "does not exist"},
		{"/user/tags/3", "3", "out of range"},
		{"/user/tags/01", "01", "leading zeros"},
		{"/user/tags/-/x", "-", "past the end"},
		{"/user/name/x", "x", "parent is a string"},
		{"/n/x", "x", "parent is null"},
		{"/a~", "", `"~"`},
	}
	for _, tt := range errs {
		_, err := Set(decode(t, base), tt.ptr, 1)
		var pe *Error
		if !errors.As(err, &pe) || pe.Pointer != tt.ptr || pe.Token != tt.token || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Set(%q) error = %v, want token %q and %q", tt.ptr, err, tt.token, tt.msg)
		}
	}
}

func TestTokensAndEscape(t *testing.T) {
	toks, err := Tokens("/a~1b/~0/~01/")
	if err != nil || !reflect.DeepEqual(toks, []string{"a/b", "~", "~1", ""}) {
		t.Errorf("Tokens = %q, %v", toks, err)
	}
	for _, s := range []string{"a/b", "~", "~1", "plain", ""} {
		toks, err := Tokens("/" + Escape(s))
		if err != nil || len(toks) != 1 || toks[0] != s {
			t.Errorf("Escape(%q) does not round-trip: %q, %v", s, toks, err)
		}
	}
}

func FuzzGetSet(f *testing.F) {
	for _, s := range []string{"", "/", "/foo/0", "/a~1b", "/m~0n", "/foo/-", "/foo/01", "/~", "x", "/foo/2/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ptr string) {
		doc := decode(t, rfcDoc)
		v, found, err := Get(doc, ptr)
		if err != nil && found {
			t.Fatalf("Get(%q) found with error", ptr)
		}
		out, err := Set(doc, ptr, "new")
		if err != nil {
			return
		}
		got, ok, err := Get(out, ptr)
		if tok, _ := Tokens(ptr); len(tok) > 0 && tok[len(tok)-1] == "-" {
			return
		}
		if err != nil || !ok || got != "new" {
			t.Fatalf("Set(%q) then Get = %v, %v, %v (before: %v)", ptr, got, ok, err, v)
		}
	})
}

func BenchmarkGet(b *testing.B) {
	doc := decode(b, `{"data": {"items": [{"id": "a"}, {"id": "b"}], "status": "ACTIVE"}}`)
	for b.Loop() {
		if _, ok, _ := Get(doc, "/data/items/1/id"); !ok {
			b.Fatal("not found")
		}
	}
}

package console

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestDecodeInput(t *testing.T) {
	for _, tt := range []struct {
		typ, raw string
		want     any
		err      string
	}{
		{"string", "123456", "123456", ""},
		{"", " spaced ", " spaced ", ""},
		{"", "", nil, "type the value"},
		{"integer", " 42 ", json.Number("42"), ""},
		{"integer", "4.2", nil, "digits only"},
		{"number", "4.25", json.Number("4.25"), ""},
		{"number", "NaN", nil, "a number"},
		{"boolean", "Yes", true, ""},
		{"boolean", "maybe", nil, "true or false"},
		{"object", `{"a":1}`, map[string]any{"a": float64(1)}, ""},
		{"object", `[1]`, nil, "JSON object"},
		{"array", `{}`, nil, "JSON list"},
		{"array", `not json`, nil, "not JSON"},
		{"string", strings.Repeat("x", maxInput+1), nil, "bytes; at most"},
		{"string", "\xff", nil, "not valid text"},
	} {
		got, err := decodeInput(tt.typ, tt.raw)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("decodeInput(%q, %.20q) error %v, want %q", tt.typ, tt.raw, err, tt.err)
			}
			continue
		}
		if err != nil || !equalJSON(got, tt.want) {
			t.Errorf("decodeInput(%q, %q) = %#v, %v; want %#v", tt.typ, tt.raw, got, err, tt.want)
		}
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestDecodeResolve(t *testing.T) {
	f, err := decodeResolve(url.Values{"action": {"skip"}, "reason": {"  checked in the admin console  "}})
	if err != nil || f.Action != "skip" || f.Reason != "checked in the admin console" {
		t.Errorf("decodeResolve = %+v, %v", f, err)
	}
	for _, v := range []url.Values{{}, {"action": {"delete"}}, {"action": {"fail"}, "reason": {strings.Repeat("x", maxReason+1)}}} {
		if _, err := decodeResolve(v); err == nil {
			t.Errorf("decodeResolve(%v): no error", v)
		}
	}
}

// FuzzForms: the console's forms, whatever a browser (or anyone) posts, decode to a value the worker
// can take or to an error that does not repeat the value — never a panic.
func FuzzForms(f *testing.F) {
	for _, s := range []string{"action=resend&reason=ok", "action=skip", "action=%ff", "reason=" + strings.Repeat("a", 1200),
		"value=123456&type=integer", "value=%7B%22a%22%3A1%7D&type=object", "value=true&type=boolean", "value=1e999&type=number",
		"value=%00&type=string", "value=SECRET-CANARY-9&type=integer"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		q, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		if r, err := decodeResolve(q); err == nil {
			if r.Action != "resend" && r.Action != "skip" && r.Action != "fail" || len(r.Reason) > maxReason {
				t.Fatalf("%q gave %+v", body, r)
			}
		}
		v, err := decodeInput(q.Get("type"), q.Get("value"))
		if err != nil {
			if val := strings.TrimSpace(q.Get("value")); len(val) > 3 && strings.Contains(err.Error(), val) {
				t.Fatalf("the error %q repeats the value", err)
			}
			return
		}
		if _, err := json.Marshal(v); err != nil {
			t.Fatalf("%q decoded to %#v, which JSON cannot hold: %v", body, v, err)
		}
	})
}

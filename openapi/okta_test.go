package openapi

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"
)

// oktaDir holds the real Okta descriptions shared by the team.
const oktaDir = "../../shared/okta/openapi"

func readOkta(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(oktaDir, name))
	if err != nil {
		tb.Skipf("Okta description not available: %v", err)
	}
	return data
}

// TestOktaOutlineAgreesWithKin loads both real Okta descriptions through the
// outline and through kin-openapi and compares every operation.
func TestOktaOutlineAgreesWithKin(t *testing.T) {
	for _, tc := range []struct {
		file string
		ops  int
	}{
		{"okta-openapi-original.yml", 341},
		{"management-current.yaml", 732},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := readOkta(t, tc.file)
			fast, err := Load(data, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if fast.Mode() != ModeOutline {
				t.Fatalf("mode = %v (%s), want outline", fast.Mode(), fast.FallbackReason())
			}
			full, err := LoadWithOptions(data, tc.file, Options{Full: true})
			if err != nil {
				t.Fatal(err)
			}
			if full.Mode() != ModeFull {
				t.Fatalf("mode = %v, want full", full.Mode())
			}
			compareDocuments(t, fast, full)
			if got := len(fast.Operations()); got != tc.ops {
				t.Errorf("%d operations, want %d", got, tc.ops)
			}
		})
	}
}

// compareDocuments asserts that two loads of one description agree on
// everything the runner reads.
func compareDocuments(t testing.TB, a, b *Document) {
	t.Helper()
	if a.Version() != b.Version() {
		t.Errorf("version %q vs %q", a.Version(), b.Version())
	}
	if !reflect.DeepEqual(a.Servers(), b.Servers()) {
		t.Errorf("servers differ:\n%+v\n%+v", a.Servers(), b.Servers())
	}
	if !reflect.DeepEqual(a.SecuritySchemes(), b.SecuritySchemes()) {
		t.Errorf("security schemes differ:\n%+v\n%+v", a.SecuritySchemes(), b.SecuritySchemes())
	}
	ra, rb := a.Operations(), b.Operations()
	if !reflect.DeepEqual(ra, rb) {
		t.Fatalf("operation lists differ: %d vs %d entries", len(ra), len(rb))
	}
	diffs := 0
	for _, r := range ra {
		oa, erra := a.OperationAt(opPointer(r))
		ob, errb := b.OperationAt(opPointer(r))
		if (erra == nil) != (errb == nil) {
			t.Errorf("%s %s: errors differ: %v vs %v", r.Method, r.Path, erra, errb)
			continue
		}
		if erra != nil {
			continue
		}
		if !reflect.DeepEqual(oa, ob) {
			diffs++
			if diffs <= 5 {
				t.Errorf("%s %s differs:\n%s\n%s", r.Method, r.Path, dump(oa), dump(ob))
			}
		}
	}
	if diffs > 0 {
		t.Errorf("%d of %d operations differ", diffs, len(ra))
	}
}

// TestOktaVariants re-encodes the 460 KB description (CRLF line endings, and
// JSON) and checks that every operation comes out the same as from the
// original bytes.
func TestOktaVariants(t *testing.T) {
	data := readOkta(t, "okta-openapi-original.yml")
	base, err := Load(data, "original")
	if err != nil {
		t.Fatal(err)
	}
	var tree any
	if err := yaml.Unmarshal(data, &tree); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		mode Mode
	}{
		{"crlf", bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")), ModeOutline},
		{"json", js, ModeJSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Load(tc.data, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if d.Mode() != tc.mode {
				t.Fatalf("mode %v (%s), want %v", d.Mode(), d.FallbackReason(), tc.mode)
			}
			if got, want := sortedRefs(d.Operations()), sortedRefs(base.Operations()); !reflect.DeepEqual(got, want) {
				t.Fatalf("operation lists differ")
			}
			for _, r := range base.Operations() {
				ptr := opPointer(r)
				want, err := base.OperationAt(ptr)
				if err != nil {
					t.Fatal(err)
				}
				got, err := d.OperationAt(ptr)
				if err != nil {
					t.Fatal(err)
				}
				w := sortedTypes(want)
				if tc.mode == ModeJSON {
					w.Line = 0 // JSON has no useful lines
				}
				if !reflect.DeepEqual(sortedTypes(got), w) {
					t.Fatalf("%s %s differs:\n%s\n%s", r.Method, r.Path, dump(got), dump(w))
				}
			}
		})
	}
}

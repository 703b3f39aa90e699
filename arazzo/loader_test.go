package arazzo

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/trama-dev/trama/openapi"
)

func hasCode(ds []Diagnostic, code string) *Diagnostic {
	for i := range ds {
		if ds[i].Code == code {
			return &ds[i]
		}
	}
	return nil
}

// servePets serves the test descriptions and counts requests per path.
func servePets(t *testing.T, files map[string]string) (*httptest.Server, *sync.Map) {
	t.Helper()
	hits := &sync.Map{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := hits.LoadOrStore(r.URL.Path, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		body, ok := files[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

func hitCount(hits *sync.Map, path string) int64 {
	n, ok := hits.Load(path)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

func TestLoaderRemote(t *testing.T) {
	pets, err := os.ReadFile(filepath.Join("testdata", "pets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	srv, hits := servePets(t, map[string]string{
		"api/doc.yaml":  header + getPetStep,
		"api/pets.yaml": string(pets),
		"api/evil.yaml": strings.Replace(header, "url: pets.yaml", "url: file:///etc/hostname", 1) + getPetStep,
	})

	t.Run("same origin as the entry document", func(t *testing.T) {
		l := &Loader{}
		for range 2 {
			b, err := l.Load(context.Background(), srv.URL+"/api/doc.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if ds := b.Validate(ValidateOptions{}); len(ds) != 0 {
				t.Fatalf("diagnostics:\n%s", joinDiagnostics(ds))
			}
			src := b.Sources["pets"]
			if src == nil || src.Location != srv.URL+"/api/pets.yaml" {
				t.Fatalf("pets source = %+v, want it read from %s/api/pets.yaml", src, srv.URL)
			}
		}
		if n := hitCount(hits, "/api/pets.yaml"); n != 1 {
			t.Errorf("pets.yaml fetched %d times by one Loader, want 1", n)
		}
	})

	t.Run("remote document cannot read local files", func(t *testing.T) {
		b, err := (&Loader{AllowHTTP: true}).Load(context.Background(), srv.URL+"/api/evil.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if d := hasCode(b.Diagnostics, "source-load"); d == nil || !strings.Contains(d.Message, "may not refer to local file") {
			t.Fatalf("want the local file refused, got %v", b.Diagnostics)
		}
	})

	local := writeFiles(t, map[string]string{"doc.yaml": strings.Replace(header, "url: pets.yaml", "url: "+srv.URL+"/api/pets.yaml", 1) + getPetStep})
	t.Run("remote source refused by default", func(t *testing.T) {
		b, err := (&Loader{}).Load(context.Background(), filepath.Join(local, "doc.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		d := hasCode(b.Diagnostics, "source-load")
		if d == nil || !strings.Contains(d.Message, "remote sources are not allowed") || d.Line != 7 || d.Col != 8 {
			t.Fatalf("want source-load at 7:8 refusing the remote url, got %v", b.Diagnostics)
		}
		// The operation error would only repeat the load error.
		if ds := b.Validate(ValidateOptions{}); hasCode(ds, "unknown-operation") != nil {
			t.Errorf("unexpected unknown-operation after a failed source: %v", ds)
		}
	})
	t.Run("remote source allowed", func(t *testing.T) {
		b, err := (&Loader{AllowHTTP: true}).Load(context.Background(), filepath.Join(local, "doc.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if ds := b.Validate(ValidateOptions{}); len(ds) != 0 {
			t.Fatalf("diagnostics:\n%s", joinDiagnostics(ds))
		}
	})
	t.Run("HTTP error and credentials stay out of messages", func(t *testing.T) {
		u := strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1) + "/api/missing.yaml?token=s3cret"
		dir := writeFiles(t, map[string]string{"doc.yaml": header + getPetStep})
		b, err := (&Loader{Sources: map[string]string{"pets": u}}).Load(context.Background(), filepath.Join(dir, "doc.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		d := hasCode(b.Diagnostics, "source-load")
		if d == nil || !strings.Contains(d.Message, "404") {
			t.Fatalf("want a source-load diagnostic naming the 404, got %v", b.Diagnostics)
		}
		if strings.Contains(d.String(), "s3cret") {
			t.Errorf("diagnostic leaks a credential: %s", d)
		}
	})
	t.Run("size cap", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"doc.yaml": header + getPetStep})
		b, err := (&Loader{MaxBytes: int64(len(header + getPetStep))}).Load(context.Background(), filepath.Join(dir, "doc.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if d := hasCode(b.Diagnostics, "source-load"); d == nil || !strings.Contains(d.Message, "larger than") {
			t.Errorf("want the oversized pets.yaml refused, got %v", b.Diagnostics)
		}
	})
}

func TestLoaderSourceOverride(t *testing.T) {
	dir := writeFiles(t, map[string]string{"doc.yaml": strings.Replace(header, "url: pets.yaml", "url: ../nowhere/pets.yaml", 1) + getPetStep})
	b, err := (&Loader{}).Load(context.Background(), filepath.Join(dir, "doc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if hasCode(b.Diagnostics, "source-load") == nil {
		t.Fatal("broken url loaded without an override")
	}
	b, err = (&Loader{Sources: map[string]string{"pets": filepath.Join(dir, "pets.yaml")}}).Load(context.Background(), filepath.Join(dir, "doc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if ds := b.Validate(ValidateOptions{}); len(ds) != 0 {
		t.Fatalf("override did not fix the source:\n%s", joinDiagnostics(ds))
	}
	if got := b.Sources["pets"].Location; got != filepath.Join(dir, "pets.yaml") {
		t.Errorf("source read from %s", got)
	}
}

const nestedRoot = `arazzo: 1.0.1
info: {title: root, version: "1"}
sourceDescriptions:
- name: pets
  url: pets.yaml
  type: openapi
- name: shared
  url: sub/shared.yaml
  type: arazzo
workflows:
- workflowId: main
  steps:
  - stepId: callShared
    workflowId: $sourceDescriptions.shared.cleanup
    parameters:
    - name: petId
      value: p1
  - stepId: bad
    workflowId: $sourceDescriptions.shared.«nothing
`

const nestedShared = `arazzo: 1.0.1
info: {title: shared, version: "1"}
sourceDescriptions:
- name: api
  url: ../pets.yaml
workflows:
- workflowId: cleanup
  inputs:
    type: object
    properties:
      petId: {type: string}
  steps:
  - stepId: del
    operationId: deletePet
    parameters:
    - name: petId
      in: path
      value: $inputs.petId
`

func TestLoaderNestedArazzo(t *testing.T) {
	root, want := locate(t, nestedRoot)
	dir := writeFiles(t, map[string]string{"doc.yaml": root, "sub/shared.yaml": nestedShared})
	b, err := (&Loader{}).Load(context.Background(), filepath.Join(dir, "doc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Documents) != 2 {
		t.Fatalf("loaded %d documents, want root and shared", len(b.Documents))
	}
	shared := b.Sources["shared"]
	if shared == nil || shared.Arazzo == nil || shared.Type != "arazzo" {
		t.Fatalf("shared source = %+v", shared)
	}
	api := b.SourcesOf(shared.Arazzo)["api"]
	if api == nil || api.Type != "openapi" {
		t.Fatalf("nested source without type was not detected as openapi: %+v", api)
	}
	if api.OpenAPI != b.Sources["pets"].OpenAPI {
		t.Error("pets.yaml parsed twice in one Load")
	}
	wdoc, wf, err := b.ResolveWorkflow(b.Root, "$sourceDescriptions.shared.cleanup")
	if err != nil || wdoc != shared.Arazzo || wf.WorkflowID != "cleanup" {
		t.Fatalf("ResolveWorkflow = %v, %v, %v", wdoc, wf, err)
	}
	ro, err := b.ResolveOperation(wdoc, wf.Steps[0])
	if err != nil || ro.Source != api || ro.Op.Method != "DELETE" {
		t.Fatalf("ResolveOperation in the nested document = %+v, %v", ro, err)
	}
	ds := b.Validate(ValidateOptions{})
	var got []Diagnostic
	for _, d := range ds {
		if d.Severity == Error {
			got = append(got, d)
		}
	}
	if len(got) != 1 || got[0].Code != "unknown-workflow" || got[0].Line != want.Line || got[0].Col != want.Col-len("$sourceDescriptions.shared.") {
		t.Errorf("want exactly one unknown-workflow error at the bad step, got:\n%s", joinDiagnostics(ds))
	}
}

func TestLoaderCycle(t *testing.T) {
	a := `arazzo: 1.0.1
info: {title: a, version: "1"}
sourceDescriptions:
- name: b
  url: b.yaml
  type: arazzo
workflows:
- workflowId: a
  steps:
  - stepId: callB
    workflowId: $sourceDescriptions.b.b
`
	bText, want := locate(t, `arazzo: 1.0.1
info: {title: b, version: "1"}
sourceDescriptions:
- name: a
  url: «a.yaml
  type: arazzo
workflows:
- workflowId: b
  steps:
  - stepId: callA
    workflowId: $sourceDescriptions.a.a
`)
	dir := writeFiles(t, map[string]string{"a.yaml": a, "b.yaml": bText})
	b, err := (&Loader{}).Load(context.Background(), filepath.Join(dir, "a.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	d := hasCode(b.Diagnostics, "source-cycle")
	if d == nil || !strings.HasSuffix(d.File, "b.yaml") || d.Line != want.Line || d.Col != want.Col {
		t.Fatalf("want source-cycle in b.yaml at %s, got %v", want, b.Diagnostics)
	}
	if !strings.Contains(d.Message, "a.yaml -> ") {
		t.Errorf("cycle message does not show the path: %s", d.Message)
	}
}

func TestResolveOperationForms(t *testing.T) {
	doc := `arazzo: 1.0.1
info: {title: forms, version: "1"}
sourceDescriptions:
- name: pets
  url: pets.yaml
  type: openapi
- name: stores
  url: stores.yaml
  type: openapi
workflows:
- workflowId: forms
  steps:
  - stepId: full
    operationId: $sourceDescriptions.stores.getPet
  - stepId: shorthand
    operationId: pets.getPet
  - stepId: bareUnique
    operationId: listStores
  - stepId: bareAmbiguous
    operationId: getPet
  - stepId: path
    operationPath: '{$sourceDescriptions.pets.url}#/paths/~1pets~1{petId}/delete'
  - stepId: pathUnbraced
    operationPath: $sourceDescriptions.pets.url#/paths/~1pets/post
  - stepId: missing
    operationId: $sourceDescriptions.pets.nothing
  - stepId: sub
    workflowId: forms
`
	b := loadText(t, doc)
	wf := b.Root.Workflows[0]
	tests := []struct {
		step, source, method, path string
		err                        error
		note                       string
	}{
		{step: "full", source: "stores", method: "GET", path: "/stores/{id}"},
		{step: "shorthand", source: "pets", method: "GET", path: "/pets/{petId}", note: "operation-id-shorthand"},
		{step: "bareUnique", source: "stores", method: "GET", path: "/stores", note: "ambiguous-operation"},
		{step: "bareAmbiguous", err: ErrAmbiguousOperation},
		{step: "path", source: "pets", method: "DELETE", path: "/pets/{petId}"},
		{step: "pathUnbraced", source: "pets", method: "POST", path: "/pets", note: "operation-path-unbraced"},
		{step: "missing", err: openapi.ErrOperationNotFound},
		{step: "sub", err: errors.New("any")},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			ro, note, err := b.resolveOperation(b.Root, wf.Step(tt.step))
			if tt.err != nil {
				if err == nil || (tt.err.Error() != "any" && !errors.Is(err, tt.err)) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ro.Source.Name != tt.source || ro.Op.Method != tt.method || ro.Op.Path != tt.path {
				t.Errorf("resolved to %s %s %s, want %s %s %s", ro.Source.Name, ro.Op.Method, ro.Op.Path, tt.source, tt.method, tt.path)
			}
			gotNote := ""
			if note != nil {
				gotNote = note.code
			}
			if gotNote != tt.note {
				t.Errorf("note %q, want %q", gotNote, tt.note)
			}
		})
	}
	ds := b.Validate(ValidateOptions{})
	for _, code := range []string{"ambiguous-operation", "operation-id-shorthand", "operation-path-unbraced", "unknown-operation"} {
		if hasCode(ds, code) == nil {
			t.Errorf("Validate did not report %s:\n%s", code, joinDiagnostics(ds))
		}
	}
}

// TestLoaderConcurrent loads the same documents from many goroutines with
// one Loader: every Load must see the same parsed OpenAPI description.
func TestLoaderConcurrent(t *testing.T) {
	dir := writeFiles(t, map[string]string{"doc.yaml": header + getPetStep})
	l := &Loader{}
	var wg sync.WaitGroup
	docs := make([]*openapi.Document, 16)
	for i := range docs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := l.Load(context.Background(), filepath.Join(dir, "doc.yaml"))
			if err != nil {
				t.Error(err)
				return
			}
			docs[i] = b.Sources["pets"].OpenAPI
		}()
	}
	wg.Wait()
	for _, d := range docs {
		if d == nil || d != docs[0] {
			t.Fatal("concurrent loads did not share one parsed description")
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := (&Loader{}).Load(context.Background(), filepath.Join(dir, "absent.yaml")); err == nil {
		t.Error("missing entry document: no error")
	}
	// A YAML syntax error is a diagnostic with its line and column, like every other problem a
	// document has, so `validate --format json` and editors see it too.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("arazzo: 1.0.1\ninfo: [b\n"), 0o644)
	b, err := (&Loader{}).Load(context.Background(), bad)
	if err != nil {
		t.Fatalf("unparseable entry document: %v", err)
	}
	if len(b.Diagnostics) != 1 || b.Diagnostics[0].Code != "yaml-syntax" || b.Diagnostics[0].Severity != Error ||
		b.Diagnostics[0].Line != 2 || b.Diagnostics[0].Col != 7 {
		t.Errorf("unparseable entry document: %v", b.Diagnostics)
	}
}

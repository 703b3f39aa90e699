package arazzo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// marker marks the expected position of a diagnostic in test documents;
// locate removes it and reports its line and column.
const marker = "«"

func locate(t testing.TB, text string) (string, Pos) {
	t.Helper()
	i := strings.Index(text, marker)
	if i < 0 {
		return text, Pos{}
	}
	before := text[:i]
	line := strings.Count(before, "\n") + 1
	col := len([]rune(before[strings.LastIndex(before, "\n")+1:])) + 1
	return before + text[i+len(marker):], Pos{Line: line, Col: col}
}

// writeFiles writes name → content into a fresh directory, adding the test
// OpenAPI descriptions and the AsyncAPI one, and returns the directory.
func writeFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"pets.yaml", "stores.yaml", "orders.asyncapi.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(data)
	}
	for name, content := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func loadText(t testing.TB, text string) *Bundle {
	t.Helper()
	dir := writeFiles(t, map[string]string{"doc.yaml": text})
	b, err := (&Loader{}).Load(context.Background(), filepath.Join(dir, "doc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// header starts the documents of the planted-defect tests: one pets source
// and one workflow whose steps follow.
const header = `arazzo: 1.0.1
info:
  title: t
  version: "1"
sourceDescriptions:
- name: pets
  url: pets.yaml
  type: openapi
workflows:
- workflowId: wf
  inputs:
    type: object
    required: [petId]
    properties:
      petId:
        type: string
  steps:
`

const getPetStep = `  - stepId: getPet
    operationId: getPet
    parameters:
    - name: petId
      in: path
      value: $inputs.petId
    successCriteria:
    - condition: $statusCode == 200
    outputs:
      name: $response.body#/name
`

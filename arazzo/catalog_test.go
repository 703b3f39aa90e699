package arazzo

import (
	"context"
	"path/filepath"
	"testing"
)

// sharedDir is where the project's shared reference material lives, beside
// the repository.
var sharedDir = filepath.Join("..", "..", "shared")

func catalogFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(sharedDir, "okta", "arazzo", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("shared Okta catalog not found at " + sharedDir)
	}
	return files
}

// TestCatalogValidates loads every workflow of the Okta catalog with one
// Loader (so the 460 KB OpenAPI description is parsed once) and requires
// zero errors: these are the documents trama must run.
func TestCatalogValidates(t *testing.T) {
	files := catalogFiles(t)
	if len(files) != 21 {
		t.Errorf("catalog has %d workflows, want 21", len(files))
	}
	l := &Loader{}
	warnings := 0
	for _, f := range files {
		b, err := l.Load(context.Background(), f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if b.Sources["oktaApi"] == nil || b.Sources["oktaApi"].OpenAPI == nil {
			t.Errorf("%s: source oktaApi not loaded", f)
		}
		for _, d := range b.Validate(ValidateOptions{}) {
			if d.Severity == Error {
				t.Errorf("%s", d)
			} else {
				warnings++
				t.Logf("%s", d)
			}
		}
	}
	t.Logf("%d workflows, %d warnings", len(files), warnings)
	if len(l.cache) != len(files)+1 {
		t.Errorf("loader cached %d locations, want %d (each workflow plus one shared OpenAPI description)", len(l.cache), len(files)+1)
	}
}

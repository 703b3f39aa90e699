package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// complete asks trama for the completions of args as a shell's completion script does, and returns
// the candidates without their descriptions, and the directive line.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	code, out, errOut := trama(t, append([]string{"__complete"}, args...)...)
	if code != exitOK {
		t.Fatalf("__complete %v: exit %d %s", args, code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var got []string
	for _, l := range lines[:len(lines)-1] {
		name, _, _ := strings.Cut(l, "\t")
		got = append(got, name)
	}
	return got, lines[len(lines)-1]
}

// TestCompletionKnowsTheDocument: run's flags complete from the document given — its workflow ids, the
// chosen workflow's inputs, its sources and its server variables — and documents complete as files.
func TestCompletionKnowsTheDocument(t *testing.T) {
	seed := filepath.Join(catalog, "okta-reset-and-reenroll-factor-workflow.yml")
	example := filepath.Join("..", "..", "examples", "enroll-and-activate.arazzo.yaml")
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"run", seed, "--workflow", ""}, []string{"reset-and-reenroll-factor"}},
		{[]string{"run", seed, "--input", ""}, []string{"factorType=", "oktaApiToken=", "provider=", "userId="}},
		{[]string{"run", seed, "--server", ""}, []string{"oktaApi="}},
		{[]string{"run", seed, "--source", ""}, []string{"oktaApi="}},
		{[]string{"run", example, "--server", ""}, []string{"okta="}},
		{[]string{"run", example, "--server-var", ""}, []string{"yourOktaDomain="}},
		{[]string{"run", example, "--workflow", "enroll-and-activate-factor", "--input", ""}, []string{"oktaApiToken=", "passCode=", "provider=", "userId="}},
		{[]string{"run", example, "--output", ""}, []string{"text", "json"}},
	} {
		got, _ := complete(t, tt.args...)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%v: %v, want %v", tt.args, got, tt.want)
		}
	}
	// NAME= completions leave the cursor after the '=' for the value.
	if _, directive := complete(t, "run", seed, "--input", ""); directive != ":6" {
		t.Errorf("--input directive %s, want :6 (no space, no files)", directive)
	}
	// The document argument completes as YAML and JSON files.
	for _, cmd := range []string{"run", "validate", "graph"} {
		if got, directive := complete(t, cmd, ""); !slices.Equal(got, []string{"yaml", "yml", "json"}) || directive != ":8" {
			t.Errorf("%s FILE: %v %s; want the yaml, yml and json extensions", cmd, got, directive)
		}
	}
	// A document that does not parse completes nothing, quietly.
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	os.WriteFile(broken, []byte("arazzo: [\n"), 0o644)
	if got, _ := complete(t, "run", broken, "--workflow", ""); len(got) != 0 {
		t.Errorf("a broken document completes %v", got)
	}
	// The script itself comes from cobra.
	if code, out, _ := trama(t, "completion", "bash"); code != exitOK || !strings.Contains(out, "__start_trama") {
		t.Errorf("completion bash: exit %d", code)
	}
}

package arazzo

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestMermaidGolden renders a workflow that uses every kind of edge and
// compares it with the committed diagram.
func TestMermaidGolden(t *testing.T) {
	for _, name := range []string{"flow"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name+".arazzo.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			doc, diags, err := Parse(data, name)
			if err != nil || HasErrors(diags) {
				t.Fatalf("parse: %v %v", err, diags)
			}
			var buf bytes.Buffer
			if err := Mermaid(&buf, doc); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".mmd")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("diagram differs from %s (run with -update to accept):\n%s", golden, buf.String())
			}
			var again bytes.Buffer
			if err := Mermaid(&again, doc); err != nil || !bytes.Equal(again.Bytes(), buf.Bytes()) {
				t.Error("second rendering differs from the first")
			}
		})
	}
}

func TestMermaidCatalog(t *testing.T) {
	for _, f := range catalogFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, _, err := Parse(data, f)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Mermaid(&buf, doc); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte("flowchart TD\n")) || !bytes.Contains(buf.Bytes(), []byte("start --> s0")) {
			t.Errorf("%s: unexpected diagram:\n%s", f, buf.String())
		}
	}
}

package criterion

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestOktaCatalogConditions checks every regex, jsonpath and xpath condition in the Okta workflow
// catalog: all must be accepted, and the `$.length` forms must come with a rewrite.
func TestOktaCatalogConditions(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/okta/arazzo/*.yml")
	if len(files) == 0 {
		files, _ = filepath.Glob("/work/shared/okta/arazzo/*.yml")
	}
	if len(files) == 0 {
		t.Skip("Okta catalog not available")
	}
	checked := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		walkCriteria(&doc, func(kind, version, condition string) {
			checked++
			warnings, err := Check(Kind(kind), version, condition)
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(f), err)
			}
			if strings.Contains(condition, ".length") && (len(warnings) != 1 || !strings.Contains(warnings[0], "`$[0]`")) {
				t.Errorf("%s: %q warnings %q; want one naming `$[0]`", filepath.Base(f), condition, warnings)
			}
		})
	}
	if checked == 0 {
		t.Error("no typed criteria found in the catalog")
	}
}

// walkCriteria calls fn for every mapping with a condition and a type other than simple.
func walkCriteria(n *yaml.Node, fn func(kind, version, condition string)) {
	if n.Kind == yaml.MappingNode {
		var cond, kind, version string
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			switch {
			case k == "condition" && v.Kind == yaml.ScalarNode:
				cond = v.Value
			case k == "type" && v.Kind == yaml.ScalarNode:
				kind = v.Value
			case k == "type" && v.Kind == yaml.MappingNode:
				for j := 0; j+1 < len(v.Content); j += 2 {
					switch v.Content[j].Value {
					case "type":
						kind = v.Content[j+1].Value
					case "version":
						version = v.Content[j+1].Value
					}
				}
			}
		}
		if cond != "" && (kind == "regex" || kind == "jsonpath" || kind == "xpath") {
			fn(kind, version, cond)
		}
	}
	for _, c := range n.Content {
		walkCriteria(c, fn)
	}
}

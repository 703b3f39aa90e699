package criterion

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"
)

// ctsPath is the JSONPath Compliance Test Suite shipped with the project.
const ctsPath = "../../../shared/corpora/jsonpath-cts.json"

// ctsMinPass is the number of compliance tests the engine passed when last measured; fewer is a
// regression.
const ctsMinPass = 684

type ctsCase struct {
	Name            string            `json:"name"`
	Selector        string            `json:"selector"`
	Document        json.RawMessage   `json:"document"`
	Result          json.RawMessage   `json:"result"`
	Results         []json.RawMessage `json:"results"`
	InvalidSelector bool              `json:"invalid_selector"`
}

func TestJSONPathCompliance(t *testing.T) {
	path := ctsPath
	if _, err := os.Stat(path); err != nil {
		path = "/work/shared/corpora/jsonpath-cts.json"
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("compliance suite not available: %v", err)
	}
	var suite struct {
		Tests []ctsCase `json:"tests"`
	}
	if err := json.Unmarshal(raw, &suite); err != nil {
		t.Fatal(err)
	}
	pass := 0
	var failed []string
	for _, tc := range suite.Tests {
		if runCTSCase(tc) {
			pass++
		} else {
			failed = append(failed, tc.Name)
		}
	}
	t.Logf("JSONPath CTS: %d of %d passed", pass, len(suite.Tests))
	if testing.Verbose() {
		for _, name := range failed {
			t.Logf("failed: %s", name)
		}
	}
	if pass < ctsMinPass {
		t.Errorf("JSONPath CTS: %d passed, want at least %d", pass, ctsMinPass)
	}
}

// runCTSCase reports whether the engine behaves as the compliance case expects. A panic in the engine
// counts as a failure so one bad case does not hide the count.
func runCTSCase(tc ctsCase) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	q, err := engine.compile(tc.Selector)
	if tc.InvalidSelector {
		return err != nil
	}
	if err != nil {
		return false
	}
	root, err := toNode(tc.Document)
	if err != nil {
		return false
	}
	got := normalizeJSON(valuesOf(q.selectNodes(root)))
	if tc.Results == nil {
		return reflect.DeepEqual(got, normalizeJSON(tc.Result))
	}
	for _, want := range tc.Results {
		if reflect.DeepEqual(got, normalizeJSON(want)) {
			return true
		}
	}
	return false
}

func valuesOf(nodes []*yaml.Node) []any {
	out := make([]any, len(nodes))
	for i, n := range nodes {
		out[i] = nodeValue(n)
	}
	return out
}

// normalizeJSON re-decodes v so numbers compare by value (1 and 1.0 are the same JSON number).
func normalizeJSON(v any) any {
	b, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return err
		}
	}
	var out any
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&out); err != nil {
		return err
	}
	return out
}

// nodeValue converts a node back to a JSON-like value, numbers as json.Number.
func nodeValue(n *yaml.Node) any {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = nodeValue(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = nodeValue(c)
		}
		return s
	}
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		return n.Value == "true"
	case "!!int", "!!float":
		return json.Number(n.Value)
	}
	return n.Value
}

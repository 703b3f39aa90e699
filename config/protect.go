package config

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/internal/lazyregexp"
)

// envRef matches a ${…} reference up to its first "}".
var envRef = lazyregexp.New(`\$\{[^}\n]*\}`)

// protectEnvRefs replaces every ${…} in the file text with a placeholder of plain letters before YAML
// parsing, and returns the replacer that restores them. Without it the issue's own example,
// "auth: { header: Authorization, value: ${TRAMA_HOOK_SECRET} }", is not YAML: a "{" inside a flow
// mapping ends a plain scalar. A placeholder has the same number of characters as the reference it
// stands for, so every line and column YAML reports stays true.
func protectEnvRefs(data []byte) ([]byte, *strings.Replacer) {
	text := string(data)
	refs := envRef.FindAllStringIndex(text, -1)
	if len(refs) == 0 {
		return data, nil
	}
	// Pick a placeholder alphabet the file does not already contain, so restoring cannot touch the
	// user's own text.
	prefix := ""
	for _, p := range []string{"zq", "qz", "zx", "xz", "qx", "xq", "jq", "qj"} {
		if !strings.Contains(text, p) {
			prefix = p
			break
		}
	}
	if prefix == "" {
		return data, nil // a file that pathological keeps YAML's own error message
	}
	var b strings.Builder
	var pairs []string
	last := 0
	for i, r := range refs {
		orig := text[r[0]:r[1]]
		ph := prefix + strconv.FormatInt(int64(i), 36)
		n := utf8.RuneCountInString(orig)
		if len(ph) > n {
			return data, nil // too many references to fit; YAML's error stands
		}
		ph += strings.Repeat("z", n-len(ph))
		b.WriteString(text[last:r[0]])
		b.WriteString(ph)
		pairs = append(pairs, ph, orig)
		last = r[1]
	}
	b.WriteString(text[last:])
	return []byte(b.String()), strings.NewReplacer(pairs...)
}

// restoreEnvRefs puts the ${…} references back into every scalar and key of the parsed tree.
func restoreEnvRefs(n *yaml.Node, r *strings.Replacer, seen map[*yaml.Node]bool) {
	if n == nil || r == nil || seen[n] {
		return
	}
	seen[n] = true
	if n.Kind == yaml.ScalarNode {
		n.Value = r.Replace(n.Value)
	}
	for _, c := range n.Content {
		restoreEnvRefs(c, r, seen)
	}
}

package runner

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/trama-dev/trama/internal/suggest"
)

// CheckOverrides reports the Servers and ServerVariables names that nothing in the bundle declares. A
// misspelt `--server okta=…` for a source named oktaApi would otherwise be ignored, and the run would
// send its requests, credentials included, to the server the description declares.
func (r *Runner) CheckOverrides() error {
	var sources, vars []string
	for _, doc := range r.bundle.Documents {
		for name, src := range r.bundle.SourcesOf(doc) {
			sources = append(sources, name)
			if src.OpenAPI == nil {
				continue
			}
			for _, s := range src.OpenAPI.Servers() {
				for v := range s.Variables {
					vars = append(vars, v)
				}
			}
		}
	}
	slices.Sort(sources)
	sources = slices.Compact(sources)
	slices.Sort(vars)
	vars = slices.Compact(vars)
	var problems []string
	for _, name := range sortedKeys(r.opts.Servers) {
		if !slices.Contains(sources, name) {
			problems = append(problems, unknownName("--server", name, "source description", sources))
		}
	}
	for _, name := range sortedKeys(r.opts.ServerVariables) {
		if !slices.Contains(vars, name) {
			problems = append(problems, unknownName("--server-var", name, "server variable", vars))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

// unknownName says that flag names something that does not exist, with what does.
func unknownName(flag, name, what string, known []string) string {
	msg := fmt.Sprintf("%s %s: no %s is named %q", flag, name, what, name)
	if s := suggest.Closest(name, known); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	if len(known) == 0 {
		return msg + " (the document declares none)"
	}
	return msg + " (the document's: " + quoteAll(known) + ")"
}

// UnknownInputs returns, for each name that the inputs schema does not declare among its properties, a
// message with a suggestion; nil when the schema declares no properties or allows others explicitly
// (additionalProperties: true or a schema). A misspelt optional input would otherwise be ignored and its
// default used.
func UnknownInputs(schema any, names []string) []string {
	obj, _ := schema.(map[string]any)
	props, _ := obj["properties"].(map[string]any)
	if len(props) == 0 {
		return nil
	}
	if ap, ok := obj["additionalProperties"]; ok && ap != false {
		return nil
	}
	known := sortedKeys(props)
	var out []string
	for _, n := range names {
		if _, ok := props[n]; !ok {
			out = append(out, unknownName("input", n, "input of the workflow", known))
		}
	}
	return out
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

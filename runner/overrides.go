package runner

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/internal/suggest"
)

// CheckOverrides reports the Servers, Authenticators and ServerVariables names that nothing in the
// bundle declares. A
// misspelt `--server okta=…` for a source named oktaApi would otherwise be ignored, and the run would
// send its requests, credentials included, to the server the description declares.
func (r *Runner) CheckOverrides() error {
	sources, vars := OverrideNames(r.bundle)
	var problems []string
	for _, name := range sortedKeys(r.opts.Servers) {
		if !slices.Contains(sources, name) {
			problems = append(problems, unknownName("--server", name, "source description", sources))
		}
	}
	for _, name := range sortedKeys(r.opts.Authenticators) {
		if !slices.Contains(sources, name) {
			problems = append(problems, unknownName("credential for", name, "source description", sources))
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

// OverrideNames returns the names a --server or --source can name (the source descriptions of every
// document in the bundle) and those a --server-var can (the variables of the OpenAPI descriptions'
// servers), sorted and without repeats.
func OverrideNames(b *arazzo.Bundle) (sources, vars []string) {
	for _, doc := range b.Documents {
		for name, src := range b.SourcesOf(doc) {
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
	slices.Sort(vars)
	return slices.Compact(sources), slices.Compact(vars)
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

// UnknownInputs returns, for each name that workflow wf of doc does not declare as an input, a message with
// a suggestion; nil when its inputs schema is open (it composes other schemas or allows additional
// properties), since then no name is surely a typo. A misspelt optional input would otherwise be ignored
// and its default used.
func UnknownInputs(doc *arazzo.Document, wf *arazzo.Workflow, names []string) []string {
	known, closed := doc.InputNames(wf)
	if !closed {
		return nil
	}
	var out []string
	for _, n := range names {
		if !slices.Contains(known, n) {
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

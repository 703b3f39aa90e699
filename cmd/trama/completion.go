package main

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/runner"
)

// Shell completion. Cobra's own `trama completion bash|zsh|fish|powershell` prints the script; the
// functions here make it complete what only the document knows: `trama run FILE --workflow <TAB>` offers
// the document's workflow ids, `--input <TAB>` the chosen workflow's input names, `--server <TAB>` and
// `--source <TAB>` its source descriptions, `--server-var <TAB>` its OpenAPI server variables. A
// completion reads local files only and never fails loudly: a document that does not parse completes
// nothing.

// completionLoadTimeout bounds how long a completion may spend loading source descriptions, so a slow
// disk never hangs the shell.
const completionLoadTimeout = 2 * time.Second

// completeDocuments completes the document arguments of a command that takes at most max of them (0 for
// any number): Arazzo documents are YAML or JSON files.
func completeDocuments(max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if max > 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return []cobra.Completion{"yaml", "yml", "json"}, cobra.ShellCompDirectiveFilterFileExt
	}
}

// registerRunCompletion completes run's flags from the document named by its argument.
func registerRunCompletion(cmd *cobra.Command, f *runFlags) {
	cmd.ValidArgsFunction = completeDocuments(1)
	complete := func(flag string, fn func(args []string) []cobra.Completion, directive cobra.ShellCompDirective) {
		err := cmd.RegisterFlagCompletionFunc(flag, func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 0 {
				// The document comes first; without it there is nothing to offer.
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return fn(args), directive
		})
		if err != nil {
			panic(err) // a flag name typo here is a programming error, found by the tests
		}
	}
	const pair = cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	complete("workflow", func(args []string) []cobra.Completion {
		doc := parseForCompletion(args[0])
		if doc == nil {
			return nil
		}
		var out []cobra.Completion
		for _, w := range doc.Workflows {
			out = append(out, cobra.CompletionWithDesc(w.WorkflowID, firstLine(w.Summary)))
		}
		return out
	}, cobra.ShellCompDirectiveNoFileComp)
	complete("input", func(args []string) []cobra.Completion {
		doc := parseForCompletion(args[0])
		if doc == nil {
			return nil
		}
		wf := chosenWorkflow(doc, f.workflow)
		names, _ := doc.InputNames(wf)
		out := make([]cobra.Completion, len(names))
		for i, n := range names {
			out[i] = n + "="
		}
		return out
	}, pair)
	complete("server", func(args []string) []cobra.Completion {
		return sourceCompletions(args[0], f.sources, true)
	}, pair)
	complete("source", func(args []string) []cobra.Completion {
		return sourceCompletions(args[0], f.sources, false)
	}, pair)
	complete("server-var", func(args []string) []cobra.Completion {
		b := loadForCompletion(args[0], f.sources)
		if b == nil {
			return nil
		}
		_, vars := runner.OverrideNames(b)
		out := make([]cobra.Completion, len(vars))
		for i, v := range vars {
			out[i] = v + "="
		}
		return out
	}, pair)
	complete("output", func([]string) []cobra.Completion { return []cobra.Completion{"text", "json"} }, cobra.ShellCompDirectiveNoFileComp)
}

// sourceCompletions offers NAME= for each source description a --server (nested documents' too, when
// the bundle loads) or a --source (the entry document's only) can name, described by its url.
func sourceCompletions(file string, sourceFlags []string, nested bool) []cobra.Completion {
	doc := parseForCompletion(file)
	if doc == nil {
		return nil
	}
	urls := map[string]string{}
	var names []string
	for _, s := range doc.SourceDescriptions {
		urls[s.Name] = s.URL
		names = append(names, s.Name)
	}
	if nested {
		if b := loadForCompletion(file, sourceFlags); b != nil {
			names, _ = runner.OverrideNames(b)
		}
	}
	out := make([]cobra.Completion, len(names))
	for i, n := range names {
		out[i] = cobra.CompletionWithDesc(n+"=", urls[n])
	}
	return out
}

// parseForCompletion parses the document at path without its sources; nil when it cannot.
func parseForCompletion(path string) *arazzo.Document {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	doc, _, err := arazzo.Parse(data, path)
	if err != nil {
		return nil
	}
	return doc
}

// loadForCompletion loads the document at path with its local sources (never over the network, which
// a keypress must not wait for); nil when it cannot.
func loadForCompletion(path string, sourceFlags []string) *arazzo.Bundle {
	sources := map[string]string{}
	for _, p := range sourceFlags {
		if name, loc, ok := strings.Cut(p, "="); ok {
			sources[name] = loc
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), completionLoadTimeout)
	defer cancel()
	b, err := (&arazzo.Loader{Sources: sources, Read: readLocal}).Load(ctx, path)
	if err != nil {
		return nil
	}
	return b
}

// readLocal reads a file location and refuses every other kind.
func readLocal(ctx context.Context, location string) ([]byte, error) {
	if strings.Contains(location, "://") && !strings.HasPrefix(location, "file://") {
		return nil, os.ErrNotExist
	}
	return os.ReadFile(strings.TrimPrefix(location, "file://"))
}

// chosenWorkflow is the workflow --workflow names, or the document's only one.
func chosenWorkflow(doc *arazzo.Document, id string) *arazzo.Workflow {
	if id != "" {
		return doc.Workflow(id)
	}
	if len(doc.Workflows) == 1 {
		return doc.Workflows[0]
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

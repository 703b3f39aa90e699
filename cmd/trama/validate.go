package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/report"
)

func init() { subcommands = append(subcommands, newValidateCmd) }

type validateFlags struct {
	sources  []string
	strict   bool
	noRemote bool
	format   string
}

func newValidateCmd() *cobra.Command {
	var f validateFlags
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check Arazzo documents and their source descriptions",
		Long: `Validate loads each Arazzo document with its source descriptions and reports every problem as
file:line:col: severity: message [code]. It checks the document's structure, references (steps,
workflows, components, goto targets), operations against the OpenAPI descriptions, every runtime
expression and criterion, and warns about constructs that run only in trama's compatibility mode
(for example "SSWS $inputs.token", which should be written "SSWS {$inputs.token}").

Exit status: 0 when no document has errors (warnings allowed), 1 when any has, 2 when a file cannot be
read or parsed at all.`,
		Example: `  trama validate ../shared/okta/arazzo/*.yml
  trama validate wf.arazzo.yaml --source oktaApi=./okta.yaml --format json`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeDocuments(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(cmd, args, f)
		},
	}
	cmd.Flags().StringArrayVar(&f.sources, "source", nil, "replace a source description's URL: NAME=PATH|URL (repeatable)")
	cmd.Flags().BoolVar(&f.strict, "strict", false, "report compatibility-mode constructs (bare $expressions in strings) as errors")
	cmd.Flags().BoolVar(&f.noRemote, "no-remote-sources", false, "refuse http(s) source descriptions that documents name")
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text or json")
	return cmd
}

// jsonDiagnostic is the --format json shape of one diagnostic.
type jsonDiagnostic struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

func runValidate(cmd *cobra.Command, files []string, f validateFlags) error {
	if err := outputFormat("format", f.format, "text", "json"); err != nil {
		return err
	}
	sources, err := parsePairs("source", f.sources)
	if err != nil {
		return err
	}
	loader := &arazzo.Loader{Sources: sources, AllowHTTP: !f.noRemote}
	out := cmd.OutOrStdout()
	var all []jsonDiagnostic
	errs, warns, unreadable := 0, 0, 0
	for _, file := range files {
		b, err := loader.Load(cmd.Context(), file)
		if err != nil {
			unreadable++
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", file, err)
			continue
		}
		for _, d := range b.Validate(arazzo.ValidateOptions{Strict: f.strict, Authority: oktaAuthority}) {
			if d.Severity == arazzo.Error {
				errs++
			} else {
				warns++
			}
			if f.format == "json" {
				all = append(all, jsonDiagnostic{File: d.File, Line: d.Line, Col: d.Col, Severity: d.Severity.String(), Code: d.Code, Message: d.Message})
			} else {
				fmt.Fprintln(out, d.String())
			}
		}
	}
	if f.format == "json" {
		if all == nil {
			all = []jsonDiagnostic{}
		}
		if err := report.WriteJSON(out, all); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s, %s\n", plural(len(files), "file"), plural(errs, "error"), plural(warns, "warning"))
	}
	switch {
	case unreadable > 0:
		return &exitError{code: exitUsage, err: fmt.Errorf("%s could not be read", plural(unreadable, "file"))}
	case errs > 0:
		return &exitError{code: exitFailed, err: fmt.Errorf("")}
	}
	return nil
}

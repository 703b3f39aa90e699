package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/trama-dev/trama/arazzo"
)

func init() { subcommands = append(subcommands, newGraphCmd) }

func newGraphCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "graph FILE",
		Short: "Print a Mermaid flowchart of a document's workflows",
		Long: `Graph prints a Mermaid flowchart of each workflow in an Arazzo document: its steps in order and
the goto, end and retry edges of their success and failure actions. Paste the output into any Mermaid
renderer (GitHub renders it inside a mermaid code block).`,
		Example:           `  trama graph ../shared/okta/arazzo/okta-enroll-and-activate-factor-workflow.yml`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeDocuments(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			doc, diags, err := arazzo.Parse(data, args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			if arazzo.HasErrors(diags) {
				for _, d := range diags {
					fmt.Fprintln(cmd.ErrOrStderr(), d.String())
				}
				return usageErr("%s has errors; see 'trama validate %s'", args[0], args[0])
			}
			return arazzo.Mermaid(cmd.OutOrStdout(), doc)
		},
	}
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/trama-dev/trama/demo"
)

func init() { subcommands = append(subcommands, newDemoCmd) }

func newDemoCmd() *cobra.Command {
	var dir string
	var keepOpen bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Show the whole system in one command, offline",
		Long: `demo starts an Okta emulator and trama serve in this process on free loopback ports with a temporary
SQLite store, registers and verifies an event hook, creates a user, runs trama's example
enroll-and-activate workflow (the passcode comes from the emulator's virtual authenticator), and waits
for Okta's user.mfa.factor.activate event to reach trama and run the bound workflow. It prints the event
card and the run history, then exits — or, with --keep-open, keeps running so you can open the run in
the web console (its URL is printed; the token to sign in with is in a file next to the store). Nothing
is needed beyond this binary.`,
		Example: "  trama demo\n  trama demo --keep ./demo-out   # keep the store and files to explore with trama runs/events\n  trama demo --keep-open         # then open the printed console URL; Ctrl-C ends it",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := demo.Run(cmd.Context(), demo.Options{Out: cmd.OutOrStdout(), Dir: dir, KeepOpen: keepOpen})
			if err != nil {
				return &exitError{code: exitFailed, err: fmt.Errorf("demo: %w", err)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "keep", "", "keep the demo's store, configuration and workflows in this directory")
	cmd.Flags().BoolVar(&keepOpen, "keep-open", false, "keep the emulator and trama serve running after the demo, to explore it in the web console, until Ctrl-C")
	return cmd
}

// Command trama runs Arazzo workflows against OpenAPI-described APIs, runs them when Okta event hooks
// arrive, and emulates the Okta API so all of it works offline.
//
// Each subcommand lives in its own file; they are thin: flags in, package calls out.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes shared by every subcommand, so scripts and CI can tell a failed workflow from a wrong command.
const (
	exitOK          = 0   // the command did what was asked (the workflow succeeded)
	exitFailed      = 1   // the workflow ran and failed, or validation found errors
	exitUsage       = 2   // the command line, a document or a configuration is wrong
	exitInternal    = 3   // trama could not do its part: a report or the store could not be written, a server not started
	exitInterrupted = 130 // stopped by Ctrl-C (SIGINT) or SIGTERM, as shells report 128 + SIGINT
)

// exitError carries an exit code through cobra, which only knows errors.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr marks an error as the user's to fix (exit 2).
func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and returns the process exit code. Tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "trama:", ee.err)
		}
		return ee.code
	}
	// Cobra's own errors (unknown flag, missing argument) are usage errors.
	fmt.Fprintln(stderr, "trama:", err)
	return exitUsage
}

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "trama",
		Short: "Run Arazzo workflows, trigger them from Okta events, and emulate Okta",
		Long: `trama runs Arazzo workflows against OpenAPI-described APIs, runs them exactly once per Okta
event hook delivery, and emulates the Okta API so everything works offline.

Start with:
  trama demo                          the whole system in one command
  trama validate FILE...              check Arazzo documents and their source descriptions
  trama run FILE --workflow ID ...    run a workflow
  trama okta-emulator                 a local Okta org for tests`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetVersionTemplate("{{.Version}}")
	root.Version = versionText()
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr("%v (see 'trama %s --help')", err, c.Name())
	})
	for _, add := range subcommands {
		root.AddCommand(add())
	}
	return root
}

// subcommands lists the constructors of every subcommand; each file registers its own in init, so adding a
// subcommand touches one file.
var subcommands []func() *cobra.Command

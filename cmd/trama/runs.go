package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/report"
	"github.com/trama-dev/trama/store"
)

func init() { subcommands = append(subcommands, newRunsCmd) }

func newRunsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List and show the workflow runs of trama serve",
		Long: `runs reads trama serve's history from its store (the same data as GET /api/v1/runs): one run per
event and trigger, with its status, inputs and outputs (secrets masked) and each finished step.`,
	}
	cmd.AddCommand(newRunsListCmd(), newRunsShowCmd(), newRunsResolveCmd(), newRunsResumeCmd())
	return cmd
}

func newRunsListCmd() *cobra.Command {
	var sf storeFlags
	var status, trig, event, workflow, user, since, until string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List runs, newest first",
		Example: "  trama runs list --config trama.yaml --status failed\n  trama runs list --db trama.db --user ann@example.com --since 24h -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := sf.open(cmd.Context(), store.OpenReadOnly)
			if err != nil {
				return err
			}
			defer st.Close()
			// The flags are read as the API and the console read their query, by one parser.
			f, err := history.ParseRunFilter(query(map[string]string{"status": status, "trigger": trig, "event": event,
				"workflow": workflow, "user": user, "since": since, "until": until}))
			if err != nil {
				return usageErr("%v", err)
			}
			f.Page = sf.page
			runs, next, err := st.ListRuns(cmd.Context(), f)
			if err != nil {
				return storeErr(err)
			}
			if err := printPage(cmd, sf.output, history.NewPage(runs, next, history.ListedRun), history.WriteRuns); err != nil {
				return err
			}
			if sf.output == "json" || sf.page.After != "" || status != "" {
				return nil
			}
			return noteSkips(cmd, st, trig, event)
		},
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&status, "status", "", "only runs with this status: queued, running, retrying, uncertain, waiting, succeeded, failed")
	cmd.Flags().StringVar(&workflow, "workflow", "", "only runs of this workflowId")
	cmd.Flags().StringVar(&user, "user", "", "only runs about this Okta user (id or login)")
	cmd.Flags().StringVar(&since, "since", "", "only runs created since this time (RFC 3339, a date, or an age such as 24h)")
	cmd.Flags().StringVar(&until, "until", "", "only runs created before this time")
	cmd.Flags().StringVar(&trig, "trigger", "", "only runs of this trigger")
	cmd.Flags().StringVar(&event, "event", "", "only runs of this event uuid")
	sf.registerPage(cmd)
	return cmd
}

func newRunsShowCmd() *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:     "show RUN_ID",
		Short:   "Show one run with its steps",
		Example: "  trama runs show 01J8Z... --config trama.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := sf.open(cmd.Context(), store.OpenReadOnly)
			if err != nil {
				return err
			}
			defer st.Close()
			v, err := history.ShowRun(cmd.Context(), st, args[0])
			if err != nil {
				return storeErr(err)
			}
			if sf.output == "json" {
				return printJSON(cmd, v)
			}
			history.WriteRun(cmd.OutOrStdout(), v)
			return nil
		},
	}
	sf.register(cmd)
	return cmd
}

// printPage prints one page of a listing as JSON or as a table, with the cursor of the next page.
// skipWindow is how many of the latest events runs list looks through for skipped triggers.
const skipWindow = 100

// noteSkips tells, under the runs table, about recent events whose triggers matched but started no run
// (an ignoreActor loop guard, a false when): a run that is missing is otherwise invisible, since it
// was never created. It writes to stderr so the table stays the only thing on stdout.
func noteSkips(cmd *cobra.Command, st *store.Store, trig, event string) error {
	var events []store.Event
	if event != "" {
		e, err := st.GetEvent(cmd.Context(), event)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return storeErr(err)
		}
		if err == nil {
			events = append(events, e)
		}
	} else {
		var err error
		if events, _, err = st.ListEvents(cmd.Context(), store.EventFilter{Page: store.Page{Limit: skipWindow}}); err != nil {
			return storeErr(err)
		}
	}
	type key struct{ trigger, reason string }
	count := map[key]int{}
	var order []key
	detail := map[key]string{}
	for _, e := range events {
		for _, s := range e.Skipped {
			if trig != "" && s.Trigger != trig {
				continue
			}
			k := key{s.Trigger, s.Reason}
			if count[k] == 0 {
				order = append(order, k)
				detail[k] = s.Detail
			}
			count[k]++
		}
	}
	if len(order) == 0 {
		return nil
	}
	w := cmd.ErrOrStderr()
	fmt.Fprintf(w, "\nSkipped triggers (of the latest %d events; no run was created for these):\n", len(events))
	for _, k := range order {
		fmt.Fprintf(w, "  %s: %d× %s — %s\n", k.trigger, count[k], k.reason, detail[k])
	}
	fmt.Fprintln(w, "The OUTCOME column of trama events list shows each event's.")
	return nil
}

func printPage[T any](cmd *cobra.Command, output string, page history.Page[T], table func(io.Writer, []T)) error {
	if output == "json" {
		return printJSON(cmd, page)
	}
	table(cmd.OutOrStdout(), page.Items)
	if page.Next != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "more: --after %s\n", page.Next)
	}
	return nil
}

func printJSON(cmd *cobra.Command, v any) error { return report.WriteJSON(cmd.OutOrStdout(), v) }

// storeErr turns a store error into the CLI's exit codes: a missing row or a bad cursor is the user's to
// fix.
func storeErr(err error) error {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidCursor) {
		return usageErr("%v", err)
	}
	return &exitError{code: exitInternal, err: err}
}

// query builds a listing's query from flag values, leaving out the empty ones.
func query(flags map[string]string) url.Values {
	q := url.Values{}
	for k, v := range flags {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

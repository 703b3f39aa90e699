package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/store"
)

func init() { subcommands = append(subcommands, newEventsCmd) }

func newEventsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "List, show and replay the Okta events trama serve received",
		Long: `events reads the events trama serve stored (the same data as GET /api/v1/events). "show" prints the
event card — the fields of the Okta Workflows card, e.g. "User MFA Factor Activated" — and the event's
runs; "replay" runs the event's triggers again as new runs.`,
	}
	cmd.AddCommand(newEventsListCmd(), newEventsShowCmd(), newEventsReplayCmd())
	return cmd
}

func newEventsListCmd() *cobra.Command {
	var sf storeFlags
	var typ, source, user, outcome, since, until string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List events, newest first",
		Example: "  trama events list --type user.mfa.factor.activate",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := sf.open(cmd.Context(), store.OpenReadOnly)
			if err != nil {
				return err
			}
			defer st.Close()
			f, err := history.ParseEventFilter(query(map[string]string{"type": typ, "source": source, "user": user,
				"outcome": outcome, "since": since, "until": until}))
			if err != nil {
				return usageErr("%v", err)
			}
			f.Page = sf.page
			events, next, err := st.ListEvents(cmd.Context(), f)
			if err != nil {
				return storeErr(err)
			}
			return printPage(cmd, sf.output, history.NewPage(events, next, history.ListedEvent), history.WriteEvents)
		},
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&typ, "type", "", "only events of this eventType")
	cmd.Flags().StringVar(&source, "source", "", "only events that arrived this way: hook or poll")
	cmd.Flags().StringVar(&user, "user", "", "only events about this Okta user (id or login)")
	cmd.Flags().StringVar(&outcome, "outcome", "", "only events with this outcome: ran, skipped, duplicate, pending, none")
	cmd.Flags().StringVar(&since, "since", "", "only events published since this time (RFC 3339, a date, or an age such as 24h)")
	cmd.Flags().StringVar(&until, "until", "", "only events published before this time")
	sf.registerPage(cmd)
	return cmd
}

func newEventsShowCmd() *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "show UUID",
		Short: "Show an event's card and runs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := sf.open(cmd.Context(), store.OpenReadOnly)
			if err != nil {
				return err
			}
			defer st.Close()
			ev, err := history.ShowEvent(cmd.Context(), st, args[0])
			if err != nil {
				return storeErr(err)
			}
			if sf.output == "json" {
				return printJSON(cmd, ev)
			}
			history.WriteEvent(cmd.OutOrStdout(), ev)
			return nil
		},
	}
	sf.register(cmd)
	return cmd
}

func newEventsReplayCmd() *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "replay UUID",
		Short: "Run an event's triggers again",
		Long: `replay queues the event for dispatch again with the next replay number; the running trama serve
(or the next one to start) matches it against the current triggers and runs them as new runs.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := sf.open(cmd.Context(), store.OpenExisting)
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := st.Replay(cmd.Context(), args[0], operator())
			if err != nil {
				return storeErr(err)
			}
			if sf.output == "json" {
				return printJSON(cmd, map[string]any{"uuid": args[0], "replay": n})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "event %s queued for replay %d\n", args[0], n)
			return nil
		},
	}
	sf.register(cmd)
	return cmd
}

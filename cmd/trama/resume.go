package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/worker"
)

func newRunsResumeCmd() *cobra.Command {
	var sf storeFlags
	var inputs []string
	var by string
	cmd := &cobra.Command{
		Use:   "resume RUN_ID --input NAME=VALUE",
		Short: "Give a waiting run the input it waits for",
		Long: `A run waits when a step needs an input its trigger did not give and no input helper could supply: a
passcode that exists only once the factor is enrolled, an approval. "trama runs list --status waiting"
lists them; "trama runs show RUN_ID" says which input each waits for and until when. Supply it and the
running trama serve resumes the run at once, after its last finished step; the step that waited is the
first to run.

The value is recorded for the run only until it next ends and never shown: the history shows
secret-named inputs (passCode, token, …) as ****. Who supplied it is recorded in the run's history.`,
		Example: `  trama runs resume 01J8Z... --input passCode=123456 --config trama.yaml
  trama runs resume 01J8Z... --input approved=yes --db trama.db --by ann`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(inputs) == 0 {
				return usageErr("say what the run gets: --input NAME=VALUE (trama runs show %s says what it waits for)", args[0])
			}
			values := map[string]any{}
			for _, kv := range inputs {
				name, value, ok := strings.Cut(kv, "=")
				if !ok || name == "" {
					return usageErr("--input %q: want NAME=VALUE", kv)
				}
				values[name] = value
			}
			st, err := sf.open(cmd.Context(), store.OpenExisting)
			if err != nil {
				return err
			}
			defer st.Close()
			if by == "" {
				by = operator()
			}
			run, err := worker.Resume(cmd.Context(), st, args[0], values, by)
			return reportAction(cmd, sf, run, err, "resumed by "+by)
		},
	}
	sf.register(cmd)
	cmd.Flags().StringArrayVar(&inputs, "input", nil, "an input the run waits for, NAME=VALUE (repeatable)")
	cmd.Flags().StringVar(&by, "by", "", "who supplies it, for the run's history (default: your login name)")
	return cmd
}

// reportAction ends an operator's action on a run (resolve, resume): a run that is not in the state the
// action needs is a usage error, a store failure the store's; then the run as it is now, as JSON or a line.
func reportAction(cmd *cobra.Command, sf storeFlags, run store.Run, err error, what string) error {
	if errors.Is(err, store.ErrConflict) {
		return usageErr("%v", err)
	}
	if err != nil {
		return storeErr(err)
	}
	if sf.output == "json" {
		return printJSON(cmd, history.FromRun(run, nil))
	}
	fmt.Fprintf(cmd.OutOrStdout(), "run %s %s: now %s\n", run.ID, what, run.Status)
	return nil
}

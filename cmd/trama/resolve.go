package main

import (
	"github.com/spf13/cobra"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/worker"
)

func newRunsResolveCmd() *cobra.Command {
	var sf storeFlags
	var resend, skip, fail bool
	var reason, by string
	cmd := &cobra.Command{
		Use:   "resolve RUN_ID (--resend | --skip | --fail)",
		Short: "Decide what an uncertain run does with the request it is unsure of",
		Long: `A run stops as uncertain when its worker was interrupted after recording that it was about to send a
request, and trama cannot tell whether the request reached the API: sending a POST twice can enroll a
factor twice or send a second SMS. "trama runs show RUN_ID" shows the request in doubt. Check the API
(for example the user's factors in Okta), then decide:

  --resend  the request did not take effect: send it again and go on
  --skip    it did take effect: go on with the next step without sending it (the step has no outputs)
  --fail    stop here: finish the run as failed

The decision, who made it and why are recorded in the run's history. The running trama serve picks the
run up at once.`,
		Example: `  trama runs resolve 01J8Z... --resend --reason "factor not enrolled in Okta" --config trama.yaml
  trama runs resolve 01J8Z... --skip --db trama.db`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			action := ""
			n := 0
			for _, f := range []struct {
				set  bool
				name string
			}{{resend, "resend"}, {skip, "skip"}, {fail, "fail"}} {
				if f.set {
					action, n = f.name, n+1
				}
			}
			if n != 1 {
				return usageErr("say what the run does with the request in doubt: exactly one of --resend, --skip, --fail")
			}
			st, err := sf.open(cmd.Context(), store.OpenExisting)
			if err != nil {
				return err
			}
			defer st.Close()
			if by == "" {
				by = operator()
			}
			run, err := worker.Resolve(cmd.Context(), st, args[0], action, by, reason)
			return reportAction(cmd, sf, run, err, "resolved ("+action+" by "+by+")")
		},
	}
	sf.register(cmd)
	cmd.Flags().BoolVar(&resend, "resend", false, "send the request in doubt again")
	cmd.Flags().BoolVar(&skip, "skip", false, "go on without sending it: it took effect")
	cmd.Flags().BoolVar(&fail, "fail", false, "finish the run as failed")
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the run's history")
	cmd.Flags().StringVar(&by, "by", "", "who decides, for the run's history (default: your login name)")
	return cmd
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/inputhelper"
	"github.com/trama-dev/trama/natsbroker"
	"github.com/trama-dev/trama/okta/eventstream"
	"github.com/trama-dev/trama/ratelimit"
	"github.com/trama-dev/trama/report"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/secret"
	"github.com/trama-dev/trama/tracing"
)

func init() { subcommands = append(subcommands, newRunCmd) }

type runFlags struct {
	workflow       string
	inputs         []string
	inputsFile     string
	servers        []string
	serverVars     []string
	sources        []string
	credentials    string
	credentialArgs []string
	output         string
	har            string
	junit          string
	strict         bool
	noRemote       bool
	noPrompt       bool
	inputHelpers   []string
	allowUnknown   bool
	timeout        time.Duration
	requestTimeout time.Duration
	maxSteps       int
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run an Arazzo workflow",
		Long: `Run validates an Arazzo document and runs one of its workflows over HTTP, printing one line per
step as it happens (or one JSON document with --output json).

Inputs come from --inputs FILE (JSON or YAML) and --input NAME=VALUE (coerced to the type the workflow's
inputs schema declares; later flags win). They are checked against the schema before the first request.
An input the workflow needs only later (a passcode that exists only after enrollment) may be left out: on
a terminal trama asks for it when it is first needed, showing what earlier steps returned (for a TOTP
enrollment, the secret and an otpauth:// URI).

Secrets — inputs whose schema says format: password or whose name says token, secret, password or key,
the Authorization and DPoP headers, cookies and every credential value — are masked as **** in
everything trama prints or writes.

` + credentialsHelp + `

A --server, --server-var, --source or credential name the document does not have, an input the workflow does not
declare, or a field its objects do not have stops the run before any request, with a suggestion:
a typo would otherwise be ignored (a misspelt --server would send the token to the description's
server). --allow-unknown runs anyway.

Exit status: 0 the workflow succeeded; 1 it failed; 2 the command, the document or the inputs are
wrong (nothing was sent); 3 trama could not write a report; 130 interrupted (Ctrl-C), naming the step in
flight, whose request may or may not have reached the server.`,
		Example: `  trama run enroll.arazzo.yaml --workflow enroll-and-activate-factor \
      --server oktaApi=http://127.0.0.1:8080 --input userId=00u1 --input oktaApiToken=$TOKEN \
      --input factorType=token:software:totp --input provider=GOOGLE
  trama run wf.yaml --inputs inputs.json --output json --junit report.xml
  trama run okta-reset-and-reenroll-factor-workflow.yml --credentials okta-app.yaml \
      --server oktaApi=https://example.okta.com --input userId=00u1 --input factorType=sms --input provider=OKTA`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.workflow, "workflow", "w", "", "workflowId to run (default: the document's only workflow)")
	fl.StringArrayVarP(&f.inputs, "input", "i", nil, "workflow input NAME=VALUE (repeatable)")
	fl.StringVar(&f.inputsFile, "inputs", "", "file with the workflow inputs as a JSON or YAML object")
	fl.StringArrayVar(&f.servers, "server", nil, "base URL for a source description: NAME=URL (repeatable)")
	fl.StringArrayVar(&f.serverVars, "server-var", nil, "OpenAPI server variable NAME=VALUE (repeatable)")
	fl.StringArrayVar(&f.sources, "source", nil, "replace a source description's URL: NAME=PATH|URL (repeatable)")
	fl.StringVar(&f.credentials, "credentials", "", "authenticate source descriptions with the credentials in FILE (see Credentials above)")
	fl.StringArrayVar(&f.credentialArgs, "credential", nil, "a credential key SOURCE.KEY=VALUE, e.g. oktaApi.clientId=0oa1… (repeatable; overrides --credentials)")
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	fl.StringVar(&f.har, "har", "", "write the HTTP exchanges to FILE as HAR 1.2 (secrets masked)")
	fl.StringVar(&f.junit, "junit", "", "write one JUnit test case per step to FILE")
	fl.BoolVar(&f.strict, "strict", false, "turn off compatibility mode: a bare $expression inside a string is an error and nothing is run")
	fl.BoolVar(&f.noRemote, "no-remote-sources", false, "refuse http(s) source descriptions that documents name (use --source NAME=PATH instead)")
	fl.BoolVar(&f.noPrompt, "no-prompt", false, "never ask for missing inputs, even on a terminal")
	fl.StringArrayVar(&f.inputHelpers, "input-helper", nil, "supply a missing input when the run needs it: totp, okta-emulator=URL, or a command (repeatable; tried in order, before the terminal)")
	fl.BoolVar(&f.allowUnknown, "allow-unknown", false, "run even with inputs the workflow does not declare or fields the document's objects do not have (they are ignored)")
	fl.DurationVar(&f.timeout, "timeout", 0, "bound the whole run (e.g. 2m); 0 means no bound")
	fl.DurationVar(&f.requestTimeout, "request-timeout", runner.DefaultRequestTimeout, "bound each HTTP request")
	fl.IntVar(&f.maxSteps, "max-steps", runner.DefaultMaxSteps, "bound the step executions of the run (goto loops, retries)")
	registerRunCompletion(cmd, &f)
	return cmd
}

func runRun(cmd *cobra.Command, file string, f runFlags) error {
	ctx := cmd.Context()
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := outputFormat("output", f.output, "text", "json"); err != nil {
		return err
	}
	sources, err := parsePairs("source", f.sources)
	if err != nil {
		return err
	}
	servers, err := parsePairs("server", f.servers)
	if err != nil {
		return err
	}
	for name, u := range servers {
		if servers[name], err = serverURL(name, u); err != nil {
			return err
		}
	}
	serverVars, err := parsePairs("server-var", f.serverVars)
	if err != nil {
		return err
	}

	loader := &arazzo.Loader{Sources: sources, AllowHTTP: !f.noRemote}
	bundle, err := loader.Load(ctx, file)
	if err != nil {
		return usageErr("%v", err)
	}
	if err := checkSourceNames(bundle.Root, sources); err != nil {
		return err
	}
	diags := bundle.Validate(arazzo.ValidateOptions{Strict: f.strict, Authority: oktaAuthority})
	blocking := func(d arazzo.Diagnostic) bool {
		return d.Severity == arazzo.Error || (d.Code == "unknown-field" && !f.allowUnknown)
	}
	if slices.ContainsFunc(diags, blocking) {
		for _, d := range diags {
			if blocking(d) {
				fmt.Fprintln(stderr, d.String())
			}
		}
		if !arazzo.HasErrors(diags) {
			return usageErr("%s has fields trama does not know (a typo would be silently ignored); fix them, or run anyway with --allow-unknown; nothing was run", file)
		}
		return usageErr("%s has errors; nothing was run", file)
	}
	if n := len(diags); n > 0 && f.output == "text" {
		fmt.Fprintf(stderr, "%s: %s (see 'trama validate %s')\n", file, plural(n, "warning"), file)
	}

	workflowID := f.workflow
	if workflowID == "" {
		if len(bundle.Root.Workflows) != 1 {
			return usageErr("%s has %d workflows: choose one with --workflow (%s)", file, len(bundle.Root.Workflows), workflowList(bundle.Root))
		}
		workflowID = bundle.Root.Workflows[0].WorkflowID
	}
	wf := bundle.Root.Workflow(workflowID)
	if wf == nil {
		return usageErr("%s has no workflow %q (it has %s)", file, workflowID, workflowList(bundle.Root))
	}
	inputs, err := collectInputs(wf, f.inputsFile, f.inputs)
	if err != nil {
		return err
	}
	if !f.allowUnknown {
		if unknown := runner.UnknownInputs(bundle.Root, wf, slices.Sorted(maps.Keys(inputs))); len(unknown) > 0 {
			return usageErr("%s\n(a misspelt optional input would be ignored and its default used; pass --allow-unknown to run anyway)", strings.Join(unknown, "\n"))
		}
	}

	secrets := &secret.Set{}
	auths, err := loadCredentials(f.credentials, f.credentialArgs, secrets)
	if err != nil {
		return err
	}
	obs := &cliObserver{secrets: secrets}
	if f.output == "text" {
		obs.progress = stdout
	}
	if f.har != "" {
		obs.har = newHARRecorder(version)
	}
	// The report files are checked before the first request: a run that changed the world must not end
	// in an error about where to write what happened.
	for flag, path := range map[string]string{"har": f.har, "junit": f.junit} {
		if err := checkWritable(flag, path); err != nil {
			return err
		}
	}
	// Okta's strict rate limits: a request that would exceed the endpoint's budget waits for the reset,
	// and a 429 is waited out and sent again, instead of failing the step.
	budget := &ratelimit.Budget{Key: ratelimit.OktaKey}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	opts := runner.Options{
		HTTPClient:      &http.Client{Transport: tracing.Transport(budget.Transport(transport))},
		Authenticators:  auths,
		Servers:         servers,
		ServerVariables: serverVars,
		Strict:          f.strict,
		Observer:        obs,
		Secrets:         secrets,
		MaxSteps:        f.maxSteps,
		RequestTimeout:  f.requestTimeout,
		Timeout:         f.timeout,
		UserAgent:       "trama/" + version,
	}
	// AsyncAPI steps: Okta's event stream is read from the System Log, with the step's Authorization or
	// the credential given for the events source; other channels go to NATS.
	broker := natsbroker.New(natsbroker.Options{})
	defer broker.Close()
	opts.Messenger = messengers(opts.HTTPClient, auths, broker)
	var providers inputhelper.Chain
	for _, spec := range f.inputHelpers {
		h, err := inputhelper.Parse(spec, secrets)
		if err != nil {
			return usageErr("--input-helper: %v", err)
		}
		providers = append(providers, h)
	}
	if !f.noPrompt && isTerminal(cmd.InOrStdin()) {
		providers = append(providers, &terminalPrompt{in: cmd.InOrStdin(), out: stderr})
	}
	if len(providers) > 0 {
		opts.InputProvider = providers
	}
	r := runner.New(bundle, opts)
	if err := r.CheckOverrides(); err != nil {
		return usageErr("%v", err)
	}
	// With OTEL_* set, the run is one trace: the workflow's span, a span per step, one per request.
	stopTracing, err := tracing.Start(ctx, "trama")
	if err != nil {
		return usageErr("%v", err)
	}
	defer stopTracing(context.WithoutCancel(ctx))
	tctx, span := tracing.Tracer().Start(ctx, "trama run "+workflowID)
	res, err := r.Run(tctx, workflowID, inputs)
	span.End()
	if err != nil {
		explainMissing(err, opts.InputProvider != nil, f.noPrompt)
		return usageErr("%s", secrets.Redact(err.Error()))
	}
	if err := writeReports(f, obs, res, secrets); err != nil {
		return &exitError{code: exitInternal, err: err}
	}
	if ctx.Err() != nil {
		// Interrupted (Ctrl-C): say where, and that the request in flight may have been sent.
		msg := "interrupted"
		if step := obs.stepInFlight(); step != "" {
			msg += " during step " + step + "; its request may or may not have reached the server"
		}
		if f.output == "json" {
			report.WriteJSON(stdout, res)
		}
		return &exitError{code: exitInterrupted, err: fmt.Errorf("%s", msg)}
	}
	if f.output == "json" {
		if err := report.WriteJSON(stdout, res); err != nil {
			return err
		}
	} else {
		printSummary(stdout, res)
	}
	if res.Status != runner.StatusSucceeded {
		return &exitError{code: exitFailed, err: fmt.Errorf("")}
	}
	return nil
}

func workflowList(doc *arazzo.Document) string {
	s := ""
	for i, w := range doc.Workflows {
		if i > 0 {
			s += ", "
		}
		s += w.WorkflowID
	}
	if s == "" {
		return "none"
	}
	return s
}

// collectInputs merges --inputs FILE and --input flags (flags win), coercing flag values by the schema.
func collectInputs(wf *arazzo.Workflow, file string, flags []string) (map[string]any, error) {
	inputs := map[string]any{}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, usageErr("--inputs: %v", err)
		}
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, usageErr("--inputs %s: not JSON or YAML: %v", file, err)
		}
		m, ok := v.(map[string]any)
		if !ok && v != nil {
			return nil, usageErr("--inputs %s: want an object of input names to values", file)
		}
		for k, x := range m {
			inputs[k] = x
		}
	}
	pairs, err := parsePairs("input", flags)
	if err != nil {
		return nil, err
	}
	for name, text := range pairs {
		v, err := runner.CoerceInput(wf.Inputs, name, text)
		if err != nil {
			return nil, usageErr("--input %v", err)
		}
		inputs[name] = v
	}
	return inputs, nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// explainMissing says, for each missing required input, how to give it: trama asks for an input when it
// is first needed only on a terminal, so in CI and scripts it must come from a flag or a file.
func explainMissing(err error, prompting, noPrompt bool) {
	var ie *runner.InputError
	if !errors.As(err, &ie) || prompting {
		return
	}
	why := "stdin is not a terminal"
	if noPrompt {
		why = "--no-prompt is set"
	}
	for i, p := range ie.Problems {
		if p.Message == runner.MissingInput {
			name := strings.TrimPrefix(p.Path, "/")
			ie.Problems[i].Message = fmt.Sprintf("%s: on a terminal trama would ask for it when first needed, but %s; "+
				"give it with --input %s=VALUE or in --inputs FILE, or name an --input-helper that supplies it "+
				"(totp for a code of a TOTP factor the run enrolls)", runner.MissingInput, why, name)
		}
	}
}

// messengers routes the channels of a run's AsyncAPI steps: Okta's event stream to the System Log API,
// every other channel to the broker its server names (NATS).
func messengers(client *http.Client, auths map[string]runner.Authenticator, broker runner.Messenger) runner.Messenger {
	return runner.Route(func(ch runner.Channel) (runner.Messenger, error) {
		if eventstream.IsOkta(ch.Address) {
			return &eventstream.SystemLog{HTTPClient: client, Auth: auths[ch.Source]}, nil
		}
		return broker, nil
	})
}

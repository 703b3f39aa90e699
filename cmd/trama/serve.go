package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/server"
	"github.com/trama-dev/trama/tracing"
)

func init() { subcommands = append(subcommands, newServeCmd) }

type serveFlags struct {
	config    string
	listen    string
	logLevel  string
	logFormat string
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Receive Okta event hooks and run the workflows bound to them",
		Long: `serve receives Okta event hooks on the paths of the configuration's hooks, stores every delivery and
event durably before acknowledging it, and runs the workflows of the triggers each event fires — exactly
once per event uuid, however often Okta delivers it. Each finished step is checkpointed, so a run
interrupted by a crash resumes after its last finished step when serve starts again.

It also serves /healthz, /metrics (Prometheus) and, when api.token is set, the history API
(/api/v1/runs, /api/v1/events, POST /api/v1/events/{uuid}/replay) and the web console at /console/,
where you sign in with that token. See docs/triggers.md for the configuration file and docs/console.md
for the console.

serve runs Go's garbage collector at GOGC=400 (a quarter as often as Go's default) unless GOGC is set in
its environment: more runs per second for about 20 MiB more memory (docs/deploy.md).`,
		Example: `  TRAMA_HOOK_SECRET=s3cret trama serve --config trama.yaml
  trama serve --config trama.yaml --listen :8787 --log-format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runServe(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.config, "config", "c", "trama.yaml", "configuration file")
	fl.StringVar(&f.listen, "listen", "", "host:port to listen on (default: the configuration's listen, else "+config.DefaultListen+")")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	return cmd
}

func newLogger(w *os.File, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageErr("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageErr("--log-format %q: want text or json", format)
}

func runServe(cmd *cobra.Command, f serveFlags) error {
	ctx := cmd.Context()
	tuneServeGC()
	logger, err := newLogger(os.Stderr, f.logLevel, f.logFormat)
	if err != nil {
		return err
	}
	cfg, err := config.Load(f.config, nil)
	if err != nil {
		return usageErr("%v", err)
	}
	addr := cfg.Listen
	if f.listen != "" {
		addr = f.listen
	}
	stopTracing, err := tracing.Start(ctx, "trama")
	if err != nil {
		return usageErr("%v", err)
	}
	defer stopTracing(context.WithoutCancel(ctx))
	srv, err := server.Open(ctx, cfg, server.Options{Logger: logger})
	if err != nil {
		return usageErr("%v", err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageErr("listen %s: %v", addr, err)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "trama serve on http://%s\n", ln.Addr())
	for _, h := range cfg.Hooks {
		fmt.Fprintf(out, "  hook %-12s POST/GET %s\n", h.Name, h.Path)
	}
	var names []string
	for _, t := range cfg.Triggers {
		names = append(names, t.Name+" ("+strings.Join(t.On, ", ")+")")
	}
	fmt.Fprintf(out, "  triggers: %s\n  store: %s\n", strings.Join(names, "; "), cfg.Store.Driver)
	if cfg.API.Enabled() {
		fmt.Fprintf(out, "  API: http://%s/api/v1/runs (Authorization: Bearer <api.token>)\n", ln.Addr())
	}
	if u := srv.ConsoleURL("http://" + ln.Addr().String()); u != "" {
		fmt.Fprintf(out, "  console: %s (sign in with api.token)\n", u)
	}
	if tracing.Enabled(nil) {
		fmt.Fprintf(out, "  traces: OpenTelemetry over OTLP (OTEL_* environment), one trace per event\n")
	}
	if err := srv.Serve(ctx, ln); err != nil {
		return &exitError{code: exitInternal, err: err}
	}
	return nil
}

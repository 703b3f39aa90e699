package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/console"
	"github.com/trama-dev/trama/store"
)

func init() { subcommands = append(subcommands, newConsoleCmd) }

func newConsoleCmd() *cobra.Command {
	var sf storeFlags
	var addr string
	cmd := &cobra.Command{
		Use:   "console",
		Short: "Browse a store's history in the web console, read-only, on this machine",
		Long: `console serves the web console trama serve has, read-only, over a store file or database: the runs
and events, each run's steps with their requests, responses and criteria, each event's card. Nothing can be
replayed, resolved or resumed from it (no queue works the store here): use trama serve's console or the
trama events and trama runs commands for that.

It listens on loopback. You sign in with a token: the configuration's api.token when --config has one,
else $TRAMA_API_TOKEN, else a fresh one written to a file only you can read, whose path is printed (never
the token itself).`,
		Example: `  trama console --db trama.db
  trama console --config trama.yaml --addr 127.0.0.1:8790`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runConsole(cmd, sf, addr) },
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8788", "address to listen on (port 0 picks a free one)")
	return cmd
}

func runConsole(cmd *cobra.Command, sf storeFlags, addr string) error {
	ctx := cmd.Context()
	st, err := sf.open(ctx, store.OpenReadOnly)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg := &config.Config{}
	if sf.db == "" {
		if cfg, err = config.Load(sf.config, nil); err != nil {
			return usageErr("%v", err)
		}
	}
	out := cmd.OutOrStdout()
	if cfg.API.Token == "" {
		cfg.API.Token = os.Getenv("TRAMA_API_TOKEN")
	}
	tokenNote := "sign in with api.token"
	if cfg.API.Token == "" {
		tok, path, err := writeConsoleToken()
		if err != nil {
			return err
		}
		cfg.API.Token, tokenNote = tok, "sign in with the token in "+path
		defer os.RemoveAll(filepath.Dir(path))
	}
	c, err := console.New(console.Options{Store: st, Config: cfg, ReadOnly: true,
		Logger: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return usageErr("%v", err)
	}
	defer c.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageErr("--addr %s: %v", addr, err)
	}
	srv := &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "trama console (read-only) on http://%s%s — %s\nPress Ctrl+C to stop.\n", ln.Addr(), console.Prefix, tokenNote)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return &exitError{code: exitInternal, err: err}
		}
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}

// writeConsoleToken makes a sign-in token for this console and writes it to a file only the user can
// read, so it reaches no terminal scrollback or log.
func writeConsoleToken() (token, path string, err error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	dir, err := os.MkdirTemp("", "trama-console-")
	if err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, "token")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", "", err
	}
	return token, path, nil
}

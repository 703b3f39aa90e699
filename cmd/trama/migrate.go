package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/trama-dev/trama/server"
)

func init() { subcommands = append(subcommands, newMigrateCmd) }

func newMigrateCmd() *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the store's tables, then exit",
		Long: `migrate brings the store's schema up to date and exits. trama serve does the same when it starts, so
migrate is optional; run it as a deployment step when you want schema changes to happen once, before
new replicas start, rather than inside the first replica to start.

On PostgreSQL the migrations run under an advisory lock: replicas and migrate commands started at the same
moment wait for each other, and the ones that come second find nothing to do.`,
		Example: `  trama migrate --config trama.yaml
  trama migrate --db "postgres://trama:$PASSWORD@db.internal:5432/trama?sslmode=require"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := sf.store()
			if err != nil {
				return err
			}
			logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			st, err := server.OpenStore(cmd.Context(), sc, server.StoreOptions{Logger: logger})
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			if err := st.Close(); err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			// The URL is not echoed: it may hold a password.
			fmt.Fprintf(cmd.OutOrStdout(), "%s store is up to date\n", driverName(sc.Driver))
			return nil
		},
	}
	cmd.Flags().StringVar(&sf.db, "db", "", "store to migrate: a SQLite file (sqlite:PATH or PATH) or a postgres:// URL (default: the store of --config)")
	cmd.Flags().StringVarP(&sf.config, "config", "c", "trama.yaml", "trama serve configuration whose store to migrate")
	return cmd
}

func driverName(driver string) string {
	if driver == "postgres" {
		return "PostgreSQL"
	}
	return "SQLite"
}

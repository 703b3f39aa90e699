package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/server"
	"github.com/trama-dev/trama/store"
)

// storeFlags locate the store for the history commands: --db names it directly, otherwise the store of
// --config is used.
type storeFlags struct {
	db     string
	config string
	output string
	page   store.Page // listings only
}

func (f *storeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.db, "db", "", "store to read: a SQLite file (sqlite:PATH or PATH) or a postgres:// URL (default: the store of --config)")
	cmd.Flags().StringVarP(&f.config, "config", "c", "trama.yaml", "trama serve configuration whose store to read")
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "output format: text or json")
}

// registerPage adds the paging flags of a listing.
func (f *storeFlags) registerPage(cmd *cobra.Command) {
	cmd.Flags().IntVar(&f.page.Limit, "limit", store.DefaultPageSize, "page size")
	cmd.Flags().StringVar(&f.page.After, "after", "", "cursor of the next page, as printed by the previous page")
}

// open opens the store for a history command: read-only, or for writing with store.OpenExisting. It
// never creates one: a mistyped --db is an error naming the path, not an empty listing.
func (f *storeFlags) open(ctx context.Context, mode store.OpenMode) (*store.Store, error) {
	if err := outputFormat("output", f.output, "text", "json"); err != nil {
		return nil, err
	}
	sc, err := f.store()
	if err != nil {
		return nil, err
	}
	st, err := server.OpenStore(ctx, sc, server.StoreOptions{Mode: mode, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return st, nil
}

// store resolves --db, or else the store of --config. A postgres:// URL is kept whole (it may carry
// pgxpool and trama_* parameters); errors never repeat it, since it may hold a password.
func (f *storeFlags) store() (config.Store, error) {
	var sc config.Store
	if f.db != "" {
		switch {
		case strings.HasPrefix(f.db, "postgres://"), strings.HasPrefix(f.db, "postgresql://"):
			sc = config.Store{URL: f.db, Driver: "postgres", DSN: f.db}
		default:
			path := strings.TrimPrefix(strings.TrimPrefix(f.db, "sqlite:"), "//")
			abs, err := filepath.Abs(path)
			if err != nil {
				return sc, usageErr("--db %s: %v", f.db, err)
			}
			sc = config.Store{URL: f.db, Driver: "sqlite", DSN: abs}
		}
	} else {
		st, err := config.LoadStore(f.config, nil)
		if err != nil {
			return sc, usageErr("%v (or name the store with --db)", err)
		}
		sc = st
	}
	return sc, nil
}

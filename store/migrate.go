package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrate applies the driver's schema files in name order (NNN_name.sql). Each runs in its own
// transaction together with its schema_migrations row, so a crash leaves the schema at a known version,
// and all of them run under the driver's migration lock, so replicas starting together migrate once.
// Files are never edited once released: a change is a new file.
func migrate(ctx context.Context, drv Driver, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	unlock, err := drv.LockMigrations(ctx, conn)
	if err != nil {
		return fmt.Errorf("migrate: take the migration lock: %w", err)
	}
	defer unlock()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	files := drv.Migrations()
	names, err := fs.Glob(files, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	for _, path := range names {
		name := strings.TrimPrefix(path, "migrations/")
		num, _, ok := strings.Cut(name, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("migration %q: name must start with a number and an underscore", name)
		}
		if err := applyMigration(ctx, conn, files, version, name); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, conn *sql.Conn, files fs.FS, version int, name string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(files, "migrations/"+name)
	if err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	// Without arguments, both drivers run a text of several statements as a script.
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		version, name, time.Now().UnixNano()); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	return nil
}

// checkSchema refuses to read a store whose schema is older than this trama's: its queries would fail
// with missing columns. A read-only open may not migrate it.
func checkSchema(ctx context.Context, drv Driver, db *sql.DB) error {
	names, err := fs.Glob(drv.Migrations(), "migrations/*.sql")
	if err != nil {
		return err
	}
	var applied int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&applied); err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	if applied < len(names) {
		return fmt.Errorf("the store was written by an older trama (schema %d of %d); run trama migrate, or start trama serve once, to upgrade it", applied, len(names))
	}
	return nil
}

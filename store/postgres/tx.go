package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// txAttempts bounds how often a transaction is retried after PostgreSQL aborted it to break a deadlock or
// a serialization conflict. Ingestion takes its row locks in sorted order, so these are rare; retrying
// here instead of answering 500 spares Okta a redelivery.
const txAttempts = 3

// inTx runs fn in a transaction and commits it, retrying the whole transaction when PostgreSQL aborted
// it as a deadlock victim or for a serialization failure. fn must therefore only touch the database
// through tx (and may run more than once).
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	var err error
	for range txAttempts {
		if err = s.tx(ctx, fn); !retryable(err) {
			return err
		}
	}
	return err
}

func (s *Store) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports a deadlock (40P01) or serialization failure (40001).
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

func asPgError(err error, pe **pgconn.PgError) bool { return errors.As(err, pe) }

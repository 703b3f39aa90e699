package store

import (
	"context"
	"database/sql"
	"fmt"
)

// txAttempts bounds how often a transaction runs again after the database aborted it to break a
// deadlock or a serialization conflict. Ingestion takes its row locks in key order, so these are rare;
// running again here instead of answering 500 spares Okta a redelivery.
const txAttempts = 3

// inTx runs fn in a write transaction and commits it. fn must touch the database only through tx, since
// it may run more than once. ingest marks the acknowledgement path (see Driver.BeginWrite).
func (s *Store) inTx(ctx context.Context, ingest bool, fn func(tx *sql.Tx) error) error {
	var err error
	for range txAttempts {
		if err = s.tx(ctx, ingest, fn); err == nil || !s.drv.Retryable(err) {
			return err
		}
	}
	return err
}

// queueTx is inTx for the queue's transactions (dispatches, claims and finishes): fn runs after the
// dialect's QueuePlan, where it has one, has set the planner for them.
func (s *Store) queueTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.inTx(ctx, false, func(tx *sql.Tx) error {
		if s.dialect.QueuePlan != "" {
			if _, err := tx.ExecContext(ctx, s.dialect.QueuePlan); err != nil {
				return fmt.Errorf("steer the queue's plans: %w", err)
			}
		}
		return fn(tx)
	})
}

func (s *Store) tx(ctx context.Context, ingest bool, fn func(tx *sql.Tx) error) (err error) {
	end := s.drv.BeginWrite(ingest)
	committed := false
	defer func() { end(committed) }()
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	committed = true
	return nil
}

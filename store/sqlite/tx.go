package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// inTx runs fn in a write transaction (BEGIN IMMEDIATE, from the DSN's _txlock) and commits it, giving
// way to any acknowledgement waiting for the write connection.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.gate.RLock()
	defer s.gate.RUnlock()
	return s.tx(ctx, fn)
}

// ingestTx is inTx for the acknowledgement path, ahead of the workers.
func (s *Store) ingestTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.gate.Lock()
	defer s.gate.Unlock()
	return s.tx(ctx, fn)
}

func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
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
	s.lastWrite.Store(time.Now().UnixNano())
	return nil
}

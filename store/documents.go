package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PutDocument stores content under its digest, once: a workflow document or source description that a
// run was pinned to, so that any replica can run exactly that version later, whatever its own files say
// by then. Storing a digest that exists is a no-op; the caller computes digest from content.
func (s *Store) PutDocument(ctx context.Context, digest string, content []byte) error {
	err := s.inTx(ctx, false, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO documents (digest, content, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (digest) DO NOTHING`, text(digest), content, time.Now().UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("store document %s: %w", digest, err)
	}
	return nil
}

// HasDocument reports whether a document with digest is stored.
func (s *Store) HasDocument(ctx context.Context, digest string) (bool, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM documents WHERE digest = $1`, text(digest)).Scan(&n); err != nil {
		return false, fmt.Errorf("document %s: %w", digest, err)
	}
	return n > 0, nil
}

// GetDocument returns the content stored under digest.
func (s *Store) GetDocument(ctx context.Context, digest string) ([]byte, error) {
	var content []byte
	err := s.read.QueryRowContext(ctx, `SELECT content FROM documents WHERE digest = $1`, text(digest)).Scan(&content)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("document %s: %w", digest, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("document %s: %w", digest, err)
	}
	return content, nil
}

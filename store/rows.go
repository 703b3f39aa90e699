package store

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
)

// placeholders is the parameter list of an IN (…) for n values bound after the first `after` arguments:
// "$after+1, …, $after+n".
func placeholders(after, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(after + i + 1))
	}
	return b.String()
}

// deleteIn deletes the rows of table whose column holds one of values, a statement per maxParams values.
func deleteIn[T any](ctx context.Context, tx *sql.Tx, table, column string, values []T) error {
	for chunk := range slices.Chunk(values, maxParams) {
		args := make([]any, len(chunk))
		for i, v := range chunk {
			args[i] = v
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+column+` IN (`+placeholders(0, len(chunk))+`)`, args...); err != nil {
			return err
		}
	}
	return nil
}

// maxParams bounds the parameters of one statement, under SQLite's limit (32766) and PostgreSQL's
// (65535), so that a batch of any size is written in as few statements as the drivers allow.
const maxParams = 30000

// sqlExpr is a value insertRows writes into the statement as it is, not as a parameter: the database's
// clock (Store.now), so that times the queue compares with it come from the same clock.
type sqlExpr string

// insertRows inserts rows (each as long as columns) into table with multi-row INSERT statements: one
// round trip for a batch instead of one per row, which on PostgreSQL is most of the cost of a run.
// suffix follows the VALUES list (e.g. an ON CONFLICT clause); each statement's rows, if it returns
// any (RETURNING in suffix), are passed to scan.
func insertRows(ctx context.Context, tx *sql.Tx, table string, columns []string, rows [][]any, suffix string,
	scan func(*sql.Rows) error) error {
	per := max(1, maxParams/len(columns))
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var b strings.Builder
		b.WriteString("INSERT INTO ")
		b.WriteString(table)
		b.WriteString(" (")
		b.WriteString(strings.Join(columns, ", "))
		b.WriteString(") VALUES ")
		args := make([]any, 0, len(chunk)*len(columns))
		for i, row := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j, v := range row {
				if j > 0 {
					b.WriteString(", ")
				}
				if e, ok := v.(sqlExpr); ok {
					b.WriteString(string(e))
					continue
				}
				args = append(args, v)
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(len(args)))
			}
			b.WriteByte(')')
		}
		b.WriteString(suffix)
		if scan == nil {
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				return err
			}
			continue
		}
		rs, err := tx.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return err
		}
		for rs.Next() {
			if err := scan(rs); err != nil {
				rs.Close()
				return err
			}
		}
		if err := rs.Close(); err != nil {
			return err
		}
		if err := rs.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Package pgtest gives tests a PostgreSQL database: the one TRAMA_TEST_POSTGRES_URL names (CI's, see
// .ci/run), or else a throwaway database on the local server, if one answers on 127.0.0.1:5432 or the
// usual Unix socket and lets its postgres role create databases. Without either, the tests that need it
// fail and say how to provide one, unless TRAMA_TEST_POSTGRES=skip: a PostgreSQL suite that silently did
// not run would look like one that passed.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	dbURL   string
	problem string
)

// candidates are the local servers tried when TRAMA_TEST_POSTGRES_URL is not set.
var candidates = []string{
	"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=2",
	"postgres:///postgres?host=/var/run/postgresql&user=postgres&connect_timeout=2",
}

// Main is TestMain for a package whose tests need PostgreSQL: it finds or makes the database, runs the
// tests (m is a *testing.M, or something that wraps one) and drops a database it made.
func Main(m interface{ Run() int }) {
	drop := setup()
	code := m.Run()
	if drop != nil {
		drop()
	}
	os.Exit(code)
}

func setup() (drop func()) {
	if u := os.Getenv("TRAMA_TEST_POSTGRES_URL"); u != "" {
		dbURL = u
		return nil
	}
	if os.Getenv("TRAMA_TEST_POSTGRES") == "skip" {
		problem = "TRAMA_TEST_POSTGRES=skip"
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	for _, c := range candidates {
		conn, err := pgx.Connect(ctx, c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		name := fmt.Sprintf("trama_test_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
		_, err = conn.Exec(ctx, `CREATE DATABASE `+name)
		conn.Close(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		u, _ := url.Parse(c)
		u.Path = "/" + name
		dbURL = u.String()
		return func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if conn, err := pgx.Connect(ctx, c); err == nil {
				conn.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
				conn.Close(ctx)
			}
		}
	}
	problem = fmt.Sprintf("no PostgreSQL server for the tests: TRAMA_TEST_POSTGRES_URL is not set and no local server let "+
		"the postgres role create a database (%v). Run .ci/run, which starts one, or set "+
		"TRAMA_TEST_POSTGRES_URL=postgres://user:password@host:port/database, or TRAMA_TEST_POSTGRES=skip to skip these tests", errs)
	return nil
}

// URL returns the test database's URL, or stops t: skipped with TRAMA_TEST_POSTGRES=skip, failed when
// no server could be found.
func URL(t testing.TB) string {
	t.Helper()
	if dbURL != "" {
		return dbURL
	}
	if os.Getenv("TRAMA_TEST_POSTGRES") == "skip" {
		t.Skip("TRAMA_TEST_POSTGRES=skip: the PostgreSQL tests do not run")
	}
	t.Fatal(problem)
	return ""
}

var schemaSeq atomic.Int64

// Schema returns a fresh schema name in the database at url, dropped when t ends.
func Schema(t testing.TB, url string) string {
	t.Helper()
	name := fmt.Sprintf("trama_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6, schemaSeq.Add(1))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Logf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+name+` CASCADE`); err != nil {
			t.Logf("drop schema %s: %v", name, err)
		}
	})
	return name
}

package postgres

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/trama-dev/trama/internal/lazyregexp"
)

// URL parameters trama reads itself and removes before pgx sees the URL (pgx would send unknown ones to
// the server as settings). They follow pgxpool's pool_* convention, so everything about the connection
// lives in the one `store:` value of the configuration.
const paramSchema = "trama_schema"

// retiredParams were read by earlier versions; each is refused with what replaced it, rather than
// silently ignored.
var retiredParams = map[string]string{
	"trama_job_timeout":  "runs are bounded by runs.timeout in the configuration",
	"trama_rescue_after": "a run moves to another replica when its lease expires (runs.lease in the configuration, 10s by default)",
}

// schemaName keeps a schema name safe to put in search_path and CREATE SCHEMA without quoting rules.
var schemaName = lazyregexp.New(`^[a-z_][a-z0-9_]{0,62}$`)

// connConfig is a parsed store URL.
type connConfig struct {
	// Name is host:port/database, what errors and logs may show.
	Name string
	// Schema is the caller's schema, or the URL's trama_schema.
	Schema string
	// conn is the URL without trama's parameters, for pgx. It may hold a password.
	conn string
	// poolSized is set when the URL chooses the pool size (pool_max_conns).
	poolSized bool
	// password is the URL's password, kept only to scrub it from pgx's error texts.
	password string
}

// parseURL reads a postgres:// (or postgresql://) URL: the connection as pgx understands it (including
// pgxpool's pool_* parameters and libpq's sslmode, …), plus trama_schema, which overrides schema. Errors
// never quote the URL, which may hold a password.
func parseURL(raw, schema string) (connConfig, error) {
	var c connConfig
	u, err := url.Parse(raw)
	if err != nil {
		return c, fmt.Errorf("postgres store: malformed URL (want postgres://user:password@host:port/database)")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return c, fmt.Errorf("postgres store: URL scheme %q: want postgres://", clip(u.Scheme))
	}
	db := strings.TrimPrefix(u.Path, "/")
	c.Name = u.Host + "/" + db
	if u.Host == "" {
		c.Name = "(local socket)/" + db
	}
	c.Name = clip(c.Name)
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, fmt.Errorf("postgres store %s: malformed URL parameters", c.Name)
	}
	for p, instead := range retiredParams {
		if _, ok := q[p]; ok {
			return c, fmt.Errorf("postgres store %s: URL parameter %s is no longer read: %s; remove it", c.Name, p, instead)
		}
	}
	if v, ok := q[paramSchema]; ok {
		if len(v) != 1 || !schemaName.MatchString(v[0]) {
			return c, fmt.Errorf("postgres store %s: %s=%q: want one lower-case identifier", c.Name, paramSchema, clip(strings.Join(v, ",")))
		}
		schema = v[0]
	}
	if schema != "" && !schemaName.MatchString(schema) {
		return c, fmt.Errorf("postgres store %s: schema %q: want one lower-case identifier", c.Name, clip(schema))
	}
	c.Schema = schema
	_, c.poolSized = q["pool_max_conns"]
	if u.User != nil {
		c.password, _ = u.User.Password()
	}
	q.Del(paramSchema)
	u.RawQuery = q.Encode()
	c.conn = u.String()
	return c, nil
}

// redact removes the password from an error's text (pgx names the user, host and database when it fails
// to connect, which is useful, and must never add the password to that).
func redact(err error, password string) error {
	if err == nil || len(password) < 3 || !strings.Contains(err.Error(), password) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), password, "xxxxx"), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

func (e *redactedError) Unwrap() error { return e.err }

// clip keeps a value quoted in an error short.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

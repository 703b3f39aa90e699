package postgres

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// URL parameters trama reads itself and removes before pgx sees the URL (pgx would send unknown ones to
// the server as settings). They follow pgxpool's pool_* convention, so everything about the connection
// lives in the one `store:` value of the configuration.
const (
	paramSchema      = "trama_schema"
	paramJobTimeout  = "trama_job_timeout"
	paramRescueAfter = "trama_rescue_after"
)

// schemaName keeps a schema name safe to put in search_path and CREATE SCHEMA without quoting rules.
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// connConfig is a parsed store URL.
type connConfig struct {
	// Name is host:port/database, what errors and logs may show.
	Name string
	// Options are the caller's options with the URL's trama_* parameters applied.
	Options Options
	// conn is the URL without trama's parameters, for pgx. It may hold a password.
	conn string
	// poolSized is set when the URL chooses the pool size (pool_max_conns).
	poolSized bool
	// password is the URL's password, kept only to scrub it from pgx's error texts.
	password string
}

// parseURL reads a postgres:// (or postgresql://) URL: the connection as pgx understands it (including
// pgxpool's pool_* parameters and libpq's sslmode, …), plus trama_schema, trama_job_timeout and
// trama_rescue_after (Go durations such as 90s), which override opts. Errors never quote the URL, which
// may hold a password.
func parseURL(raw string, opts Options) (connConfig, error) {
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
	if v, ok := q[paramSchema]; ok {
		if len(v) != 1 || !schemaName.MatchString(v[0]) {
			return c, fmt.Errorf("postgres store %s: %s=%q: want one lower-case identifier", c.Name, paramSchema, clip(strings.Join(v, ",")))
		}
		opts.Schema = v[0]
	}
	for _, p := range []struct {
		name string
		dst  *time.Duration
	}{{paramJobTimeout, &opts.JobTimeout}, {paramRescueAfter, &opts.RescueAfter}} {
		v, ok := q[p.name]
		if !ok {
			continue
		}
		d, err := time.ParseDuration(strings.Join(v, ","))
		if err != nil || d <= 0 || len(v) != 1 {
			return c, fmt.Errorf("postgres store %s: %s=%q: want a positive duration such as 90s", c.Name, p.name, clip(strings.Join(v, ",")))
		}
		*p.dst = d
	}
	if opts.Schema != "" && !schemaName.MatchString(opts.Schema) {
		return c, fmt.Errorf("postgres store %s: schema %q: want one lower-case identifier", c.Name, clip(opts.Schema))
	}
	_, c.poolSized = q["pool_max_conns"]
	if u.User != nil {
		c.password, _ = u.User.Password()
	}
	q.Del(paramSchema)
	q.Del(paramJobTimeout)
	q.Del(paramRescueAfter)
	u.RawQuery = q.Encode()
	c.conn = u.String()
	c.Options = opts
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

package postgres

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url     string
		schema  string
		conn    string
		name    string
		wantErr string
	}{
		{url: "postgres://u:p@db:5432/trama?sslmode=require", conn: "postgres://u:p@db:5432/trama?sslmode=require", name: "db:5432/trama"},
		{url: "postgresql://u@db/trama?trama_schema=blue&pool_max_conns=4",
			schema: "blue", conn: "postgresql://u@db/trama?pool_max_conns=4", name: "db/trama"},
		{url: "postgres:///trama?host=/run/postgresql", conn: "postgres:///trama?host=%2Frun%2Fpostgresql", name: "(local socket)/trama"},
		{url: "postgres://db/trama?trama_schema=Blue", wantErr: "trama_schema"},
		{url: "postgres://db/trama?trama_schema=a-drop", wantErr: "trama_schema"},
		{url: "postgres://db/trama?trama_job_timeout=2m", wantErr: "runs.timeout"},
		{url: "postgres://db/trama?trama_rescue_after=150s", wantErr: "lease"},
		{url: "sqlite:./trama.db", wantErr: "scheme"},
	}
	for _, tt := range tests {
		c, err := parseURL(tt.url, "")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseURL(%q) error = %v, want one naming %s", tt.url, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseURL(%q): %v", tt.url, err)
			continue
		}
		if c.Schema != tt.schema || c.conn != tt.conn || c.Name != tt.name || c.poolSized != strings.Contains(tt.url, "pool_max_conns") {
			t.Errorf("parseURL(%q) = %+v", tt.url, c)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"postgres://u:p@db:5432/trama?sslmode=require",
		"postgresql://u@db/trama?trama_schema=blue",
		"postgres:///trama?host=/run/postgresql&trama_rescue_after=1h",
		"postgres://u:p@[::1]:5432/x?trama_schema=",
		"postgres://%zz@h/d",
		"",
	} {
		f.Add(s, "p@ss")
	}
	f.Fuzz(func(t *testing.T, raw, pw string) {
		c, err := parseURL(raw, "")
		if err != nil {
			// The password of a well-formed URL never reaches the error.
			if len(pw) >= 4 && strings.Contains(raw, ":"+pw+"@") && strings.Contains(err.Error(), pw) &&
				!strings.Contains(strings.ReplaceAll(raw, ":"+pw+"@", ""), pw) {
				t.Errorf("error %q holds the password", err)
			}
			return
		}
		if c.Schema != "" && !schemaName.MatchString(c.Schema) {
			t.Errorf("schema %q accepted", c.Schema)
		}
		if strings.Contains(raw, "trama_schema=") {
			if _, err := parseURL(c.conn, ""); err != nil {
				t.Errorf("the URL given to pgx does not parse again: %v", err)
			}
		}
	})
}

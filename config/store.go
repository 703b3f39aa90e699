package config

import (
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

func (p *parser) store(n *yaml.Node) {
	st := &p.cfg.Store
	u := st.URL
	switch {
	case strings.HasPrefix(u, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
		if path == "" {
			p.errorf(n, "store", "the SQLite store needs a file: write sqlite:./trama.db")
			return
		}
		if path != ":memory:" && !filepath.IsAbs(path) {
			path = filepath.Join(p.cfg.Dir, path)
		}
		st.Driver, st.DSN = "sqlite", path
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		st.Driver, st.DSN = "postgres", u
	default:
		// The URL may be a PostgreSQL URL with a password in it: say only what the scheme looks like.
		scheme, _, _ := strings.Cut(u, ":")
		p.errorf(n, "store", "unknown store scheme %q; write sqlite:PATH or postgres://…", clip(scheme))
	}
}

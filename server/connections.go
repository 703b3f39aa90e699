package server

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/credential"
	"github.com/trama-dev/trama/worker"
)

// connections builds one authenticator per configured connection, shared by backfill and by every run
// whose trigger names it, so that one OAuth token serves them all.
func connections(cfg *config.Config, client *http.Client) (map[string]worker.Connection, error) {
	out := map[string]worker.Connection{}
	add := func(name string, c *credential.Credential) error {
		a, err := credential.New(*c, credential.Options{HTTPClient: client})
		if err != nil {
			return fmt.Errorf("connection %s: %w", name, err)
		}
		conn := worker.Connection{Authenticator: a}
		if c.OrgURL != "" {
			u, err := url.Parse(c.OrgURL)
			if err != nil {
				return fmt.Errorf("connection %s: orgUrl: %w", name, err)
			}
			conn.Origin = u.Scheme + "://" + u.Host
		}
		out[name] = conn
		return nil
	}
	if cfg.Okta != nil {
		if err := add(config.OktaConnection, cfg.Okta); err != nil {
			return nil, err
		}
	}
	for name, c := range cfg.Connections {
		if err := add(name, c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

package server

import (
	"context"
	"slices"

	"github.com/trama-dev/trama/backfill"
	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/runner"
)

// backfill polls the System Log for the event types the triggers listen to (or the configured ones) and
// feeds them into the same inbox as the hooks, until ctx is done.
func (s *Server) backfill(ctx context.Context) error {
	types := s.cfg.Backfill.EventTypes
	if len(types) == 0 {
		types = s.worker.Matcher.EventTypes()
		for _, t := range s.received {
			if t != "*" && !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
	}
	p := &backfill.Poller{
		Store:      s.store,
		OrgURL:     s.cfg.Okta.OrgURL,
		Token:      s.cfg.Okta.Token,
		Auth:       s.oktaAuth(),
		EventTypes: types,
		Interval:   s.cfg.Backfill.Interval,
		Lookback:   s.cfg.Backfill.Lookback,
		PageSize:   s.cfg.Backfill.PageSize,
		HTTPClient: s.opts.HTTPClient,
		Logger:     s.logger,
		Metrics:    s.metrics,
	}
	return p.Run(ctx)
}

// oktaAuth is the okta connection's authenticator when it is a service app: an API token goes to the
// poller as Token.
func (s *Server) oktaAuth() runner.Authenticator {
	if s.cfg.Okta.ClientID == "" {
		return nil
	}
	return s.worker.Connections[config.OktaConnection].Authenticator
}

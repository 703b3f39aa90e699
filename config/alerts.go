package config

import (
	"net/url"
	"strconv"

	"gopkg.in/yaml.v3"
)

func (p *parser) alerts(n *yaml.Node) {
	a := &p.cfg.Alerts
	fields, _ := p.mapping(n, "alerts", "webhook", "perMinute")
	for _, f := range fields {
		path := "alerts." + f.Key
		switch f.Key {
		case "webhook":
			if u, ok := p.webhook(f.Value, path); ok {
				a.Webhook = u
			}
		case "perMinute":
			s, ok := p.scalar(f.Value, path)
			if !ok {
				continue
			}
			v, err := strconv.Atoi(s)
			if err != nil || v < 1 || v > 600 {
				p.errorf(f.Value, path, "%s must be a whole number from 1 to 600", p.show(f.Value, s))
				continue
			}
			a.PerMinute = v
		}
	}
}

// webhook reads an alert webhook URL: http or https with a host. It may hold a secret (Slack's URLs
// do), so errors never repeat it.
func (p *parser) webhook(n *yaml.Node, path string) (string, bool) {
	s, ok := p.scalar(n, path)
	if !ok {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		p.errorf(n, path, "must be an http:// or https:// URL, e.g. https://hooks.slack.com/services/…")
		return "", false
	}
	p.secrets.Add(s)
	return s, true
}

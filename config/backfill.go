package config

import (
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

func (p *parser) backfill(n *yaml.Node) {
	b := &p.cfg.Backfill
	fields, _ := p.mapping(n, "backfill", "enabled", "interval", "lookback", "pageSize", "eventTypes")
	var typesN *yaml.Node
	for _, f := range fields {
		path := "backfill." + f.Key
		switch f.Key {
		case "enabled":
			if v, ok := p.boolean(f.Value, path); ok {
				b.Enabled = v
			}
		case "interval":
			if d, ok := p.duration(f.Value, path, 5*time.Second, 24*time.Hour); ok {
				b.Interval = d
			}
		case "lookback":
			if d, ok := p.duration(f.Value, path, 0, 90*24*time.Hour); ok {
				b.Lookback = d
			}
		case "pageSize":
			s, ok := p.scalar(f.Value, path)
			if !ok {
				continue
			}
			v, err := strconv.Atoi(s)
			if err != nil || v < 1 || v > 1000 {
				p.errorf(f.Value, path, "%s must be a whole number from 1 to 1000 (Okta's limit)", p.show(f.Value, s))
				continue
			}
			b.PageSize = v
		case "eventTypes":
			typesN = f.Value
			b.EventTypes = p.eventTypes(f.Value, path)
		}
	}
	if typesN == nil {
		seen := map[string]bool{}
		for _, t := range p.cfg.Triggers {
			for _, on := range t.On {
				if !seen[on] {
					seen[on] = true
					b.EventTypes = append(b.EventTypes, on)
				}
			}
		}
	}
	if b.Enabled && p.cfg.Okta == nil {
		p.errorf(n, "backfill.enabled", "polling the System Log needs an okta section with orgUrl and token")
	}
}

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
		path := "backfill." + f.key
		switch f.key {
		case "enabled":
			if v, ok := p.boolean(f.value, path); ok {
				b.Enabled = v
			}
		case "interval":
			if d, ok := p.duration(f.value, path, 5*time.Second, 24*time.Hour); ok {
				b.Interval = d
			}
		case "lookback":
			if d, ok := p.duration(f.value, path, 0, 90*24*time.Hour); ok {
				b.Lookback = d
			}
		case "pageSize":
			s, ok := p.scalar(f.value, path)
			if !ok {
				continue
			}
			v, err := strconv.Atoi(s)
			if err != nil || v < 1 || v > 1000 {
				p.errorf(f.value, path, "%s must be a whole number from 1 to 1000 (Okta's limit)", p.show(f.value, s))
				continue
			}
			b.PageSize = v
		case "eventTypes":
			typesN = f.value
			b.EventTypes = p.eventTypes(f.value, path)
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

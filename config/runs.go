package config

import (
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// runs reads how runs are held and retried; the combination is checked as the queue checks it.
func (p *parser) runs(n *yaml.Node) {
	r := &p.cfg.Runs
	fields, ok := p.mapping(n, "runs", "lease", "heartbeat", "timeout", "attempts", "workers")
	if !ok {
		return
	}
	for _, f := range fields {
		path := "runs." + f.Key
		switch f.Key {
		case "lease":
			if d, ok := p.duration(f.Value, path, time.Second, time.Hour); ok {
				r.Lease = d
			}
		case "heartbeat":
			if d, ok := p.duration(f.Value, path, 100*time.Millisecond, 30*time.Minute); ok {
				r.Heartbeat = d
			}
		case "timeout":
			if d, ok := p.duration(f.Value, path, time.Second, 24*time.Hour); ok {
				r.Timeout = d
			}
		case "attempts", "workers":
			s, ok := p.scalar(f.Value, path)
			if !ok {
				continue
			}
			v, err := strconv.Atoi(s)
			if err != nil || v < 1 || v > 1000 {
				p.errorf(f.Value, path, "%s must be a whole number from 1 to 1000", p.show(f.Value, s))
				continue
			}
			if f.Key == "attempts" {
				r.Attempts = v
			} else {
				r.Workers = v
			}
		}
	}
	if err := r.QueueOptions().Validate(); err != nil {
		p.errorf(n, "runs", "%v", err)
	}
}

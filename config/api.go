package config

import (
	"strings"

	"gopkg.in/yaml.v3"
)

func (p *parser) api(n *yaml.Node) {
	fields, _ := p.mapping(n, "api", "token")
	for _, f := range fields {
		s, ok := p.scalar(f.Value, "api.token")
		if !ok {
			continue
		}
		if strings.ContainsAny(s, "\r\n\x00 \t") {
			p.errorf(f.Value, "api.token", "holds whitespace or NUL, which a bearer token cannot; check the variable it comes from")
			continue
		}
		if s != "" && len(s) < MinAPITokenLen {
			p.errorf(f.Value, "api.token", "is %d characters; use at least %d (e.g. the output of `openssl rand -hex 32`), or leave it out to serve no API",
				len(s), MinAPITokenLen)
			continue
		}
		p.cfg.API.Token = s
	}
}

package config

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/internal/yamlnode"
)

func (p *parser) okta(n *yaml.Node) {
	if r := yamlnode.Resolve(n); r == nil || r.Tag == "!!null" {
		return
	}
	o := &Okta{}
	fields, ok := p.mapping(n, "okta", "orgUrl", "token")
	if !ok {
		return
	}
	var urlN, tokenN *yaml.Node
	for _, f := range fields {
		switch f.Key {
		case "orgUrl":
			urlN = f.Value
			s, ok := p.scalar(f.Value, "okta.orgUrl")
			if !ok {
				continue
			}
			o.OrgURL = p.orgURL(f.Value, "okta.orgUrl", s)
		case "token":
			tokenN = f.Value
			s, ok := p.scalar(f.Value, "okta.token")
			if !ok {
				continue
			}
			switch {
			case s == "":
				p.errorf(f.Value, "okta.token", "is empty; set it, usually from ${OKTA_API_TOKEN}")
			case strings.ContainsAny(s, "\r\n\x00"):
				p.errorf(f.Value, "okta.token", "holds a line break or NUL; check the variable it comes from")
			}
			o.Token = s
		}
	}
	if urlN == nil {
		p.errorf(n, "okta", "orgUrl is required, e.g. orgUrl: https://example.okta.com")
	}
	if tokenN == nil {
		p.errorf(n, "okta", "token is required, e.g. token: ${OKTA_API_TOKEN}")
	}
	p.cfg.Okta = o
}

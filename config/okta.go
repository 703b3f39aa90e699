package config

import (
	"net/url"
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
			u, err := url.Parse(s)
			switch {
			case err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "":
				p.errorf(f.Value, "okta.orgUrl", "%s is not an org URL; write it like https://example.okta.com", p.show(f.Value, s))
			case u.Scheme == "http" && !loopback(u.Hostname()):
				p.errorf(f.Value, "okta.orgUrl", "must use https; plain http is only accepted for a loopback host (the emulator)")
			case u.Scheme != "https" && u.Scheme != "http":
				p.errorf(f.Value, "okta.orgUrl", "must use https, like https://example.okta.com")
			default:
				o.OrgURL = strings.TrimRight(s, "/")
			}
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

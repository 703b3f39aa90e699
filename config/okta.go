package config

import (
	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/credential"
	"github.com/trama-dev/trama/internal/yamlnode"
)

// oktaKeys are the keys of the okta section: an Okta credential without a type.
var oktaKeys = []string{"orgUrl", "token", "clientId", "privateKey", "keyId", "scopes", "dpop"}

// okta reads trama's own Okta connection: an OAuth 2.0 service app (clientId and privateKey, what Okta
// recommends) or an API token, with the org's URL.
func (p *parser) okta(n *yaml.Node) {
	if r := yamlnode.Resolve(n); r == nil || r.Tag == "!!null" {
		return
	}
	fields, ok := p.mapping(n, "okta", oktaKeys...)
	if !ok {
		return
	}
	have := map[string]bool{}
	for _, f := range fields {
		have[f.Key] = true
	}
	if !have["orgUrl"] {
		p.errorf(n, "okta", "orgUrl is required, e.g. orgUrl: https://example.okta.com")
	}
	if !have["token"] && !have["clientId"] {
		p.errorf(n, "okta", "give a service app (clientId and privateKey, what Okta recommends) or an API token (token: ${OKTA_API_TOKEN})")
		return
	}
	if !have["orgUrl"] {
		return
	}
	if c := p.credentialOf(n, "okta", credential.TypeOkta); c != nil {
		p.cfg.Okta = c
	}
}

// connections reads named connections: credentials that triggers name.
func (p *parser) connections(n *yaml.Node) {
	n = yamlnode.Resolve(n)
	if n == nil || n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "connections", "must be a mapping of connection names to credentials, e.g. partner-org: {orgUrl: https://partner.okta.com, clientId: 0oa…, privateKey: partner.pem}")
		return
	}
	p.cfg.Connections = map[string]*credential.Credential{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := yamlnode.Resolve(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode || !namePattern.MatchString(k.Value) {
			p.errorf(n.Content[i], "connections", "connection names are letters, digits, '.', '_' and '-'")
			continue
		}
		path := join("connections", k.Value)
		switch {
		case k.Value == OktaConnection:
			p.errorf(k, path, "%q is the okta section's connection; give this one another name", OktaConnection)
			continue
		case p.cfg.Connections[k.Value] != nil:
			p.errorf(k, path, "key appears twice; keep one")
			continue
		}
		if c := p.credential(n.Content[i+1], path); c != nil {
			p.cfg.Connections[k.Value] = c
		}
	}
}

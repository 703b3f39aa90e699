package config

import (
	"net/url"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/internal/yamlnode"
)

// servers reads the base URLs of source descriptions for every workflow run (source name → URL), the
// equivalent of `trama run --server NAME=URL`: workflows written against Okta's description point at
// https://{yourOktaDomain}, which only the deployment knows.
func (p *parser) servers(n *yaml.Node) {
	n = yamlnode.Resolve(n)
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "servers", "must be a mapping of source description names to base URLs, e.g. oktaApi: https://example.okta.com")
		return
	}
	p.cfg.Servers = map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := yamlnode.Resolve(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode || k.Value == "" {
			p.errorf(n.Content[i], "servers", "keys must be source description names")
			continue
		}
		path := join("servers", k.Value)
		if _, dup := p.cfg.Servers[k.Value]; dup {
			p.errorf(k, path, "key appears twice; keep one")
			continue
		}
		s, ok := p.scalar(v, path)
		if !ok {
			continue
		}
		u, err := url.Parse(s)
		// nats:// and tls:// are the servers of AsyncAPI sources on NATS.
		if err != nil || !slices.Contains([]string{"http", "https", "nats", "tls"}, u.Scheme) || u.Host == "" {
			p.errorf(v, path, "%s is not an http(s) URL (or nats:// for an AsyncAPI source on NATS); write e.g. https://example.okta.com", p.show(v, s))
			continue
		}
		p.cfg.Servers[k.Value] = strings.TrimRight(s, "/")
	}
}

package config

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/internal/yamlnode"
	"golang.org/x/net/http/httpguts"
)

func (p *parser) hooks(n *yaml.Node) {
	n = yamlnode.Resolve(n)
	if n == nil || n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "hooks", "must be a mapping of hook name to {path, auth}, e.g. okta: {path: /hooks/okta, auth: {...}}")
		return
	}
	paths := map[string]string{}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := yamlnode.Resolve(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode || !namePattern.MatchString(k.Value) {
			p.errorf(n.Content[i], "hooks", "hook names are letters, digits, '.', '_' and '-'")
			continue
		}
		if seen[k.Value] {
			p.errorf(k, "hooks."+k.Value, "hook defined twice; keep one")
			continue
		}
		seen[k.Value] = true
		path := "hooks." + k.Value
		h := &Hook{Name: k.Value, Path: "/hooks/" + k.Value, Auth: HookAuth{Header: DefaultAuthHeader}, Pos: yamlnode.Of(k)}
		fields, _ := p.mapping(n.Content[i+1], path, "path", "auth")
		var authN *yaml.Node
		for _, f := range fields {
			switch f.Key {
			case "path":
				s, ok := p.scalar(f.Value, path+".path")
				if !ok {
					continue
				}
				if !strings.HasPrefix(s, "/") || strings.ContainsAny(s, " ?#\t") {
					p.errorf(f.Value, path+".path", "%s must be a URL path starting with \"/\", without spaces, query or fragment", p.show(f.Value, s))
					continue
				}
				h.Path = s
			case "auth":
				authN = f.Value
				p.hookAuth(f.Value, path+".auth", &h.Auth)
			}
		}
		if authN == nil {
			p.errorf(k, path, "auth is required: an unauthenticated hook lets anyone start workflows; "+
				"add auth: {header: Authorization, value: ${TRAMA_HOOK_SECRET}} and set the same value as the hook's authScheme in Okta")
		}
		if other, dup := paths[h.Path]; dup {
			p.errorf(k, path+".path", "path %q is already used by hook %q; give each hook its own path", h.Path, other)
		}
		paths[h.Path] = h.Name
		p.cfg.Hooks = append(p.cfg.Hooks, h)
	}
}

func (p *parser) hookAuth(n *yaml.Node, path string, a *HookAuth) {
	fields, _ := p.mapping(n, path, "header", "value")
	var valueN *yaml.Node
	for _, f := range fields {
		switch f.Key {
		case "header":
			s, ok := p.scalar(f.Value, path+".header")
			if !ok {
				continue
			}
			if s == "" || !httpguts.ValidHeaderFieldName(s) {
				p.errorf(f.Value, path+".header", "%s is not an HTTP header name", p.show(f.Value, s))
				continue
			}
			a.Header = s
		case "value":
			valueN = f.Value
			s, ok := p.scalar(f.Value, path+".value")
			if !ok {
				continue
			}
			// Never quote the value: it is the hook secret.
			switch {
			case s == "":
				p.errorf(f.Value, path+".value", "is empty; set it (usually from ${TRAMA_HOOK_SECRET}) to the value Okta sends")
			case strings.ContainsAny(s, "\r\n\x00"):
				p.errorf(f.Value, path+".value", "holds a line break or NUL, which no HTTP header can carry; check the variable it comes from")
			}
			a.Value = s
		}
	}
	if n != nil && valueN == nil {
		p.errorf(n, path, "value is required: the secret Okta sends in the %s header", a.Header)
	}
}

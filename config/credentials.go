package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/credential"
	"github.com/trama-dev/trama/internal/yamlnode"
	"github.com/trama-dev/trama/oauth"
)

// credentialKeys are the keys of a credential, whatever its type; Validate says which apply.
var credentialKeys = []string{"type", "orgUrl", "token", "tokenUrl", "discoveryUrl", "clientId", "privateKey", "keyId",
	"clientSecret", "scopes", "dpop", "value", "header", "username", "password"}

// LoadCredentials reads a credentials file (`trama run --credentials`): a mapping of source description
// names to credentials. Values may use ${NAME}; env nil means os.LookupEnv. Relative privateKey paths
// are relative to the file.
//
// overrides, from `--credential SOURCE.KEY=VALUE` flags, set keys on top of the file's (path may be ""
// for flags alone); their errors name the flag's SOURCE.KEY rather than a line.
func LoadCredentials(path string, overrides map[string]map[string]string, env func(string) (string, bool)) (map[string]*credential.Credential, error) {
	var data []byte
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("read credentials: %w", err)
		}
	}
	return ParseCredentials(data, path, overrides, env)
}

// ParseCredentials parses a credentials file; see LoadCredentials. Every problem is returned at once as
// Errors; no message holds a secret.
func ParseCredentials(data []byte, file string, overrides map[string]map[string]string, env func(string) (string, bool)) (map[string]*credential.Credential, error) {
	if env == nil {
		env = os.LookupEnv
	}
	dir, name := ".", file
	if file != "" {
		dir = filepath.Dir(file)
	} else {
		name = "--credential"
	}
	p := &parser{file: name, env: env, cfg: &Config{File: file, Dir: dir}, budget: maxNodes}
	protected, restore := protectEnvRefs(data)
	var root yaml.Node
	if err := yaml.Unmarshal(protected, &root); err != nil {
		return nil, Errors{yamlError(file, data, err)}
	}
	restoreEnvRefs(&root, restore, map[*yaml.Node]bool{})
	n := yamlnode.Resolve(&root)
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = yamlnode.Resolve(n.Content[0])
	}
	if n == nil || n.Kind == 0 || n.Kind == yaml.DocumentNode || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		n = &yaml.Node{Kind: yaml.MappingNode}
	}
	if n.Kind == yaml.MappingNode {
		p.applyOverrides(n, overrides)
	}
	out := map[string]*credential.Credential{}
	switch {
	case n.Kind != yaml.MappingNode:
		p.errorf(n, "", "must be a mapping of source description names to credentials, e.g.\n  oktaApi:\n    type: okta\n    orgUrl: https://example.okta.com\n    clientId: 0oa…\n    privateKey: service-app.pem")
	default:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := yamlnode.Resolve(n.Content[i])
			if k == nil || k.Kind != yaml.ScalarNode || k.Value == "" {
				p.errorf(n.Content[i], "", "keys must be source description names")
				continue
			}
			if _, dup := out[k.Value]; dup {
				p.errorf(k, k.Value, "key appears twice; keep one")
				continue
			}
			if c := p.credential(n.Content[i+1], k.Value); c != nil {
				out[k.Value] = c
			}
		}
	}
	if len(p.errs) > 0 {
		for _, e := range p.errs {
			e.Msg = p.secrets.Redact(e.Msg)
		}
		return nil, p.errs
	}
	return out, nil
}

// applyOverrides sets flag values into the file's mapping: a key the flags give replaces the file's.
// Flag values are treated like values from the environment: never quoted in a message.
func (p *parser) applyOverrides(root *yaml.Node, overrides map[string]map[string]string) {
	for _, src := range sortedKeys(overrides) {
		var m *yaml.Node
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == src {
				m = yamlnode.Resolve(root.Content[i+1])
			}
		}
		if m == nil || m.Kind != yaml.MappingNode {
			m = &yaml.Node{Kind: yaml.MappingNode}
			root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: src}, m)
		}
		for _, key := range sortedKeys(overrides[src]) {
			v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: overrides[src][key]}
			if p.expanded == nil {
				p.expanded = map[*yaml.Node]bool{}
			}
			p.expanded[v] = true
			p.secrets.Add(v.Value)
			replaced := false
			for i := 0; i+1 < len(m.Content); i += 2 {
				if m.Content[i].Value == key {
					m.Content[i+1], replaced = v, true
				}
			}
			if !replaced {
				m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// credential parses one credential mapping; nil after an error.
func (p *parser) credential(n *yaml.Node, path string) *credential.Credential {
	return p.credentialOf(n, path, "")
}

// credentialOf parses a credential whose type is fixed (the okta section) or, with typ "", written or
// inferred.
func (p *parser) credentialOf(n *yaml.Node, path, typ string) *credential.Credential {
	keys := credentialKeys
	if typ == credential.TypeOkta {
		keys = oktaKeys
	}
	fields, ok := p.mapping(n, path, keys...)
	if !ok {
		return nil
	}
	c := &credential.Credential{Type: typ}
	var names []string
	var keyN *yaml.Node
	var keyText, keyID string
	errs := len(p.errs)
	for _, f := range fields {
		fp := join(path, f.Key)
		names = append(names, f.Key)
		if f.Key == "scopes" {
			c.Scopes = p.scopes(f.Value, fp)
			continue
		}
		s, ok := p.scalar(f.Value, fp)
		if !ok {
			continue
		}
		switch f.Key {
		case "type":
			c.Type = s
		case "orgUrl":
			c.OrgURL = p.orgURL(f.Value, fp, s)
		case "token":
			c.Token = p.secretValue(f.Value, fp, s)
		case "tokenUrl", "discoveryUrl":
			if !strings.HasPrefix(s, "https://") && !(strings.HasPrefix(s, "http://") && loopbackURL(s)) {
				p.errorf(f.Value, fp, "%s must be an https URL (http only for a loopback host)", p.show(f.Value, s))
			}
			if f.Key == "tokenUrl" {
				c.TokenURL = s
			} else {
				c.DiscoveryURL = s
			}
		case "clientId":
			c.ClientID = s
		case "privateKey":
			keyN, keyText = f.Value, s
		case "keyId":
			keyID = s
		case "clientSecret":
			c.ClientSecret = p.secretValue(f.Value, fp, s)
		case "dpop":
			switch strings.ToLower(s) {
			case "auto", "":
				c.DPoP = oauth.DPoPAuto
			case "true":
				c.DPoP = oauth.DPoPAlways
			case "false":
				c.DPoP = oauth.DPoPNever
			default:
				p.errorf(f.Value, fp, "%s: write auto (the default: DPoP when the server requires it), true or false", p.show(f.Value, s))
			}
		case "value":
			c.Value = p.secretValue(f.Value, fp, s)
		case "header":
			c.Header = s
		case "username":
			c.Username = s
		case "password":
			c.Password = p.secretValue(f.Value, fp, s)
		}
	}
	if keyN != nil {
		c.Key = p.privateKey(keyN, join(path, "privateKey"), keyText, keyID)
	}
	if c.Type == "" {
		c.Type = credential.InferType(names)
	}
	if len(p.errs) > errs {
		return nil
	}
	if err := c.Validate(); err != nil {
		p.errorf(n, path, "%v", err)
		return nil
	}
	return c
}

// secretValue checks a secret and keeps it out of every later message.
func (p *parser) secretValue(n *yaml.Node, path, s string) string {
	switch {
	case s == "":
		p.errorf(n, path, "is empty; set it, usually from ${VARIABLE}")
	case strings.ContainsAny(s, "\r\n\x00"):
		p.errorf(n, path, "holds a line break or NUL; check the variable it comes from")
	}
	p.secrets.Add(s)
	return s
}

// privateKey reads a key given inline (PEM or JWK, usually from ${VARIABLE}) or as a file path,
// relative to the configuration's directory.
func (p *parser) privateKey(n *yaml.Node, path, s, keyID string) *oauth.Key {
	if strings.Contains(s, "-----BEGIN") || strings.HasPrefix(strings.TrimSpace(s), "{") {
		p.secrets.Add(s)
		k, err := oauth.ParseKey([]byte(s), keyID)
		if err != nil {
			p.errorf(n, path, "%v", err)
			return nil
		}
		return k
	}
	file := s
	if !filepath.IsAbs(file) {
		file = filepath.Join(p.cfg.Dir, file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		p.errorf(n, path, "cannot read the key file %s: %v (give a PEM or JWK file, or the key itself)", p.show(n, s), err)
		return nil
	}
	k, err := oauth.ParseKey(data, keyID)
	if err != nil {
		p.errorf(n, path, "key file %s: %v", p.show(n, s), err)
		return nil
	}
	return k
}

// scopes reads a list of scopes, or one space-separated string.
func (p *parser) scopes(n *yaml.Node, path string) []string {
	r := yamlnode.Resolve(n)
	if r != nil && r.Kind == yaml.SequenceNode {
		var out []string
		for i, item := range r.Content {
			if s, ok := p.scalar(item, fmt.Sprintf("%s[%d]", path, i)); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	s, _ := p.scalar(n, path)
	return strings.Fields(s)
}

// orgURL checks an Okta org URL: https (http only for a loopback host, where the emulator runs), no
// path, no query.
func (p *parser) orgURL(n *yaml.Node, path, s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "":
		p.errorf(n, path, "%s is not an org URL; write it like https://example.okta.com", p.show(n, s))
	case u.Scheme == "http" && !loopback(u.Hostname()):
		p.errorf(n, path, "must use https; plain http is only accepted for a loopback host (the emulator)")
	case u.Scheme != "https" && u.Scheme != "http":
		p.errorf(n, path, "must use https, like https://example.okta.com")
	default:
		return strings.TrimRight(s, "/")
	}
	return ""
}

func loopbackURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && loopback(u.Hostname())
}

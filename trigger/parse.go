package trigger

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/arazzo/expr"
	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/secret"
)

// maxNodes bounds how many YAML nodes one configuration may expand to through aliases, so that a
// malicious or broken file cannot make trama allocate without limit.
const maxNodes = 100_000

// Load reads and parses the configuration file at path. env looks up environment variables for ${NAME}
// expansion; nil means os.LookupEnv.
func Load(path string, env func(string) (string, bool)) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return Parse(data, path, env)
}

// LoadStore reads only the store of a configuration file, for the commands that read trama serve's
// history (`trama runs`, `trama events`, `trama migrate`): they need the database, not the hook secret or
// the Okta token, so variables used elsewhere in the file need not be set.
func LoadStore(path string, env func(string) (string, bool)) (Store, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Store{}, fmt.Errorf("read configuration: %w", err)
	}
	if env == nil {
		env = os.LookupEnv
	}
	cfg := &Config{File: path, Dir: filepath.Dir(path), Store: Store{URL: DefaultStore}}
	p := &parser{file: path, env: env, cfg: cfg, budget: maxNodes}
	protected, restore := protectEnvRefs(data)
	var root yaml.Node
	if err := yaml.Unmarshal(protected, &root); err != nil {
		return Store{}, Errors{yamlError(path, err)}
	}
	restoreEnvRefs(&root, restore, map[*yaml.Node]bool{})
	n := resolve(&root)
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = resolve(n.Content[0])
	}
	var storeN *yaml.Node
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "store" {
				storeN = n.Content[i+1]
				if s, ok := p.scalar(storeN, "store"); ok && s != "" {
					cfg.Store.URL = s
				}
			}
		}
	}
	p.store(storeN)
	if len(p.errs) > 0 {
		for _, e := range p.errs {
			e.Msg = p.secrets.Redact(e.Msg)
		}
		return Store{}, p.errs
	}
	return cfg.Store, nil
}

// Parse parses a configuration. file names it in errors and its directory is the base of relative paths
// (run.file, the SQLite store). env looks up variables for ${NAME} expansion; nil means os.LookupEnv.
//
// Every problem found is returned at once as Errors, each with its line and column. Unknown keys are
// errors, because a misspelt key silently ignored is a trigger that never fires.
func Parse(data []byte, file string, env func(string) (string, bool)) (*Config, error) {
	if env == nil {
		env = os.LookupEnv
	}
	dir := "."
	if file != "" {
		dir = filepath.Dir(file)
	}
	cfg := &Config{File: file, Dir: dir}
	p := &parser{file: file, env: env, cfg: cfg, budget: maxNodes}

	protected, restore := protectEnvRefs(data)
	var root yaml.Node
	if err := yaml.Unmarshal(protected, &root); err != nil {
		return nil, Errors{yamlError(file, err)}
	}
	restoreEnvRefs(&root, restore, map[*yaml.Node]bool{})
	n := &root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind == yaml.DocumentNode || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		n = nil // an empty file: every default, no trigger
	}
	p.config(n)
	if len(p.errs) > 0 {
		// Belt and braces: whatever a message says, no expanded value leaves Parse.
		for _, e := range p.errs {
			e.Msg = p.secrets.Redact(e.Msg)
		}
		return nil, p.errs
	}
	return cfg, nil
}

// yamlError turns a yaml.v3 syntax error ("yaml: line 3: …") into an Error with that line.
func yamlError(file string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &Error{File: file, Msg: "not valid YAML: " + msg}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ":"); ok {
			if line, err := strconv.Atoi(num); err == nil {
				e.Line, e.Column = line, 1
				e.Msg = "not valid YAML:" + tail
			}
		}
	}
	return e
}

type parser struct {
	file    string
	env     func(string) (string, bool)
	cfg     *Config
	errs    Errors
	secrets secret.Set
	budget  int
	// expanded records the scalar nodes whose value came (partly) from the environment.
	expanded map[*yaml.Node]bool
}

func (p *parser) errorf(n *yaml.Node, path, format string, args ...any) {
	e := &Error{File: p.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// show quotes a value for an error message, unless it came from the environment, where it may be a
// secret the user never meant to print.
func (p *parser) show(n *yaml.Node, v string) string {
	if p.expanded[resolve(n)] {
		return "the value from ${…}"
	}
	return strconv.Quote(clip(v))
}

func resolve(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < 100; depth++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// field is one key of a mapping, with the node of its value.
type field struct {
	key   string
	keyN  *yaml.Node
	value *yaml.Node
}

// mapping checks that n is a mapping with only the known keys and no key twice, and returns its fields in
// file order. Unknown keys get a did-you-mean suggestion.
func (p *parser) mapping(n *yaml.Node, path string, known ...string) ([]field, bool) {
	n = resolve(n)
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "must be a mapping of %s", strings.Join(known, ", "))
		return nil, false
	}
	var out []field
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			p.errorf(n.Content[i], path, "keys must be plain names")
			continue
		}
		if k.Value == "<<" {
			p.errorf(k, path, "YAML merge keys (<<) are not supported; write the keys out")
			continue
		}
		if seen[k.Value] {
			p.errorf(k, join(path, k.Value), "key appears twice; keep one")
			continue
		}
		seen[k.Value] = true
		if !contains(known, k.Value) {
			msg := fmt.Sprintf("unknown key %q", clip(k.Value))
			if s := closest(k.Value, known); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			} else {
				msg += "; known keys: " + strings.Join(known, ", ")
			}
			p.errorf(k, path, "%s", msg)
			continue
		}
		out = append(out, field{key: k.Value, keyN: k, value: v})
	}
	return out, true
}

// scalar returns the expanded string value of a scalar node. envOK=false forbids ${} (in when and
// inputs, which read $env per run instead).
func (p *parser) scalar(n *yaml.Node, path string) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		p.errorf(n, path, "must be a single value, not a list or mapping")
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	v, values, err := expandEnv(n.Value, p.env)
	if err != nil {
		p.errorf(n, path, "%v", err)
		return "", false
	}
	if len(values) > 0 {
		if p.expanded == nil {
			p.expanded = map[*yaml.Node]bool{}
		}
		p.expanded[n] = true
		p.secrets.Add(values...)
	}
	return v, true
}

func (p *parser) duration(n *yaml.Node, path string, min, max time.Duration) (time.Duration, bool) {
	s, ok := p.scalar(n, path)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		p.errorf(n, path, "%s is not a duration; write e.g. 60s, 5m or 1h", p.show(n, s))
		return 0, false
	}
	if d < min || d > max {
		p.errorf(n, path, "%s is out of range; use %s to %s", d, min, max)
		return 0, false
	}
	return d, true
}

func (p *parser) boolean(n *yaml.Node, path string) (bool, bool) {
	s, ok := p.scalar(n, path)
	if !ok {
		return false, false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		p.errorf(n, path, "%s is not true or false", p.show(n, s))
		return false, false
	}
	return b, true
}

func (p *parser) config(n *yaml.Node) {
	cfg := p.cfg
	cfg.Store = Store{URL: DefaultStore}
	cfg.Listen = DefaultListen
	cfg.Backfill = Backfill{Interval: DefaultBackfillInterval, Lookback: DefaultBackfillLookback, PageSize: DefaultBackfillPageSize}
	fields, _ := p.mapping(n, "", "store", "listen", "hooks", "api", "okta", "servers", "backfill", "runs", "triggers")
	var storeN, backfillN *yaml.Node
	for _, f := range fields {
		switch f.key {
		case "store":
			storeN = f.value
			if s, ok := p.scalar(f.value, "store"); ok && s != "" {
				cfg.Store.URL = s
			}
		case "listen":
			if s, ok := p.scalar(f.value, "listen"); ok && s != "" {
				cfg.Listen = s
				p.listen(f.value, s)
			}
		case "hooks":
			p.hooks(f.value)
		case "api":
			p.api(f.value)
		case "okta":
			p.okta(f.value)
		case "servers":
			p.servers(f.value)
		case "backfill":
			backfillN = f.value
		case "runs":
			p.runs(f.value)
		case "triggers":
			p.triggers(f.value)
		}
	}
	p.store(storeN)
	// backfill is read after triggers and okta, whatever the key order, because its defaults and checks
	// depend on them.
	p.backfill(backfillN)
	// ignoreActor: self needs trama's own identity.
	if cfg.Okta == nil {
		for i, t := range cfg.Triggers {
			if t.IgnoreActor == IgnoreSelf {
				p.errs = append(p.errs, &Error{File: p.file, Line: t.ignorePos.Line, Column: t.ignorePos.Column,
					Path: fmt.Sprintf("triggers[%d].ignoreActor", i),
					Msg: "\"self\" needs trama's own Okta identity; add an okta section with orgUrl and token " +
						"(the token of the account your workflows call Okta with), or give the actor id instead"})
			}
		}
	}
}

func (p *parser) listen(n *yaml.Node, s string) {
	_, port, err := net.SplitHostPort(s)
	if err == nil {
		var num int
		num, err = strconv.Atoi(port)
		if err == nil && (num < 0 || num > 65535) {
			err = errors.New("port out of range")
		}
	}
	if err != nil {
		p.errorf(n, "listen", "%s is not host:port; write e.g. %s or :8787 for every interface", p.show(n, s), DefaultListen)
	}
}

func (p *parser) store(n *yaml.Node) {
	st := &p.cfg.Store
	u := st.URL
	switch {
	case strings.HasPrefix(u, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
		if path == "" {
			p.errorf(n, "store", "the SQLite store needs a file: write sqlite:./trama.db")
			return
		}
		if path != ":memory:" && !filepath.IsAbs(path) {
			path = filepath.Join(p.cfg.Dir, path)
		}
		st.Driver, st.DSN = "sqlite", path
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		st.Driver, st.DSN = "postgres", u
	default:
		// The URL may be a PostgreSQL URL with a password in it: say only what the scheme looks like.
		scheme, _, _ := strings.Cut(u, ":")
		p.errorf(n, "store", "unknown store scheme %q; write sqlite:PATH or postgres://…", clip(scheme))
	}
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

func (p *parser) hooks(n *yaml.Node) {
	n = resolve(n)
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
		k := resolve(n.Content[i])
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
		h := &Hook{Name: k.Value, Path: "/hooks/" + k.Value, Auth: HookAuth{Header: DefaultAuthHeader}, Pos: Position{k.Line, k.Column}}
		fields, _ := p.mapping(n.Content[i+1], path, "path", "auth")
		var authN *yaml.Node
		for _, f := range fields {
			switch f.key {
			case "path":
				s, ok := p.scalar(f.value, path+".path")
				if !ok {
					continue
				}
				if !strings.HasPrefix(s, "/") || strings.ContainsAny(s, " ?#\t") {
					p.errorf(f.value, path+".path", "%s must be a URL path starting with \"/\", without spaces, query or fragment", p.show(f.value, s))
					continue
				}
				h.Path = s
			case "auth":
				authN = f.value
				p.hookAuth(f.value, path+".auth", &h.Auth)
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
		switch f.key {
		case "header":
			s, ok := p.scalar(f.value, path+".header")
			if !ok {
				continue
			}
			if s == "" || !isToken(s) {
				p.errorf(f.value, path+".header", "%s is not an HTTP header name", p.show(f.value, s))
				continue
			}
			a.Header = s
		case "value":
			valueN = f.value
			s, ok := p.scalar(f.value, path+".value")
			if !ok {
				continue
			}
			// Never quote the value: it is the hook secret.
			switch {
			case s == "":
				p.errorf(f.value, path+".value", "is empty; set it (usually from ${TRAMA_HOOK_SECRET}) to the value Okta sends")
			case strings.ContainsAny(s, "\r\n\x00"):
				p.errorf(f.value, path+".value", "holds a line break or NUL, which no HTTP header can carry; check the variable it comes from")
			}
			a.Value = s
		}
	}
	if n != nil && valueN == nil {
		p.errorf(n, path, "value is required: the secret Okta sends in the %s header", a.Header)
	}
}

func isToken(s string) bool {
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// servers reads the base URLs of source descriptions for every workflow run (source name → URL), the
// equivalent of `trama run --server NAME=URL`: workflows written against Okta's description point at
// https://{yourOktaDomain}, which only the deployment knows.
func (p *parser) servers(n *yaml.Node) {
	n = resolve(n)
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "servers", "must be a mapping of source description names to base URLs, e.g. oktaApi: https://example.okta.com")
		return
	}
	p.cfg.Servers = map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
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
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.errorf(v, path, "%s is not an http(s) URL; write e.g. https://example.okta.com", p.show(v, s))
			continue
		}
		p.cfg.Servers[k.Value] = strings.TrimRight(s, "/")
	}
}

func (p *parser) api(n *yaml.Node) {
	fields, _ := p.mapping(n, "api", "token")
	for _, f := range fields {
		s, ok := p.scalar(f.value, "api.token")
		if !ok {
			continue
		}
		if strings.ContainsAny(s, "\r\n\x00 \t") {
			p.errorf(f.value, "api.token", "holds whitespace or NUL, which a bearer token cannot; check the variable it comes from")
			continue
		}
		if s != "" && len(s) < MinAPITokenLen {
			p.errorf(f.value, "api.token", "is %d characters; use at least %d (e.g. the output of `openssl rand -hex 32`), or leave it out to serve no API",
				len(s), MinAPITokenLen)
			continue
		}
		p.cfg.API.Token = s
	}
}

func (p *parser) okta(n *yaml.Node) {
	if r := resolve(n); r == nil || r.Tag == "!!null" {
		return
	}
	o := &Okta{}
	fields, ok := p.mapping(n, "okta", "orgUrl", "token")
	if !ok {
		return
	}
	var urlN, tokenN *yaml.Node
	for _, f := range fields {
		switch f.key {
		case "orgUrl":
			urlN = f.value
			s, ok := p.scalar(f.value, "okta.orgUrl")
			if !ok {
				continue
			}
			u, err := url.Parse(s)
			switch {
			case err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "":
				p.errorf(f.value, "okta.orgUrl", "%s is not an org URL; write it like https://example.okta.com", p.show(f.value, s))
			case u.Scheme == "http" && !loopback(u.Hostname()):
				p.errorf(f.value, "okta.orgUrl", "must use https; plain http is only accepted for a loopback host (the emulator)")
			case u.Scheme != "https" && u.Scheme != "http":
				p.errorf(f.value, "okta.orgUrl", "must use https, like https://example.okta.com")
			default:
				o.OrgURL = strings.TrimRight(s, "/")
			}
		case "token":
			tokenN = f.value
			s, ok := p.scalar(f.value, "okta.token")
			if !ok {
				continue
			}
			switch {
			case s == "":
				p.errorf(f.value, "okta.token", "is empty; set it, usually from ${OKTA_API_TOKEN}")
			case strings.ContainsAny(s, "\r\n\x00"):
				p.errorf(f.value, "okta.token", "holds a line break or NUL; check the variable it comes from")
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

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// runs reads how runs are held and retried; the combination is checked as the queue checks it.
func (p *parser) runs(n *yaml.Node) {
	r := &p.cfg.Runs
	fields, ok := p.mapping(n, "runs", "lease", "heartbeat", "timeout", "attempts", "workers")
	if !ok {
		return
	}
	for _, f := range fields {
		path := "runs." + f.key
		switch f.key {
		case "lease":
			if d, ok := p.duration(f.value, path, time.Second, time.Hour); ok {
				r.Lease = d
			}
		case "heartbeat":
			if d, ok := p.duration(f.value, path, 100*time.Millisecond, 30*time.Minute); ok {
				r.Heartbeat = d
			}
		case "timeout":
			if d, ok := p.duration(f.value, path, time.Second, 24*time.Hour); ok {
				r.Timeout = d
			}
		case "attempts", "workers":
			s, ok := p.scalar(f.value, path)
			if !ok {
				continue
			}
			v, err := strconv.Atoi(s)
			if err != nil || v < 1 || v > 1000 {
				p.errorf(f.value, path, "%s must be a whole number from 1 to 1000", p.show(f.value, s))
				continue
			}
			if f.key == "attempts" {
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

// eventTypePattern is the shape of Okta event types: dotted lower-case words ("user.mfa.factor.activate").
var eventTypePattern = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)+$`)

// eventTypes reads a string or a list of strings of event types.
func (p *parser) eventTypes(n *yaml.Node, path string) []string {
	n = resolve(n)
	if n == nil {
		return nil
	}
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
	default:
		p.errorf(n, path, "must be an event type or a list of them")
		return nil
	}
	var out []string
	for i, it := range items {
		ipath := path
		if n.Kind == yaml.SequenceNode {
			ipath = fmt.Sprintf("%s[%d]", path, i)
		}
		s, ok := p.scalar(it, ipath)
		if !ok {
			continue
		}
		if !eventTypePattern.MatchString(s) {
			p.errorf(it, ipath, "%s is not an Okta event type; write it like user.mfa.factor.activate", p.show(it, s))
			continue
		}
		if contains(out, s) {
			p.errorf(it, ipath, "%q is listed twice", s)
			continue
		}
		out = append(out, s)
	}
	if len(items) == 0 {
		p.errorf(n, path, "needs at least one event type, e.g. user.mfa.factor.activate")
	}
	return out
}

func (p *parser) triggers(n *yaml.Node) {
	n = resolve(n)
	if n == nil || n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "triggers", "must be a list of triggers, each starting with \"- name: …\"")
		return
	}
	names := map[string]bool{}
	for i, tn := range n.Content {
		path := fmt.Sprintf("triggers[%d]", i)
		t := &Trigger{}
		if r := resolve(tn); r != nil {
			t.Pos = Position{r.Line, r.Column}
		}
		fields, ok := p.mapping(tn, path, "name", "on", "when", "run", "inputs", "ignoreActor", "resend")
		if !ok {
			continue
		}
		have := map[string]bool{}
		for _, f := range fields {
			have[f.key] = true
			fpath := path + "." + f.key
			switch f.key {
			case "name":
				s, ok := p.scalar(f.value, fpath)
				if !ok {
					continue
				}
				switch {
				case !namePattern.MatchString(s):
					p.errorf(f.value, fpath, "%s: trigger names are letters, digits, '.', '_' and '-'", p.show(f.value, s))
				case names[s]:
					p.errorf(f.value, fpath, "trigger %q is defined twice; names must be unique because history refers to them", s)
				default:
					names[s] = true
					t.Name = s
				}
			case "on":
				t.On = p.eventTypes(f.value, fpath)
			case "when":
				t.When = p.when(f.value, fpath)
			case "run":
				p.run(f.value, fpath, &t.Run)
			case "inputs":
				t.Inputs = p.inputs(f.value, fpath)
			case "ignoreActor":
				s, ok := p.scalar(f.value, fpath)
				if !ok {
					continue
				}
				if s == "" || strings.ContainsAny(s, " \t") {
					p.errorf(f.value, fpath, "write \"self\" or the Okta id of the actor to ignore, e.g. 00u1abcd")
					continue
				}
				t.IgnoreActor = s
				if r := resolve(f.value); r != nil {
					t.ignorePos = Position{r.Line, r.Column}
				}
			case "resend":
				t.Resend = p.resend(f.value, fpath)
			}
		}
		for _, req := range []struct{ key, example string }{
			{"name", "name: welcome-new-factor"},
			{"on", "on: user.mfa.factor.activate"},
			{"run", "run: {file: flows/notify.arazzo.yaml, workflow: notify-security}"},
		} {
			if !have[req.key] {
				p.errorf(tn, path, "%s is required, e.g. %s", req.key, req.example)
			}
		}
		p.cfg.Triggers = append(p.cfg.Triggers, t)
	}
}

// resend reads a trigger's resend policy: idempotent, always or never, or a list of step ids whose
// requests may be resent besides the idempotent ones.
func (p *parser) resend(n *yaml.Node, path string) Resend {
	n = resolve(n)
	if n != nil && n.Kind == yaml.SequenceNode {
		r := Resend{Policy: ResendIdempotent}
		for i, c := range n.Content {
			if s, ok := p.scalar(c, fmt.Sprintf("%s[%d]", path, i)); ok && s != "" {
				r.Steps = append(r.Steps, s)
			}
		}
		return r
	}
	s, ok := p.scalar(n, path)
	if !ok {
		return Resend{}
	}
	switch s {
	case ResendIdempotent, ResendAlways, ResendNever:
		return Resend{Policy: s}
	}
	p.errorf(n, path, "%s: write idempotent (the default), always, never, or a list of step ids whose requests may be resent", p.show(n, s))
	return Resend{}
}

func (p *parser) run(n *yaml.Node, path string, r *Run) {
	fields, ok := p.mapping(n, path, "file", "workflow")
	if !ok {
		return
	}
	var fileN, wfN *yaml.Node
	for _, f := range fields {
		switch f.key {
		case "file":
			fileN = f.value
			s, ok := p.scalar(f.value, path+".file")
			if !ok || s == "" {
				continue
			}
			if !filepath.IsAbs(s) {
				s = filepath.Join(p.cfg.Dir, s)
			}
			r.File = s
		case "workflow":
			wfN = f.value
			if s, ok := p.scalar(f.value, path+".workflow"); ok {
				r.Workflow = s
			}
		}
	}
	if fileN == nil || r.File == "" {
		p.errorf(n, path, "file is required: the Arazzo document, relative to this configuration file")
		return
	}
	if wfN == nil || r.Workflow == "" {
		p.errorf(n, path, "workflow is required: the workflowId to run")
	}
	info, err := os.Stat(r.File)
	if err != nil {
		if pe := (*os.PathError)(nil); errors.As(err, &pe) {
			err = pe.Err
		}
		p.errorf(fileN, path+".file", "cannot read workflow file %s (relative paths start at the configuration file's directory): %v",
			p.show(fileN, r.File), err)
		return
	}
	if !info.Mode().IsRegular() {
		p.errorf(fileN, path+".file", "%s is not a regular file", p.show(fileN, r.File))
		return
	}
	if r.Workflow == "" {
		return
	}
	// Name a missing workflow now rather than on the first event. A document that does not parse is left
	// to `trama validate` and the runner, which explain it better.
	data, err := os.ReadFile(r.File)
	if err != nil {
		return
	}
	doc, _, err := arazzo.Parse(data, r.File)
	if err != nil || doc == nil || len(doc.Workflows) == 0 {
		return
	}
	if doc.Workflow(r.Workflow) == nil {
		ids := make([]string, len(doc.Workflows))
		for i, w := range doc.Workflows {
			ids[i] = w.WorkflowID
		}
		msg := fmt.Sprintf("%s has no workflow %s", filepath.Base(r.File), p.show(wfN, r.Workflow))
		if s := closest(r.Workflow, ids); s != "" && !p.expanded[resolve(wfN)] {
			msg += fmt.Sprintf("; did you mean %q?", s)
		} else {
			msg += "; it has " + strings.Join(ids, ", ")
		}
		p.errorf(wfN, path+".workflow", "%s", msg)
	}
}

// rawScalar returns the literal text of a scalar in when or inputs, where ${} is refused: those values
// are evaluated on every run and read the environment through $env, so that a changed variable takes
// effect without a restart and inputs from the environment are known to be secret.
func (p *parser) rawScalar(n *yaml.Node, path string) (string, bool) {
	if i := strings.Index(n.Value, "${"); i >= 0 {
		name, _, _ := strings.Cut(n.Value[i+2:], "}")
		name, _, _ = strings.Cut(name, ":-")
		p.errorf(n, path, "${} is not expanded here; write $env.%s, which is read on every run", clip(name))
		return "", false
	}
	return n.Value, true
}

func (p *parser) when(n *yaml.Node, path string) *expr.Condition {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		p.errorf(n, path, "must be a condition such as $event.reason != 'User set up SMS_FACTOR factor'")
		return nil
	}
	s, ok := p.rawScalar(n, path)
	if !ok || strings.TrimSpace(s) == "" {
		if ok {
			p.errorf(n, path, "is empty; remove it to fire on every event")
		}
		return nil
	}
	c, err := expr.ParseCondition(s, exprOptions)
	if err != nil {
		p.exprError(n, path, err)
		return nil
	}
	for _, e := range c.Expressions() {
		p.checkExpr(n, path, e)
	}
	return c
}

// exprError reports a syntax error at its column when the value is on one line.
func (p *parser) exprError(n *yaml.Node, path string, err error) {
	e := &Error{File: p.file, Line: n.Line, Column: n.Column, Path: path, Msg: err.Error()}
	var se *expr.SyntaxError
	if errors.As(err, &se) && !strings.Contains(n.Value, "\n") {
		e.Column += se.Offset
		if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
			e.Column++
		}
	}
	p.errs = append(p.errs, e)
}

// entityKeys are the members of the card's Admin and Okta User objects.
var entityKeys = []string{"id", "alternateId", "displayName", "type"}

// checkExpr rejects expressions that can never resolve on a card: a misspelt card field, a header
// written with capitals (card headers are lower-case), an Arazzo root that has no value in a trigger.
func (p *parser) checkExpr(n *yaml.Node, path string, e expr.Expr) {
	switch e.Root {
	case "env":
		segs := e.Segments()
		if len(segs) != 1 || e.Pointer != "" {
			p.errorf(n, path, "%s: write $env.NAME with one variable name", e.Raw)
		}
		return
	case "event":
	default:
		p.errorf(n, path, "%s: a trigger only knows $event (the event card) and $env (the environment)", e.Raw)
		return
	}
	segs := e.Segments()
	if len(segs) == 0 {
		return
	}
	keys := okta.CardKeys()
	if !contains(keys, segs[0]) {
		msg := fmt.Sprintf("%s: the event card has no field %q", e.Raw, segs[0])
		if s := closest(segs[0], keys); s != "" {
			msg += fmt.Sprintf("; did you mean $event.%s?", s)
		} else {
			msg += "; fields: " + strings.Join(keys, ", ")
		}
		p.errorf(n, path, "%s", msg)
		return
	}
	if len(segs) < 2 {
		return
	}
	switch segs[0] {
	case "admin", "oktaUser":
		if !contains(entityKeys, segs[1]) || len(segs) > 2 {
			p.errorf(n, path, "%s: $event.%s has only %s", e.Raw, segs[0], strings.Join(entityKeys, ", "))
		}
	case "debugContext":
		if segs[1] != "debugData" {
			p.errorf(n, path, "%s: $event.debugContext has only debugData", e.Raw)
		}
	case "headers":
		if strings.ToLower(segs[1]) != segs[1] {
			p.errorf(n, path, "%s: card header names are lower-case; write $event.headers.%s", e.Raw, strings.ToLower(segs[1]))
		}
	case "eventDetails":
	default:
		p.errorf(n, path, "%s: $event.%s is text and has no members", e.Raw, segs[0])
	}
}

func (p *parser) inputs(n *yaml.Node, path string) []Input {
	n = resolve(n)
	if n == nil || n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "must be a mapping of workflow input name to value, e.g. userId: $event.oktaUser.id")
		return nil
	}
	var out []Input
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode || k.Value == "" {
			p.errorf(n.Content[i], path, "input names must be plain text")
			continue
		}
		ipath := path + "." + k.Value
		if seen[k.Value] {
			p.errorf(k, ipath, "input appears twice; keep one")
			continue
		}
		seen[k.Value] = true
		readsEnv := false
		v, ok := p.value(n.Content[i+1], ipath, &readsEnv)
		if !ok {
			continue
		}
		out = append(out, Input{Name: k.Value, Value: v, Secret: readsEnv || secret.IsSecretName(k.Value), ReadsEnv: readsEnv})
	}
	return out
}

// value converts an input's YAML value to the JSON-like shape the runner takes (strings, int64, float64,
// bool, nil, map[string]any, []any), checking every string as a template.
func (p *parser) value(n *yaml.Node, path string, readsEnv *bool) (any, bool) {
	n = resolve(n)
	p.budget--
	if n == nil || p.budget < 0 {
		if p.budget == -1 {
			p.errorf(nil, path, "the configuration expands to more than %d values; remove alias loops", maxNodes)
		}
		return nil, false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil, true
		case "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				p.errorf(n, path, "%v", err)
				return nil, false
			}
			return v, true
		}
		s, ok := p.rawScalar(n, path)
		if !ok {
			return nil, false
		}
		if strings.IndexByte(s, '$') < 0 {
			return s, true
		}
		t, err := expr.ParseTemplateWith(s, expr.Compat, exprOptions)
		if err != nil {
			p.exprError(n, path, err)
			return nil, false
		}
		for _, e := range t.Expressions() {
			if e.Root == "env" {
				*readsEnv = true
			}
			p.checkExpr(n, path, e)
		}
		return s, true
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		ok := true
		for i, c := range n.Content {
			v, vok := p.value(c, fmt.Sprintf("%s[%d]", path, i), readsEnv)
			ok = ok && vok
			out = append(out, v)
		}
		return out, ok
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		ok := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := resolve(n.Content[i])
			if k == nil || k.Kind != yaml.ScalarNode {
				p.errorf(n.Content[i], path, "keys must be plain text")
				ok = false
				continue
			}
			v, vok := p.value(n.Content[i+1], path+"."+k.Value, readsEnv)
			ok = ok && vok
			out[k.Value] = v
		}
		return out, ok
	}
	p.errorf(n, path, "unsupported YAML value")
	return nil, false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// closest returns the candidate within edit distance 2 of w (3 for long words), or "".
func closest(w string, cands []string) string {
	best, bestD := "", 3
	if len(w) > 8 {
		bestD = 4
	}
	for _, c := range cands {
		if d := distance(strings.ToLower(w), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

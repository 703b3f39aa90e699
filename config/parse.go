package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/internal/lazyregexp"
	"github.com/trama-dev/trama/internal/suggest"
	"github.com/trama-dev/trama/internal/yamlnode"
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
		return Store{}, Errors{yamlError(path, data, err)}
	}
	restoreEnvRefs(&root, restore, map[*yaml.Node]bool{})
	n := yamlnode.Resolve(&root)
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = yamlnode.Resolve(n.Content[0])
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
		return nil, Errors{yamlError(file, data, err)}
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

// yamlError turns a YAML syntax error into an Error with its line and column.
func yamlError(file string, data []byte, err error) *Error {
	e := &Error{File: file, Msg: "not valid YAML: " + err.Error()}
	var se *yamlnode.SyntaxError
	if errors.As(yamlnode.Syntax(data, err), &se) {
		e.Msg = "not valid YAML: " + se.Msg
		e.Line, e.Column = se.Pos.Line, se.Pos.Col
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
	if p.expanded[yamlnode.Resolve(n)] {
		return "the value from ${…}"
	}
	return strconv.Quote(clip(v))
}

// mapping checks that n is a mapping with only the known keys and no key twice, and returns its fields in
// file order. Unknown keys get a did-you-mean suggestion.
func (p *parser) mapping(n *yaml.Node, path string, known ...string) ([]yamlnode.Field, bool) {
	n = yamlnode.Resolve(n)
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil, true
	}
	fields, probs := yamlnode.Fields(n)
	for _, pr := range probs {
		switch pr.Kind {
		case "not a mapping":
			p.errorf(n, path, "must be a mapping of %s", strings.Join(known, ", "))
			return nil, false
		case "duplicate key":
			p.errorf(pr.Node, join(path, pr.Key), "key appears twice; keep one")
		case "merge key":
			p.errorf(pr.Node, path, "YAML merge keys (<<) are not supported; write the keys out")
		default:
			p.errorf(pr.Node, path, "keys must be plain names")
		}
	}
	out := fields[:0]
	for _, f := range fields {
		if !contains(known, f.Key) {
			msg := fmt.Sprintf("unknown key %q", clip(f.Key))
			if s := suggest.Closest(f.Key, known); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			} else {
				msg += "; known keys: " + strings.Join(known, ", ")
			}
			p.errorf(f.KeyN, path, "%s", msg)
			continue
		}
		out = append(out, f)
	}
	return out, true
}

// scalar returns the expanded string value of a scalar node. envOK=false forbids ${} (in when and
// inputs, which read $env per run instead).
func (p *parser) scalar(n *yaml.Node, path string) (string, bool) {
	n = yamlnode.Resolve(n)
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
	cfg.Alerts = Alerts{PerMinute: DefaultAlertsPerMinute}
	cfg.Console = Console{User: DefaultConsoleUser, Session: DefaultConsoleSession}
	fields, _ := p.mapping(n, "", "store", "listen", "hooks", "api", "console", "okta", "connections", "servers", "backfill", "runs", "alerts", "triggers")
	var storeN, backfillN *yaml.Node
	for _, f := range fields {
		switch f.Key {
		case "store":
			storeN = f.Value
			if s, ok := p.scalar(f.Value, "store"); ok && s != "" {
				cfg.Store.URL = s
			}
		case "listen":
			if s, ok := p.scalar(f.Value, "listen"); ok && s != "" {
				cfg.Listen = s
				p.listen(f.Value, s)
			}
		case "hooks":
			p.hooks(f.Value)
		case "api":
			p.api(f.Value)
		case "console":
			p.console(f.Value)
		case "okta":
			p.okta(f.Value)
		case "connections":
			p.connections(f.Value)
		case "servers":
			p.servers(f.Value)
		case "backfill":
			backfillN = f.Value
		case "runs":
			p.runs(f.Value)
		case "alerts":
			p.alerts(f.Value)
		case "triggers":
			p.triggers(f.Value)
		}
	}
	p.store(storeN)
	// backfill is read after triggers and okta, whatever the key order, because its defaults and checks
	// depend on them.
	p.backfill(backfillN)
	for i, t := range cfg.Triggers {
		if t.Connection != "" && cfg.Connection(t.Connection) == nil {
			known := []string{}
			if cfg.Okta != nil {
				known = append(known, OktaConnection)
			}
			known = append(known, sortedKeys(cfg.Connections)...)
			msg := fmt.Sprintf("no connection is named %q", t.Connection)
			if s := suggest.Closest(t.Connection, known); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			if len(known) == 0 {
				msg += "; define it in the okta section or under connections"
			}
			p.errs = append(p.errs, &Error{File: p.file, Line: t.connectionPos.Line, Column: t.connectionPos.Col,
				Path: fmt.Sprintf("triggers[%d].connection", i), Msg: msg})
		}
	}
	// ignoreActor: self needs trama's own identity.
	if cfg.Okta == nil {
		for i, t := range cfg.Triggers {
			if t.IgnoreActor == IgnoreSelf {
				p.errs = append(p.errs, &Error{File: p.file, Line: t.ignorePos.Line, Column: t.ignorePos.Col,
					Path: fmt.Sprintf("triggers[%d].ignoreActor", i),
					Msg: "\"self\" needs trama's own Okta identity; add an okta section with orgUrl and the " +
						"service app (clientId, privateKey) or API token your workflows call Okta with, or give the actor id instead"})
			}
		}
	}
}

var namePattern = lazyregexp.New(`^[A-Za-z0-9._-]+$`)

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

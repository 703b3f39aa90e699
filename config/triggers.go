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

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/arazzo/expr"
	"github.com/trama-dev/trama/inputhelper"
	"github.com/trama-dev/trama/internal/lazyregexp"
	"github.com/trama-dev/trama/internal/suggest"
	"github.com/trama-dev/trama/internal/yamlnode"
	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/secret"
)

// eventTypePattern is the shape of Okta event types: dotted lower-case words ("user.mfa.factor.activate").
var eventTypePattern = lazyregexp.New(`^[a-z0-9_]+(\.[a-z0-9_]+)+$`)

// entityKeys are the members of the card's Admin and Okta User objects.
var entityKeys = []string{"id", "alternateId", "displayName", "type"}

// eventTypes reads a string or a list of strings of event types.
func (p *parser) eventTypes(n *yaml.Node, path string) []string {
	n = yamlnode.Resolve(n)
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
	n = yamlnode.Resolve(n)
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
		if r := yamlnode.Resolve(tn); r != nil {
			t.Pos = yamlnode.Of(r)
		}
		fields, ok := p.mapping(tn, path, "name", "on", "when", "run", "inputs", "ignoreActor", "connection", "resend",
			"inputHelpers", "inputTimeout", "coalesce", "concurrency", "alertWebhook")
		if !ok {
			continue
		}
		have := map[string]bool{}
		for _, f := range fields {
			have[f.Key] = true
			fpath := path + "." + f.Key
			switch f.Key {
			case "name":
				s, ok := p.scalar(f.Value, fpath)
				if !ok {
					continue
				}
				switch {
				case !namePattern.MatchString(s):
					p.errorf(f.Value, fpath, "%s: trigger names are letters, digits, '.', '_' and '-'", p.show(f.Value, s))
				case names[s]:
					p.errorf(f.Value, fpath, "trigger %q is defined twice; names must be unique because history refers to them", s)
				default:
					names[s] = true
					t.Name = s
				}
			case "on":
				t.On = p.eventTypes(f.Value, fpath)
			case "when":
				t.When = p.when(f.Value, fpath)
			case "run":
				p.run(f.Value, fpath, &t.Run)
			case "inputs":
				t.Inputs = p.inputs(f.Value, fpath)
			case "ignoreActor":
				s, ok := p.scalar(f.Value, fpath)
				if !ok {
					continue
				}
				if s == "" || strings.ContainsAny(s, " \t") {
					p.errorf(f.Value, fpath, "write \"self\" or the Okta id of the actor to ignore, e.g. 00u1abcd")
					continue
				}
				t.IgnoreActor = s
				if r := yamlnode.Resolve(f.Value); r != nil {
					t.ignorePos = yamlnode.Of(r)
				}
			case "resend":
				t.Resend = p.resend(f.Value, fpath)
			case "inputHelpers":
				t.InputHelpers = p.inputHelpers(f.Value, fpath)
			case "coalesce":
				t.Coalesce = p.coalesce(f.Value, fpath)
			case "concurrency":
				t.Concurrency = p.concurrency(f.Value, fpath)
			case "alertWebhook":
				if u, ok := p.webhook(f.Value, fpath); ok {
					t.AlertWebhook = u
				}
			case "inputTimeout":
				if d, ok := p.duration(f.Value, fpath, time.Second, 30*24*time.Hour); ok {
					t.InputTimeout = d
				}
			case "connection":
				if s, ok := p.scalar(f.Value, fpath); ok {
					t.Connection = s
					if r := yamlnode.Resolve(f.Value); r != nil {
						t.connectionPos = yamlnode.Of(r)
					}
				}
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
	n = yamlnode.Resolve(n)
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
		switch f.Key {
		case "file":
			fileN = f.Value
			s, ok := p.scalar(f.Value, path+".file")
			if !ok || s == "" {
				continue
			}
			if !filepath.IsAbs(s) {
				s = filepath.Join(p.cfg.Dir, s)
			}
			r.File = s
		case "workflow":
			wfN = f.Value
			if s, ok := p.scalar(f.Value, path+".workflow"); ok {
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
		if s := suggest.Closest(r.Workflow, ids); s != "" && !p.expanded[yamlnode.Resolve(wfN)] {
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
	n = yamlnode.Resolve(n)
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
	c, err := expr.ParseCondition(s, ExprOptions)
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
		if s := suggest.Closest(segs[0], keys); s != "" {
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
	n = yamlnode.Resolve(n)
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
		k := yamlnode.Resolve(n.Content[i])
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
	n = yamlnode.Resolve(n)
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
		t, err := expr.ParseTemplateWith(s, expr.Compat, ExprOptions)
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
			k := yamlnode.Resolve(n.Content[i])
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

// inputHelpers reads a trigger's input helpers: one spec or a list of them, each one inputhelper.Parse
// accepts.
func (p *parser) inputHelpers(n *yaml.Node, path string) []string {
	n = yamlnode.Resolve(n)
	if n == nil {
		return nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
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
		if _, err := inputhelper.Parse(s, nil); err != nil {
			p.errorf(it, ipath, "%v", err)
			continue
		}
		out = append(out, s)
	}
	return out
}

// concurrency reads a trigger's concurrency: {key: <value over $event>, limit: <n, default 1>}.
func (p *parser) concurrency(n *yaml.Node, path string) *Concurrency {
	fields, ok := p.mapping(n, path, "key", "limit")
	if !ok {
		return nil
	}
	c := &Concurrency{Limit: 1}
	for _, f := range fields {
		fpath := path + "." + f.Key
		switch f.Key {
		case "key":
			v, ok := p.eventKey(f.Value, fpath, "concurrency")
			if !ok {
				return nil
			}
			c.Key = v
		case "limit":
			s, ok := p.scalar(f.Value, fpath)
			if !ok {
				return nil
			}
			l, err := strconv.Atoi(s)
			if err != nil || l < 1 || l > 1000 {
				p.errorf(f.Value, fpath, "%s: the limit is a number of runs from 1 to 1000", p.show(f.Value, s))
				return nil
			}
			c.Limit = l
		}
	}
	if c.Key == nil {
		p.errorf(n, path, "concurrency needs a key, e.g. {key: $event.oktaUser.id, limit: 1}")
		return nil
	}
	return c
}

// eventKey reads a coalesce or concurrency key: a value over $event, stored with the runs, so it may
// not read $env.
func (p *parser) eventKey(n *yaml.Node, path, what string) (any, bool) {
	readsEnv := false
	v, ok := p.value(n, path, &readsEnv)
	if !ok {
		return nil, false
	}
	if readsEnv {
		p.errorf(n, path, "a %s key is stored with the run: it cannot read $env", what)
		return nil, false
	}
	return v, true
}

// coalesce reads a trigger's coalesce: {key: <value over $event>, window: <duration>, keep: first|last}.
func (p *parser) coalesce(n *yaml.Node, path string) *Coalesce {
	fields, ok := p.mapping(n, path, "key", "window", "keep")
	if !ok {
		return nil
	}
	c := &Coalesce{Keep: CoalesceFirst}
	for _, f := range fields {
		fpath := path + "." + f.Key
		switch f.Key {
		case "key":
			v, ok := p.eventKey(f.Value, fpath, "coalesce")
			if !ok {
				return nil
			}
			c.Key = v
		case "window":
			d, ok := p.duration(f.Value, fpath, time.Second, 24*time.Hour)
			if !ok {
				return nil
			}
			c.Window = d
		case "keep":
			s, ok := p.scalar(f.Value, fpath)
			if !ok {
				return nil
			}
			if s != CoalesceFirst && s != CoalesceLast {
				p.errorf(f.Value, fpath, "%s: keep the first or the last event's run: write first or last", p.show(f.Value, s))
				return nil
			}
			c.Keep = s
		}
	}
	if c.Key == nil || c.Window == 0 {
		p.errorf(n, path, "coalesce needs a key and a window, e.g. {key: $event.oktaUser.id, window: 30s}")
		return nil
	}
	return c
}

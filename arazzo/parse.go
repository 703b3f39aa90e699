package arazzo

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/internal/lazyregexp"
	"github.com/trama-dev/trama/internal/suggest"
	"github.com/trama-dev/trama/internal/yamlnode"
)

var versionPattern = lazyregexp.New(`^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?$`)

// Parse decodes an Arazzo document from YAML or JSON. file names the
// document in diagnostics and is the base for relative source URLs.
// Everything Parse finds wrong (YAML syntax, wrong types, missing or unknown
// fields, an unsupported version) is reported as diagnostics with a line and
// column, next to a Document that holds whatever could be read (nothing,
// after a syntax error). It returns an error only for a document that
// expands past its node budget through YAML aliases.
func Parse(data []byte, file string) (*Document, []Diagnostic, error) {
	d := &decoder{diags: diagnostics{file: file}, budget: maxValueNodes}
	doc := &Document{File: file, Components: &Components{}, minor: -1}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		pos, msg := Pos{Line: 1, Col: 1}, err.Error()
		var se *yamlnode.SyntaxError
		if errors.As(yamlnode.Syntax(data, err), &se) {
			msg = se.Msg
			if se.Pos.IsValid() {
				pos = se.Pos
			}
		}
		d.diags.errorf(pos, "yaml-syntax", "not valid YAML: %s", msg)
		return doc, d.diags.list, nil
	}
	n := &root
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			d.diags.errorf(Pos{Line: 1, Col: 1}, "empty-document", "document is empty")
			return doc, d.diags.list, nil
		}
		n = n.Content[0]
	}
	if n.Kind == 0 {
		d.diags.errorf(Pos{Line: 1, Col: 1}, "empty-document", "document is empty")
		return doc, d.diags.list, nil
	}
	d.document(n, doc)
	doc.selectors = d.selectors
	if d.budget < 0 {
		return nil, nil, errors.New("parse " + file + ": document expands to too many nodes (alias bomb?)")
	}
	return doc, d.diags.list, nil
}

type decoder struct {
	diags  diagnostics
	budget int
	// selectors are the Selector Objects decoded, by the mapping that wrote each, so that validation
	// walking a value's nodes finds them.
	selectors map[*yaml.Node]*Selector
}

// object walks a mapping node, records field positions in l, hands each
// field to handle and keeps `x-` extensions. handle returns false for fields
// it does not know, which become unknown-field warnings.
func (d *decoder) object(n *yaml.Node, what string, l *located, ext *map[string]any, handle func(key string, v *yaml.Node) bool) bool {
	n = resolveAlias(n)
	if n == nil {
		return false
	}
	l.setNode(n)
	fields, probs := yamlnode.Fields(n)
	for _, p := range probs {
		switch p.Kind {
		case "not a mapping":
			d.diags.errorf(nodePos(n), "invalid-type", "%s must be an object, not %s", what, kindName(n))
			return false
		case "duplicate key":
			d.diags.errorf(nodePos(p.Node), "duplicate-key", "%s has key %q more than once", what, p.Key)
		case "merge key":
			d.diags.errorf(nodePos(p.Node), "invalid-type", "%s uses a YAML merge key (<<), which trama does not support; write the keys out", what)
		default:
			d.diags.errorf(nodePos(p.Node), "invalid-type", "keys in %s must be strings", what)
		}
	}
	for _, f := range fields {
		l.setField(f.Key, f.KeyN, f.Value)
		if strings.HasPrefix(f.Key, "x-") {
			if ext != nil {
				if *ext == nil {
					*ext = make(map[string]any)
				}
				(*ext)[f.Key] = rawValue(f.Value, &d.budget)
			}
			continue
		}
		if !handle(f.Key, f.Value) {
			hint := ""
			if s := suggest.Closest(f.Key, fieldNames); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.diags.warnf(nodePos(f.KeyN), "unknown-field", "%s has unknown field %q%s; trama ignores it", what, f.Key, hint)
		}
	}
	return true
}

func (d *decoder) require(l *located, what string, names ...string) {
	for _, name := range names {
		if !l.Has(name) {
			d.diags.errorf(l.Position(), "missing-field", "%s is missing required field %q", what, name)
		}
	}
}

func kindName(n *yaml.Node) string { return yamlnode.KindName(n) }

// str reads a string field. Other scalars (a version written as 1.0) are
// taken as their text, because YAML authors rarely quote them and the text is
// what they meant.
func (d *decoder) str(v *yaml.Node, what string) string {
	v = resolveAlias(v)
	if v == nil {
		return ""
	}
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		d.diags.errorf(nodePos(v), "invalid-type", "%s must be a string, not %s", what, kindName(v))
		return ""
	}
	return v.Value
}

func (d *decoder) strList(v *yaml.Node, what string) []string {
	v = resolveAlias(v)
	if v == nil {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		d.diags.errorf(nodePos(v), "invalid-type", "%s must be a list of strings, not %s", what, kindName(v))
		return nil
	}
	out := make([]string, 0, len(v.Content))
	for _, c := range v.Content {
		out = append(out, d.str(c, what+" entry"))
	}
	return out
}

func (d *decoder) list(v *yaml.Node, what string) []*yaml.Node {
	v = resolveAlias(v)
	if v == nil {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		d.diags.errorf(nodePos(v), "invalid-type", "%s must be a list, not %s", what, kindName(v))
		return nil
	}
	return v.Content
}

func (d *decoder) mapping(v *yaml.Node, what string) [][2]*yaml.Node {
	v = resolveAlias(v)
	if v == nil {
		return nil
	}
	if v.Kind != yaml.MappingNode {
		d.diags.errorf(nodePos(v), "invalid-type", "%s must be an object, not %s", what, kindName(v))
		return nil
	}
	out := make([][2]*yaml.Node, 0, len(v.Content)/2)
	for i := 0; i+1 < len(v.Content); i += 2 {
		out = append(out, [2]*yaml.Node{resolveAlias(v.Content[i]), v.Content[i+1]})
	}
	return out
}

func (d *decoder) number(v *yaml.Node, what string) *float64 {
	v = resolveAlias(v)
	if v == nil {
		return nil
	}
	if v.Kind == yaml.ScalarNode && (v.Tag == "!!int" || v.Tag == "!!float") {
		var f float64
		if err := v.Decode(&f); err == nil {
			return &f
		}
	}
	d.diags.errorf(nodePos(v), "invalid-type", "%s must be a number, not %s", what, kindName(v))
	return nil
}

func (d *decoder) integer(v *yaml.Node, what string) *int {
	v = resolveAlias(v)
	if v == nil {
		return nil
	}
	if v.Kind == yaml.ScalarNode && v.Tag == "!!int" {
		var i int
		if err := v.Decode(&i); err == nil {
			return &i
		}
	}
	d.diags.errorf(nodePos(v), "invalid-type", "%s must be an integer, not %s", what, kindName(v))
	return nil
}

// outputs decodes a map of outputs: each a runtime expression or (1.1) a Selector Object.
func (d *decoder) outputs(v *yaml.Node, what string) map[string]any {
	out := make(map[string]any)
	for _, kv := range d.mapping(v, what) {
		val := resolveAlias(kv[1])
		name := fmt.Sprintf("%s %q", what, kv[0].Value)
		if val != nil && val.Kind == yaml.MappingNode {
			out[kv[0].Value] = d.selector(val, name)
			continue
		}
		out[kv[0].Value] = d.str(val, name)
	}
	return out
}

// value decodes a field of type "Any | {expression} | Selector Object" (a parameter value, a payload, a
// replacement value): the raw value, with the Selector Objects in it, at any depth, decoded as such.
func (d *decoder) value(v *yaml.Node, what string) any {
	return rawValueWith(v, &d.budget, func(n *yaml.Node) (any, bool) {
		if !isSelectorNode(n) {
			return nil, false
		}
		return d.selector(n, what+" Selector Object"), true
	})
}

// selector decodes a Selector Object.
func (d *decoder) selector(n *yaml.Node, what string) *Selector {
	s := &Selector{}
	ok := d.object(n, what, &s.located, &s.Extensions, func(key string, v *yaml.Node) bool {
		switch key {
		case "context":
			s.Context = d.str(v, what+" context")
		case "selector":
			s.Selector = d.str(v, what+" selector")
		case "type":
			d.expressionType(v, what+" type", &s.located, "type", &s.Type, &s.Version)
		default:
			return false
		}
		return true
	})
	if ok {
		d.require(&s.located, what, selectorFields...)
		if d.selectors == nil {
			d.selectors = make(map[*yaml.Node]*Selector)
		}
		d.selectors[resolveAlias(n)] = s
	}
	return s
}

// expressionType decodes a field typed `string | Expression Type Object` into typ and version. The
// version's position is recorded in l as field+".version", so diagnostics about it point at it.
func (d *decoder) expressionType(v *yaml.Node, what string, l *located, field string, typ, version *string) {
	r := resolveAlias(v)
	if r == nil || r.Kind != yaml.MappingNode {
		*typ = d.str(v, what)
		return
	}
	var et located
	ok := d.object(r, what, &et, nil, func(key string, v *yaml.Node) bool {
		switch key {
		case "type":
			*typ = d.str(v, what)
		case "version":
			*version = d.str(v, what+" version")
			l.setField(field+".version", mapKeyNode(r, key), v)
		default:
			return false
		}
		return true
	})
	if ok {
		d.require(&et, what, "type", "version")
	}
}

func (d *decoder) document(n *yaml.Node, doc *Document) {
	ok := d.object(n, "the document", &doc.located, &doc.Extensions, func(key string, v *yaml.Node) bool {
		switch key {
		case "arazzo":
			doc.Arazzo = d.str(v, "arazzo")
			doc.minor = d.version(doc.Arazzo, nodePos(v))
		case "$self":
			doc.Self = d.str(v, "$self")
		case "info":
			d.info(v, &doc.Info)
		case "sourceDescriptions":
			items := d.list(v, "sourceDescriptions")
			if v.Kind == yaml.SequenceNode && len(items) == 0 {
				d.diags.errorf(nodePos(v), "empty-list", "sourceDescriptions must have at least one entry")
			}
			for i, it := range items {
				s := &SourceDescription{}
				d.source(it, s, i)
				doc.SourceDescriptions = append(doc.SourceDescriptions, s)
			}
		case "workflows":
			items := d.list(v, "workflows")
			if v.Kind == yaml.SequenceNode && len(items) == 0 {
				d.diags.errorf(nodePos(v), "empty-list", "workflows must have at least one entry")
			}
			for i, it := range items {
				w := &Workflow{}
				d.workflow(it, w, i)
				doc.Workflows = append(doc.Workflows, w)
			}
		case "components":
			d.components(v, doc.Components)
		default:
			return false
		}
		return true
	})
	if ok {
		d.require(&doc.located, "the document", "arazzo", "info", "sourceDescriptions", "workflows")
	}
}

// version returns the minor version for a supported Arazzo version (1.0.x or
// 1.1.x) and -1 otherwise. The patch number is ignored, as the
// specification asks of tooling.
func (d *decoder) version(s string, p Pos) int {
	m := versionPattern.FindStringSubmatch(s)
	if m == nil {
		d.diags.errorf(p, "invalid-version", "arazzo version %q is not major.minor.patch", s)
		return -1
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	if major != 1 || minor > 1 {
		d.diags.errorf(p, "unsupported-version", "arazzo version %q is not supported; trama reads 1.0.x and 1.1.x", s)
		return -1
	}
	return minor
}

func (d *decoder) info(n *yaml.Node, in *Info) {
	ok := d.object(n, "info", &in.located, &in.Extensions, func(key string, v *yaml.Node) bool {
		switch key {
		case "title":
			in.Title = d.str(v, "info.title")
		case "summary":
			in.Summary = d.str(v, "info.summary")
		case "description":
			in.Description = d.str(v, "info.description")
		case "version":
			in.Version = d.str(v, "info.version")
		default:
			return false
		}
		return true
	})
	if ok {
		d.require(&in.located, "info", "title", "version")
	}
}

func (d *decoder) source(n *yaml.Node, s *SourceDescription, i int) {
	what := fmt.Sprintf("sourceDescriptions[%d]", i)
	ok := d.object(n, what, &s.located, &s.Extensions, func(key string, v *yaml.Node) bool {
		switch key {
		case "name":
			s.Name = d.str(v, "source name")
		case "url":
			s.URL = d.str(v, "source url")
		case "type":
			s.Type = d.str(v, "source type")
		default:
			return false
		}
		return true
	})
	if ok {
		d.require(&s.located, what, "name", "url")
	}
}

func (d *decoder) workflow(n *yaml.Node, w *Workflow, i int) {
	what := fmt.Sprintf("workflows[%d]", i)
	ok := d.object(n, what, &w.located, &w.Extensions, func(key string, v *yaml.Node) bool {
		switch key {
		case "workflowId":
			w.WorkflowID = d.str(v, "workflowId")
		case "summary":
			w.Summary = d.str(v, "workflow summary")
		case "description":
			w.Description = d.str(v, "workflow description")
		case "inputs":
			if r := resolveAlias(v); r != nil && r.Kind != yaml.MappingNode {
				d.diags.errorf(nodePos(r), "invalid-type", "workflow inputs must be a JSON Schema object, not %s", kindName(r))
			}
			w.Inputs = rawValue(v, &d.budget)
		case "dependsOn":
			w.DependsOn = d.strList(v, "workflow dependsOn")
		case "steps":
			items := d.list(v, "steps")
			if resolveAlias(v).Kind == yaml.SequenceNode && len(items) == 0 {
				d.diags.errorf(nodePos(v), "empty-list", "workflow steps must have at least one entry")
			}
			for j, it := range items {
				s := &Step{}
				d.step(it, s, fmt.Sprintf("%s.steps[%d]", what, j))
				w.Steps = append(w.Steps, s)
			}
		case "successActions":
			w.SuccessActions = d.actions(v, what+".successActions", false)
		case "failureActions":
			w.FailureActions = d.actions(v, what+".failureActions", true)
		case "outputs":
			w.Outputs = d.outputs(v, "workflow output")
		case "parameters":
			w.Parameters = d.parameters(v, what+".parameters")
		default:
			return false
		}
		return true
	})
	if ok {
		d.require(&w.located, what, "workflowId", "steps")
	}
}

func (d *decoder) step(n *yaml.Node, s *Step, what string) {
	ok := d.object(n, what, &s.located, &s.Extensions, func(key string, v *yaml.Node) bool {
		switch key {
		case "stepId":
			s.StepID = d.str(v, "stepId")
		case "description":
			s.Description = d.str(v, "step description")
		case "operationId":
			s.OperationID = d.str(v, "operationId")
		case "operationPath":
			s.OperationPath = d.str(v, "operationPath")
		case "workflowId":
			s.WorkflowID = d.str(v, "workflowId")
		case "parameters":
			s.Parameters = d.parameters(v, what+".parameters")
		case "requestBody":
			s.RequestBody = &RequestBody{}
			d.requestBody(v, s.RequestBody, what+".requestBody")
		case "successCriteria":
			s.SuccessCriteria = d.criteria(v, what+".successCriteria")
		case "onSuccess":
			s.OnSuccess = d.actions(v, what+".onSuccess", false)
		case "onFailure":
			s.OnFailure = d.actions(v, what+".onFailure", true)
		case "outputs":
			s.Outputs = d.outputs(v, "step output")
		case "dependsOn":
			s.DependsOn = d.strList(v, "step dependsOn")
		case "timeout":
			s.Timeout = d.integer(v, "step timeout")
			if s.Timeout != nil && *s.Timeout <= 0 {
				d.diags.errorf(nodePos(v), "invalid-timeout", "step timeout is %d: give the milliseconds the step may take, more than 0", *s.Timeout)
				s.Timeout = nil
			}
		case "channelPath":
			s.ChannelPath = d.str(v, "channelPath")
		case "action":
			s.Action = d.str(v, "action")
		case "correlationId":
			s.CorrelationID = d.value(v, "correlationId")
		default:
			return false
		}
		return true
	})
	if ok {
		d.require(&s.located, what, "stepId")
	}
}

func (d *decoder) parameters(v *yaml.Node, what string) []*Parameter {
	var out []*Parameter
	for i, it := range d.list(v, what) {
		p := &Parameter{}
		d.parameter(it, p, fmt.Sprintf("%s[%d]", what, i), true)
		out = append(out, p)
	}
	return out
}

// parameter decodes a Parameter Object or, when reusable is true and the
// object has a reference, a Reusable Object.
func (d *decoder) parameter(n *yaml.Node, p *Parameter, what string, reusable bool) {
	if reusable && hasKey(n, "reference") {
		d.reusable(n, &p.located, what, func(ref string, v *yaml.Node) {
			p.Reference = ref
			if v != nil {
				p.Value = d.value(v, "parameter value")
			}
		})
		return
	}
	ok := d.object(n, what, &p.located, &p.Extensions, func(key string, v *yaml.Node) bool {
		switch key {
		case "name":
			p.Name = d.str(v, "parameter name")
		case "in":
			p.In = d.str(v, "parameter in")
		case "value":
			p.Value = d.value(v, "parameter value")
		default:
			return false
		}
		return true
	})
	if ok {
		d.require(&p.located, what, "name", "value")
	}
}

// reusable decodes a Reusable Object. The specification says other
// properties MUST be ignored; trama ignores them and says so.
func (d *decoder) reusable(n *yaml.Node, l *located, what string, set func(ref string, value *yaml.Node)) {
	var ref string
	var value *yaml.Node
	ok := d.object(n, what, l, nil, func(key string, v *yaml.Node) bool {
		switch key {
		case "reference":
			ref = d.str(v, "reference")
		case "value":
			value = v
		default:
			return false
		}
		return true
	})
	if !ok {
		return
	}
	n = resolveAlias(n)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if strings.HasPrefix(n.Content[i].Value, "x-") {
			d.diags.warnf(nodePos(n.Content[i]), "unknown-field", "%s is a Reusable Object, which cannot be extended; %q is ignored", what, n.Content[i].Value)
		}
	}
	set(ref, value)
}

func hasKey(n *yaml.Node, key string) bool {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

func (d *decoder) requestBody(n *yaml.Node, rb *RequestBody, what string) {
	d.object(n, what, &rb.located, &rb.Extensions, func(key string, v *yaml.Node) bool {
		switch key {
		case "contentType":
			rb.ContentType = d.str(v, "contentType")
		case "payload":
			rb.Payload = d.value(v, "payload")
		case "replacements":
			for i, it := range d.list(v, what+".replacements") {
				r := &PayloadReplacement{}
				rw := fmt.Sprintf("%s.replacements[%d]", what, i)
				ok := d.object(it, rw, &r.located, &r.Extensions, func(key string, v *yaml.Node) bool {
					switch key {
					case "target":
						r.Target = d.str(v, "replacement target")
					case "targetSelectorType":
						d.expressionType(v, "targetSelectorType", &r.located, "targetSelectorType", &r.TargetType, &r.TargetVersion)
					case "value":
						r.Value = d.value(v, "replacement value")
					default:
						return false
					}
					return true
				})
				if ok {
					d.require(&r.located, rw, "target", "value")
				}
				rb.Replacements = append(rb.Replacements, r)
			}
		default:
			return false
		}
		return true
	})
}

func (d *decoder) criteria(v *yaml.Node, what string) []*Criterion {
	var out []*Criterion
	for i, it := range d.list(v, what) {
		c := &Criterion{}
		d.criterion(it, c, fmt.Sprintf("%s[%d]", what, i))
		out = append(out, c)
	}
	return out
}

func (d *decoder) criterion(n *yaml.Node, c *Criterion, what string) {
	ok := d.object(n, what, &c.located, &c.Extensions, func(key string, v *yaml.Node) bool {
		switch key {
		case "context":
			c.Context = d.str(v, "criterion context")
		case "condition":
			c.Condition = d.str(v, "criterion condition")
		case "type":
			d.expressionType(v, "criterion type", &c.located, "type", &c.Type, &c.Version)
		default:
			return false
		}
		return true
	})
	if ok {
		d.require(&c.located, what, "condition")
	}
}

func (d *decoder) actions(v *yaml.Node, what string, failure bool) []*Action {
	var out []*Action
	for i, it := range d.list(v, what) {
		a := &Action{}
		d.action(it, a, fmt.Sprintf("%s[%d]", what, i), failure, true)
		out = append(out, a)
	}
	return out
}

func (d *decoder) action(n *yaml.Node, a *Action, what string, failure, reusable bool) {
	if reusable && hasKey(n, "reference") {
		d.reusable(n, &a.located, what, func(ref string, v *yaml.Node) {
			a.Reference = ref
			if v != nil {
				d.diags.warnf(nodePos(v), "reusable-value", "value only applies to parameter references; it is ignored on an action reference")
			}
		})
		return
	}
	ok := d.object(n, what, &a.located, &a.Extensions, func(key string, v *yaml.Node) bool {
		switch key {
		case "name":
			a.Name = d.str(v, "action name")
		case "type":
			a.Type = d.str(v, "action type")
		case "workflowId":
			a.WorkflowID = d.str(v, "action workflowId")
		case "stepId":
			a.StepID = d.str(v, "action stepId")
		case "criteria":
			a.Criteria = d.criteria(v, what+".criteria")
		case "parameters":
			a.Parameters = d.parameters(v, what+".parameters")
		case "retryAfter":
			if !failure {
				return false
			}
			a.RetryAfter = d.number(v, "retryAfter")
		case "retryLimit":
			if !failure {
				return false
			}
			a.RetryLimit = d.integer(v, "retryLimit")
		default:
			return false
		}
		return true
	})
	if ok {
		d.require(&a.located, what, "name", "type")
	}
}

func (d *decoder) components(n *yaml.Node, c *Components) {
	d.object(n, "components", &c.located, &c.Extensions, func(key string, v *yaml.Node) bool {
		switch key {
		case "inputs":
			c.Inputs = make(map[string]any)
			for _, kv := range d.mapping(v, "components.inputs") {
				c.Inputs[kv[0].Value] = rawValue(kv[1], &d.budget)
			}
		case "parameters":
			c.Parameters = make(map[string]*Parameter)
			for _, kv := range d.mapping(v, "components.parameters") {
				p := &Parameter{}
				d.parameter(kv[1], p, "components.parameters."+kv[0].Value, false)
				c.Parameters[kv[0].Value] = p
			}
		case "successActions":
			c.SuccessActions = make(map[string]*Action)
			for _, kv := range d.mapping(v, "components.successActions") {
				a := &Action{}
				d.action(kv[1], a, "components.successActions."+kv[0].Value, false, false)
				c.SuccessActions[kv[0].Value] = a
			}
		case "failureActions":
			c.FailureActions = make(map[string]*Action)
			for _, kv := range d.mapping(v, "components.failureActions") {
				a := &Action{}
				d.action(kv[1], a, "components.failureActions."+kv[0].Value, true, false)
				c.FailureActions[kv[0].Value] = a
			}
		default:
			return false
		}
		return true
	})
}

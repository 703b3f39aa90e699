package asyncapi

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trama-dev/trama/internal/suggest"
	"github.com/trama-dev/trama/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// servers reads the top-level servers, 2.x or 3.0.
func (l *loader) servers(d *Document, top *object) error {
	sn := top.get("servers")
	if isNull(sn) {
		return nil
	}
	sw := loc(nil).at("servers")
	so, err := l.object(sn, sw)
	if err != nil {
		return err
	}
	for _, f := range so.fields {
		n, w, _, err := l.deref(f.Value, sw.at(f.Key))
		if err != nil {
			return err
		}
		o, err := l.object(n, w)
		if err != nil {
			return err
		}
		s := &Server{Name: f.Key}
		if s.Protocol, err = o.str("protocol"); err != nil {
			return err
		}
		if l.v3 {
			host, err := o.str("host")
			if err != nil {
				return err
			}
			if host == "" {
				return errAt(o.node, w, "no host: a 3.0 server needs host and protocol")
			}
			pathname, err := o.str("pathname")
			if err != nil {
				return err
			}
			s.URL = host + pathname
			if s.Protocol != "" {
				s.URL = s.Protocol + "://" + s.URL
			}
		} else {
			if s.URL, err = o.str("url"); err != nil {
				return err
			}
			if s.URL == "" {
				return errAt(o.node, w, "no url: a 2.x server needs url and protocol")
			}
		}
		if s.Variables, err = l.variables(o); err != nil {
			return err
		}
		d.Servers[f.Key] = s
	}
	return nil
}

// variables reads a server's variables.
func (l *loader) variables(server *object) (map[string]ServerVariable, error) {
	vn := server.get("variables")
	if isNull(vn) {
		return nil, nil
	}
	vw := server.where.at("variables")
	vo, err := l.object(vn, vw)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ServerVariable, len(vo.fields))
	for _, f := range vo.fields {
		n, w, _, err := l.deref(f.Value, vw.at(f.Key))
		if err != nil {
			return nil, err
		}
		o, err := l.object(n, w)
		if err != nil {
			return nil, err
		}
		var v ServerVariable
		if v.Default, err = o.str("default"); err != nil {
			return nil, err
		}
		if en := o.get("enum"); !isNull(en) {
			if en.Kind != yaml.SequenceNode {
				return nil, errAt(en, w.at("enum"), "is %s, want a list of strings", kindName(en))
			}
			for i, c := range en.Content {
				c = yamlnode.Resolve(c)
				if c == nil || c.Kind != yaml.ScalarNode {
					return nil, errAt(en, w.at("enum").item(i), "is %s, want a string", kindName(c))
				}
				v.Enum = append(v.Enum, c.Value)
			}
		}
		out[f.Key] = v
	}
	return out, nil
}

// channelsObject returns the top-level channels mapping, or nil when there is none.
func (l *loader) channelsObject(top *object) (*object, error) {
	cn := top.get("channels")
	if isNull(cn) {
		return nil, nil
	}
	return l.object(cn, loc(nil).at("channels"))
}

// buildV2 reads 2.x channels, whose publish and subscribe are the operations.
func (l *loader) buildV2(d *Document, top *object) error {
	co, err := l.channelsObject(top)
	if err != nil || co == nil {
		return err
	}
	where := map[string]loc{} // operationId → where it was declared, for duplicates
	for _, f := range co.fields {
		n, w, _, err := l.deref(f.Value, co.where.at(f.Key))
		if err != nil {
			return err
		}
		o, err := l.object(n, w)
		if err != nil {
			return err
		}
		ch := &Channel{Key: f.Key, Address: f.Key, Parameters: addressParameters(f.Key)}
		if err := l.checkParameters(o); err != nil {
			return err
		}
		if sn := o.get("servers"); !isNull(sn) {
			if sn.Kind != yaml.SequenceNode {
				return errAt(sn, w.at("servers"), "is %s, want a list of server names", kindName(sn))
			}
			for i, c := range sn.Content {
				c = yamlnode.Resolve(c)
				sw := w.at("servers").item(i)
				if c == nil || c.Kind != yaml.ScalarNode {
					return errAt(sn, sw, "is %s, want a server name", kindName(c))
				}
				if d.Servers[c.Value] == nil {
					return errAt(c, sw, "no server %q in servers%s", c.Value, didYouMean(c.Value, keysOf(d.Servers)))
				}
				ch.Servers = append(ch.Servers, c.Value)
			}
		}
		for _, of := range o.fields {
			if of.Key != "publish" && of.Key != "subscribe" {
				continue
			}
			ow := w.at(of.Key)
			on, ow, _, err := l.deref(of.Value, ow)
			if err != nil {
				return err
			}
			oo, err := l.object(on, ow)
			if err != nil {
				return err
			}
			op := &Operation{Action: of.Key, Channel: ch}
			if op.ID, err = oo.str("operationId"); err != nil {
				return err
			}
			if op.Summary, err = oo.str("summary"); err != nil {
				return err
			}
			if mn := oo.get("message"); !isNull(mn) {
				if op.Messages, err = l.messagesV2(mn, ow.at("message")); err != nil {
					return err
				}
			}
			for _, m := range op.Messages {
				if !slices.Contains(ch.Messages, m) {
					ch.Messages = append(ch.Messages, m)
				}
			}
			if op.ID == "" {
				continue
			}
			if prev, dup := where[op.ID]; dup {
				return errAt(oo.get("operationId"), ow.at("operationId"), "operationId %q is already used by %s: a step could not tell them apart", op.ID, prev)
			}
			where[op.ID] = ow
			d.Operations[op.ID] = op
		}
		d.Channels[f.Key] = ch
	}
	return nil
}

// messagesV2 reads a 2.x operation's message: one message, or {oneOf: [...]}.
func (l *loader) messagesV2(n *yaml.Node, w loc) ([]*Message, error) {
	r, rw, _, err := l.deref(n, w)
	if err != nil {
		return nil, err
	}
	o, err := l.object(r, rw)
	if err != nil {
		return nil, err
	}
	one := o.get("oneOf")
	if isNull(one) {
		m, err := l.message(n, w, "")
		if err != nil {
			return nil, err
		}
		return []*Message{m}, nil
	}
	ow := rw.at("oneOf")
	if one.Kind != yaml.SequenceNode {
		return nil, errAt(one, ow, "is %s, want a list of messages", kindName(one))
	}
	var out []*Message
	for i, c := range one.Content {
		m, err := l.message(c, ow.item(i), "")
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out, nil
}

// buildV3 reads 3.0 channels and operations.
func (l *loader) buildV3(d *Document, top *object) error {
	co, err := l.channelsObject(top)
	if err != nil {
		return err
	}
	byNode := map[*yaml.Node]*Channel{} // for operations whose channel $ref is not #/channels/<key>
	if co != nil {
		for _, f := range co.fields {
			n, w, _, err := l.deref(f.Value, co.where.at(f.Key))
			if err != nil {
				return err
			}
			ch, err := l.channelV3(d, f.Key, n, w)
			if err != nil {
				return err
			}
			d.Channels[f.Key] = ch
			if byNode[n] == nil {
				byNode[n] = ch
			}
		}
	}
	on := top.get("operations")
	if isNull(on) {
		return nil
	}
	oo, err := l.object(on, loc(nil).at("operations"))
	if err != nil {
		return err
	}
	for _, f := range oo.fields {
		n, w, _, err := l.deref(f.Value, oo.where.at(f.Key))
		if err != nil {
			return err
		}
		o, err := l.object(n, w)
		if err != nil {
			return err
		}
		op := &Operation{ID: f.Key}
		if op.Action, err = o.str("action"); err != nil {
			return err
		}
		if op.Action != "send" && op.Action != "receive" {
			if op.Action == "" {
				return errAt(o.node, w, "no action: want send or receive")
			}
			hint := ""
			switch op.Action {
			case "publish":
				hint = " (publish is 2.x; in 3.0 an application that publishes sends)"
			case "subscribe":
				hint = " (subscribe is 2.x; in 3.0 an application that subscribes receives)"
			}
			return errAt(o.get("action"), w.at("action"), "is %q, want send or receive%s", op.Action, hint)
		}
		if op.Summary, err = o.str("summary"); err != nil {
			return err
		}
		cn := o.get("channel")
		if isNull(cn) {
			return errAt(o.node, w, "no channel: a 3.0 operation names its channel with {$ref: '#/channels/<id>'}")
		}
		cw := w.at("channel")
		ref, ok, err := refOf(cn, cw)
		if err != nil {
			return err
		}
		if !ok {
			return errAt(cn, cw, "is %s, want a reference such as {$ref: '#/channels/<id>'}", kindName(cn))
		}
		target, _, _, err := l.deref(cn, cw)
		if err != nil {
			return err
		}
		op.Channel = byNode[target]
		if key, ok := strings.CutPrefix(ref, "#/channels/"); ok && !strings.Contains(key, "/") {
			if ch := d.Channels[unescapeToken(key)]; ch != nil {
				op.Channel = ch
			}
		}
		if op.Channel == nil {
			return errAt(cn, cw, "$ref %q is not one of the channels under channels", ref)
		}
		if mn := o.get("messages"); !isNull(mn) {
			mw := w.at("messages")
			if mn.Kind != yaml.SequenceNode {
				return errAt(mn, mw, "is %s, want a list of $refs to the channel's messages", kindName(mn))
			}
			op.Messages = []*Message{}
			for i, c := range mn.Content {
				m, err := l.message(c, mw.item(i), "")
				if err != nil {
					return err
				}
				op.Messages = append(op.Messages, m)
			}
		} else {
			op.Messages = slices.Clone(op.Channel.Messages)
		}
		d.Operations[f.Key] = op
	}
	return nil
}

// channelV3 reads one 3.0 channel.
func (l *loader) channelV3(d *Document, key string, n *yaml.Node, w loc) (*Channel, error) {
	o, err := l.object(n, w)
	if err != nil {
		return nil, err
	}
	ch := &Channel{Key: key, Address: key}
	if a, err := o.str("address"); err != nil {
		return nil, err
	} else if a != "" {
		ch.Address = a
	}
	ch.Parameters = addressParameters(ch.Address)
	if err := l.checkParameters(o); err != nil {
		return nil, err
	}
	if sn := o.get("servers"); !isNull(sn) {
		sw := w.at("servers")
		if sn.Kind != yaml.SequenceNode {
			return nil, errAt(sn, sw, "is %s, want a list of $refs to servers", kindName(sn))
		}
		for i, c := range sn.Content {
			name, err := l.serverName(d, c, sw.item(i))
			if err != nil {
				return nil, err
			}
			ch.Servers = append(ch.Servers, name)
		}
	}
	if mn := o.get("messages"); !isNull(mn) {
		mo, err := l.object(mn, w.at("messages"))
		if err != nil {
			return nil, err
		}
		for _, f := range mo.fields {
			m, err := l.message(f.Value, mo.where.at(f.Key), f.Key)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(ch.Messages, m) {
				ch.Messages = append(ch.Messages, m)
			}
		}
	}
	return ch, nil
}

// serverName returns the name of the server a 3.0 channel's servers entry
// names.
func (l *loader) serverName(d *Document, n *yaml.Node, w loc) (string, error) {
	ref, ok, err := refOf(n, w)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errAt(n, w, "is %s, want a reference such as {$ref: '#/servers/<name>'}", kindName(yamlnode.Resolve(n)))
	}
	target, _, _, err := l.deref(n, w)
	if err != nil {
		return "", err
	}
	if name, ok := strings.CutPrefix(ref, "#/servers/"); ok && d.Servers[unescapeToken(name)] != nil {
		return unescapeToken(name), nil
	}
	// A $ref into components.servers: the server whose definition it is.
	if so := yamlnode.Resolve(l.top("servers")); so != nil && so.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(so.Content); i += 2 {
			k := yamlnode.Resolve(so.Content[i])
			s, _, _, err := l.deref(so.Content[i+1], nil)
			if k != nil && err == nil && s == target && d.Servers[k.Value] != nil {
				return k.Value, nil
			}
		}
	}
	return "", errAt(n, w, "$ref %q is not one of the servers under servers", ref)
}

// top returns a top-level value, or nil.
func (l *loader) top(key string) *yaml.Node {
	for i := 0; i+1 < len(l.root.Content); i += 2 {
		if k := yamlnode.Resolve(l.root.Content[i]); k != nil && k.Value == key {
			return l.root.Content[i+1]
		}
	}
	return nil
}

// checkParameters checks that a channel's parameters are a mapping whose
// $refs resolve; the parameter objects themselves are not part of the model.
func (l *loader) checkParameters(ch *object) error {
	pn := ch.get("parameters")
	if isNull(pn) {
		return nil
	}
	po, err := l.object(pn, ch.where.at("parameters"))
	if err != nil {
		return err
	}
	for _, f := range po.fields {
		n, w, _, err := l.deref(f.Value, po.where.at(f.Key))
		if err != nil {
			return err
		}
		if _, err := l.object(n, w); err != nil {
			return err
		}
	}
	return nil
}

// message builds the message n (a Message Object or a $ref to one) at w.
// key is its key under a 3.0 channel's messages, for its name.
func (l *loader) message(n *yaml.Node, w loc, key string) (*Message, error) {
	r, rw, ref, err := l.deref(n, w)
	if err != nil {
		return nil, err
	}
	if m := l.messages[r]; m != nil {
		return m, nil
	}
	o, err := l.object(r, rw)
	if err != nil {
		return nil, err
	}
	if k, ok := strings.CutPrefix(ref, "#/components/messages/"); ok && !strings.Contains(k, "/") {
		key = unescapeToken(k)
	}
	if !isNull(o.get("oneOf")) {
		return nil, errAt(r, rw, "is a oneOf of messages, which only a 2.x operation's message may be")
	}
	fields, err := l.withTraits(o)
	if err != nil {
		return nil, err
	}
	m := &Message{}
	if m.Name, err = fields.str("name"); err != nil {
		return nil, err
	}
	if m.Name == "" {
		m.Name = key
	}
	if m.ContentType, err = fields.str("contentType"); err != nil {
		return nil, err
	}
	if m.ContentType == "" {
		m.ContentType = l.defaultContentType
	}
	if m.Payload, err = l.schemaField(fields, "payload"); err != nil {
		return nil, err
	}
	if m.Headers, err = l.schemaField(fields, "headers"); err != nil {
		return nil, err
	}
	if cn := fields.get("correlationId"); !isNull(cn) {
		c, cw, _, err := l.deref(cn, fields.at("correlationId"))
		if err != nil {
			return nil, err
		}
		co, err := l.object(c, cw)
		if err != nil {
			return nil, err
		}
		if m.CorrelationLocation, err = co.str("location"); err != nil {
			return nil, err
		}
	}
	l.messages[r] = m
	return m, nil
}

// traitFields are the message fields a message's traits are applied to.
var traitFields = []string{"name", "contentType", "payload", "headers", "correlationId"}

// merged are a message's fields with its traits applied: for each field the
// node and where it is written.
type merged struct {
	nodes  map[string]*yaml.Node
	wheres map[string]loc
}

func (m merged) get(key string) *yaml.Node { return m.nodes[key] }
func (m merged) at(key string) loc         { return m.wheres[key] }

func (m merged) str(key string) (string, error) {
	n := m.nodes[key]
	if isNull(n) {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", errAt(n, m.wheres[key], "is %s, want a string", kindName(n))
	}
	return n.Value, nil
}

// withTraits applies a message's traits to the fields this package reads. In
// 3.0 the message's own field wins; in 2.x the traits are a JSON Merge Patch
// over the message, so the last trait that sets a field wins.
func (l *loader) withTraits(o *object) (merged, error) {
	m := merged{nodes: map[string]*yaml.Node{}, wheres: map[string]loc{}}
	set := func(from *object, trait bool) {
		for _, k := range traitFields {
			if trait && k == "payload" {
				continue // traits cannot set the payload
			}
			if n := from.get(k); n != nil {
				m.nodes[k], m.wheres[k] = n, from.where.at(k)
			}
		}
	}
	if !l.v3 {
		set(o, false)
	}
	if tn := o.get("traits"); !isNull(tn) {
		tw := o.where.at("traits")
		if tn.Kind != yaml.SequenceNode {
			return m, errAt(tn, tw, "is %s, want a list of message traits", kindName(tn))
		}
		for i, c := range tn.Content {
			t, w, _, err := l.deref(c, tw.item(i))
			if err != nil {
				return m, err
			}
			to, err := l.object(t, w)
			if err != nil {
				return m, err
			}
			set(to, true)
		}
	}
	if l.v3 {
		set(o, false)
	}
	return m, nil
}

// schemaField converts a message's payload or headers schema.
func (l *loader) schemaField(m merged, key string) (any, error) {
	n, w := m.get(key), m.at(key)
	if isNull(n) {
		return nil, nil
	}
	if l.v3 && n.Kind == yaml.MappingNode {
		// A 3.0 Multi Format Schema Object: the schema is under schema.
		if o, err := l.object(n, w); err == nil && o.get("schemaFormat") != nil && o.get("schema") != nil {
			n, w = o.get("schema"), w.at("schema")
		}
	}
	e := &expander{l: l, base: w}
	return e.schema(n, 0)
}

// addressParameters returns the names of the {parameters} in a channel
// address, in order, each once.
func addressParameters(addr string) []string {
	var out []string
	for {
		i := strings.IndexByte(addr, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(addr[i:], '}')
		if j < 0 {
			return out
		}
		if name := addr[i+1 : i+j]; name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
		addr = addr[i+j+1:]
	}
}

// unescapeToken undoes RFC 6901 escaping.
func unescapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

func keysOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// didYouMean is " (did you mean "x"?)" for the closest candidate, or "".
func didYouMean(w string, cands []string) string {
	if c := suggest.Closest(w, cands); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

package asyncapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/trama-dev/trama/internal/lazyregexp"
	"github.com/trama-dev/trama/internal/suggest"
	"github.com/trama-dev/trama/internal/yamlnode"
	"github.com/trama-dev/trama/jsonpointer"
	"gopkg.in/yaml.v3"
)

// ErrNotFound is wrapped by Operation and ChannelAt when the description has
// no operation with that id or no channel with that key, so that callers can
// tell a wrong reference from a broken description.
var ErrNotFound = errors.New("not found")

// Document is a loaded AsyncAPI description. It is not modified after Load,
// so it is safe for concurrent use; treat what it holds as read-only.
type Document struct {
	Version string // the asyncapi field, e.g. "2.6.0", "3.0.0"
	Title   string // info.title
	// Servers are by name.
	Servers map[string]*Server
	// Channels are by their key under channels: the address in 2.x, the
	// channel id in 3.0.
	Channels map[string]*Channel
	// Operations are by operationId. In 2.x that is publish.operationId or
	// subscribe.operationId, and operations without one are absent (their
	// messages are still in Channel.Messages); in 3.0 it is the key under
	// operations.
	Operations map[string]*Operation

	location string // the path or URL given to Load, for messages
}

// Server is one entry of servers.
type Server struct {
	Name string
	// URL is the 2.x url as written, or for 3.0 protocol + "://" + host +
	// pathname (just host + pathname when the protocol is missing). {variables}
	// are left in place: substituting them is the caller's choice.
	URL       string
	Protocol  string // e.g. "nats", "kafka", "https"
	Variables map[string]ServerVariable
}

// ServerVariable is one of a server's {variables}.
type ServerVariable struct {
	Default string
	Enum    []string
}

// Channel is one entry of channels.
type Channel struct {
	Key string // its key under channels
	// Address is the key in 2.x; in 3.0 the address field, or Key when the
	// address is null or absent.
	Address string
	// Parameters are the names of the {parameters} in Address, in order, each
	// once.
	Parameters []string
	// Servers are the names of the servers the channel is restricted to (3.0
	// servers $refs, 2.x server names); empty means all of them.
	Servers []string
	// Messages are the channel's messages: 3.0 channel.messages in declared
	// order; in 2.x the messages of its publish and subscribe operations, in
	// declared order, each once.
	Messages []*Message
}

// Operation is one operation: an entry of 3.0 operations, or a 2.x publish or
// subscribe with an operationId.
type Operation struct {
	ID string
	// Action is as the document declares it: "send"/"receive" (3.0) or
	// "publish"/"subscribe" (2.x).
	Action  string
	Channel *Channel
	// Messages are the 3.0 operation.messages (which name messages of the
	// channel) or, when absent, the channel's; in 2.x operation.message, a
	// single message or the members of its oneOf.
	Messages []*Message
	Summary  string
}

// Message is one message. The same message reached by several $refs is one
// *Message, so pointers can be compared.
type Message struct {
	// Name is the message's name, else its key under components.messages
	// when it was reached by $ref, else its key under a 3.0 channel's
	// messages, else "".
	Name string
	// ContentType is the message's contentType, else the document's
	// defaultContentType, else "".
	ContentType string
	// Payload is the payload schema decoded to Go values, local $refs
	// resolved (a recursive $ref is left in place when it recurs); nil when
	// there is none. A 3.0 multi-format schema ({schemaFormat, schema}) is
	// unwrapped to its schema.
	Payload any
	// Headers is the headers schema, likewise.
	Headers any
	// CorrelationLocation is correlationId.location (a $ref to
	// #/components/correlationIds/… resolved), e.g.
	// "$message.header#/correlationId"; "" when there is none.
	CorrelationLocation string
}

// Load parses an AsyncAPI 2.0–2.6 or 3.0 description, YAML or JSON. location
// (a path or URL) is used in error messages only: Load reads nothing else.
func Load(data []byte, location string) (*Document, error) {
	d, err := load(data)
	if err != nil {
		return nil, fmt.Errorf("asyncapi: %s: %w", location, err)
	}
	d.location = location
	return d, nil
}

// versionRE matches the versions the model is written for. 2.0.0 to 2.6.x
// share one shape; 3.0 changed it, and a later 3.x may change it again.
var versionRE = lazyregexp.New(`^(2\.[0-6]|3\.0)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)

func load(data []byte) (*Document, error) {
	root, err := parse(data)
	if err != nil {
		return nil, err
	}
	l := &loader{
		root:     root,
		messages: map[*yaml.Node]*Message{},
		values:   maxValues,
		refs:     maxRefs,
	}
	if r := yamlnode.Resolve(root); r == nil || r.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the description is %s, want a mapping with an asyncapi field", kindName(r))
	}
	top, err := l.object(root, nil)
	if err != nil {
		return nil, err
	}
	vn := top.get("asyncapi")
	if vn == nil {
		msg := "no asyncapi field at the top level: not an AsyncAPI description"
		if top.get("openapi") != nil || top.get("swagger") != nil {
			msg += " (it is an OpenAPI one)"
		}
		return nil, errors.New(msg)
	}
	if vn.Kind != yaml.ScalarNode {
		return nil, errAt(vn, loc(nil).at("asyncapi"), "is %s, want a version such as 3.0.0", kindName(vn))
	}
	if !versionRE.MatchString(vn.Value) {
		return nil, errAt(vn, nil, "unsupported AsyncAPI version %q: trama reads 2.0.0 to 2.6.x and 3.0.x", vn.Value)
	}
	d := &Document{
		Version:    vn.Value,
		Servers:    map[string]*Server{},
		Channels:   map[string]*Channel{},
		Operations: map[string]*Operation{},
	}
	l.v3 = strings.HasPrefix(d.Version, "3.")
	if info := top.get("info"); info != nil {
		o, err := l.object(info, loc(nil).at("info"))
		if err != nil {
			return nil, err
		}
		if d.Title, err = o.str("title"); err != nil {
			return nil, err
		}
	}
	if l.defaultContentType, err = top.str("defaultContentType"); err != nil {
		return nil, err
	}
	if err := l.servers(d, top); err != nil {
		return nil, err
	}
	if l.v3 {
		err = l.buildV3(d, top)
	} else {
		err = l.buildV2(d, top)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Operation returns the operation with this operationId. The error wraps
// ErrNotFound when there is none, and suggests the closest id.
func (d *Document) Operation(id string) (*Operation, error) {
	if op, ok := d.Operations[id]; ok {
		return op, nil
	}
	hint := ""
	ids := d.OperationIDs()
	switch c := suggest.Closest(id, ids); {
	case c != "":
		hint = fmt.Sprintf(" (did you mean %q?)", c)
	case len(ids) == 0:
		hint = " (it has no operations with an operationId)"
	}
	return nil, fmt.Errorf("asyncapi: operationId %q %w in %s%s", id, ErrNotFound, d.location, hint)
}

// OperationIDs returns the ids of the operations, sorted.
func (d *Document) OperationIDs() []string {
	ids := make([]string, 0, len(d.Operations))
	for id := range d.Operations {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// ChannelAt returns the channel a JSON Pointer names: "#/channels/<key>" or
// "/channels/<key>", where a '/' in the key is written ~1 and a '~' is
// written ~0 (RFC 6901); a pointer copied from a URL, with %7B for '{', is
// accepted too. Only channels can be named this way: a pointer into
// operations is an error that says to use the operationId. The error wraps
// ErrNotFound when the pointer is well formed but the description has no
// such channel.
func (d *Document) ChannelAt(pointer string) (*Channel, error) {
	p := strings.TrimPrefix(pointer, "#")
	tokens, err := jsonpointer.Tokens(p)
	if err != nil || len(tokens) == 0 {
		return nil, fmt.Errorf("asyncapi: channel pointer %q in %s: want #/channels/<key>, with / in the key written ~1 and ~ written ~0", pointer, d.location)
	}
	if tokens[0] == "operations" {
		return nil, fmt.Errorf("asyncapi: pointer %q in %s names an operation, not a channel: refer to operations by operationId", pointer, d.location)
	}
	if tokens[0] != "channels" || len(tokens) < 2 {
		return nil, fmt.Errorf("asyncapi: pointer %q in %s does not name a channel: want #/channels/<key>", pointer, d.location)
	}
	if len(tokens) > 2 {
		msg := fmt.Sprintf("asyncapi: pointer %q in %s does not name a channel: want #/channels/<key>", pointer, d.location)
		if key := strings.Join(tokens[1:], "/"); d.Channels[key] != nil {
			msg += fmt.Sprintf(" (did you mean %q? a / in the key is written ~1)", "#/channels/"+escapeToken(key))
		}
		return nil, errors.New(msg)
	}
	key := tokens[1]
	if ch, ok := d.Channels[key]; ok {
		return ch, nil
	}
	if strings.Contains(key, "%") {
		// Tolerate a pointer copied from a URI fragment ("orders.confirmed.%7BorderId%7D").
		if k, err := url.PathUnescape(key); err == nil {
			if ch, ok := d.Channels[k]; ok {
				return ch, nil
			}
		}
	}
	keys := make([]string, 0, len(d.Channels))
	for k := range d.Channels {
		keys = append(keys, k)
	}
	hint := ""
	if c := suggest.Closest(key, keys); c != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", "#/channels/"+escapeToken(c))
	}
	return nil, fmt.Errorf("asyncapi: channel %q (pointer %q) %w in %s%s", key, pointer, ErrNotFound, d.location, hint)
}

// escapeToken escapes a key for a JSON Pointer.
func escapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// Sniff reports whether data looks like an AsyncAPI description: its
// top-level mapping has an asyncapi key. It is meant to tell the type of a
// source description that does not declare one, so it is cheap: block YAML is
// scanned line by line for the key at column 0, and JSON only at the first
// level, without building either document. The answer can be wrong only for
// contrived YAML: a key written with a tag or an anchor, or a line
// "asyncapi: …" at column 0 inside a top-level block scalar or a later
// document of the stream.
func Sniff(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		if json.Valid(trimmed) {
			return jsonHasTopKey(trimmed, "asyncapi")
		}
		// A YAML flow mapping, which is rare enough to parse.
		var top map[string]any
		if yaml.Unmarshal(data, &top) != nil {
			return false
		}
		_, ok := top["asyncapi"]
		return ok
	}
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if sniffRE.Match(line) {
			return true
		}
	}
	return false
}

// sniffRE is a top-level asyncapi key in block YAML, plain or quoted: at
// column 0 and followed by ": " or the end of the line, as YAML requires of a
// key ("asyncapi:3" is a string, not a key).
var sniffRE = lazyregexp.New(`^(asyncapi|"asyncapi"|'asyncapi')[ \t]*:([ \t]|\r?$)`)

// jsonHasTopKey scans valid JSON for key among the keys of its top-level
// object, skipping nested values without decoding them.
func jsonHasTopKey(data []byte, key string) bool {
	depth := 0
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			start := i + 1
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
			if depth != 1 || i >= len(data) {
				continue
			}
			s := data[start:i]
			j := i + 1
			for j < len(data) && (data[j] == ' ' || data[j] == '\t' || data[j] == '\r' || data[j] == '\n') {
				j++
			}
			if j < len(data) && data[j] == ':' && string(s) == key {
				return true
			}
		}
	}
	return false
}

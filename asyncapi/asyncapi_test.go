package asyncapi

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// oktaFile is Okta's event hooks description, shared by the team.
const oktaFile = "../../shared/okta/okta-events-asyncapi.yml"

// ordersFile is the 3.0 fixture: an order service on NATS.
const ordersFile = "testdata/orders-asyncapi-3.yaml"

func readOkta(tb testing.TB) []byte {
	tb.Helper()
	data, err := os.ReadFile(oktaFile)
	if err != nil {
		tb.Skipf("Okta description not available: %v", err)
	}
	return data
}

func mustLoad(tb testing.TB, data []byte, location string) *Document {
	tb.Helper()
	d, err := Load(data, location)
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return d
}

func loadFile(tb testing.TB, path string) *Document {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return mustLoad(tb, data, path)
}

// dig walks map keys in a decoded schema; nil when a key is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// refsIn lists the $ref values left in a decoded schema.
func refsIn(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		if r, ok := v["$ref"].(string); ok {
			out = append(out, r)
		}
		for _, c := range v {
			out = append(out, refsIn(c)...)
		}
	case []any:
		for _, c := range v {
			out = append(out, refsIn(c)...)
		}
	}
	return out
}

func names(ms []*Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func TestOkta(t *testing.T) {
	d := mustLoad(t, readOkta(t), "okta-events-asyncapi.yml")
	if d.Version != "2.6.0" || d.Title != "Okta Event Hooks and Log Streams" {
		t.Errorf("Version, Title = %q, %q", d.Version, d.Title)
	}
	wantIDs := []string{"receiveEventHookDelivery", "receiveEventHookVerification", "receiveLogStreamEventBridge",
		"receiveLogStreamSplunk", "respondEventHookVerification"}
	if got := d.OperationIDs(); !slices.Equal(got, wantIDs) {
		t.Errorf("OperationIDs() = %q, want %q", got, wantIDs)
	}
	for _, tt := range []struct {
		id, action, channel string
		messages            []string
	}{
		{"receiveEventHookDelivery", "subscribe", "okta/event-hook/delivery", []string{"EventHookDelivery"}},
		{"receiveEventHookVerification", "subscribe", "okta/event-hook/verification", []string{"EventHookVerificationChallenge"}},
		{"respondEventHookVerification", "publish", "okta/event-hook/verification", []string{"EventHookVerificationResponse"}},
		{"receiveLogStreamSplunk", "subscribe", "okta/log-stream/splunk-cloud", []string{"LogStreamEvent"}},
	} {
		t.Run(tt.id, func(t *testing.T) {
			op, err := d.Operation(tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if op.ID != tt.id || op.Action != tt.action || op.Channel.Key != tt.channel || op.Channel.Address != tt.channel {
				t.Errorf("got %s %s on %q (address %q), want %s on %q", op.ID, op.Action, op.Channel.Key, op.Channel.Address, tt.action, tt.channel)
			}
			if got := names(op.Messages); !slices.Equal(got, tt.messages) {
				t.Errorf("messages %q, want %q", got, tt.messages)
			}
			if op.Channel != d.Channels[tt.channel] {
				t.Error("the operation's channel is not the document's")
			}
		})
	}

	op, _ := d.Operation("receiveEventHookDelivery")
	m := op.Messages[0]
	if m.ContentType != "application/json" || m.CorrelationLocation != "" || m.Headers != nil {
		t.Errorf("message = %q, correlation %q, headers %v", m.ContentType, m.CorrelationLocation, m.Headers)
	}
	// The envelope, with data and the events inside it resolved.
	if got := dig(m.Payload, "properties", "eventType", "const"); got != "com.okta.event_hook" {
		t.Errorf("payload is not the envelope: eventType.const = %v", got)
	}
	if got := dig(m.Payload, "properties", "data", "required"); !reflect.DeepEqual(got, []any{"events"}) {
		t.Errorf("payload.properties.data is not EventHookDeliveryData: required = %v", got)
	}
	if got := dig(m.Payload, "properties", "data", "properties", "events", "items", "properties", "uuid", "type"); got != "string" {
		t.Errorf("data.events.items is not LogEvent: uuid.type = %v", got)
	}
	if refs := refsIn(m.Payload); len(refs) > 0 {
		t.Errorf("$refs left in the payload: %q", refs)
	}

	ch, err := d.ChannelAt("#/channels/okta~1event-hook~1delivery")
	if err != nil || ch != op.Channel {
		t.Errorf("ChannelAt = %v, %v; want the delivery channel", ch, err)
	}
	// Both operations of the verification channel contribute their message.
	if got := names(d.Channels["okta/event-hook/verification"].Messages); !slices.Equal(got,
		[]string{"EventHookVerificationChallenge", "EventHookVerificationResponse"}) {
		t.Errorf("verification channel messages = %q", got)
	}
	// Both Log Stream channels carry the same component message: one *Message.
	a, b := d.Channels["okta/log-stream/aws-eventbridge"], d.Channels["okta/log-stream/splunk-cloud"]
	if a.Messages[0] != b.Messages[0] {
		t.Error("LogStreamEvent reached twice is two messages")
	}

	aws := d.Servers["awsEventBridge"]
	if aws == nil || aws.URL != "events.{awsRegion}.amazonaws.com" || aws.Protocol != "https" ||
		aws.Variables["awsRegion"].Default != "us-east-1" || len(aws.Variables["awsRegion"].Enum) != 17 {
		t.Errorf("awsEventBridge = %+v", aws)
	}
}

func TestOrdersV3(t *testing.T) {
	d := loadFile(t, ordersFile)
	if d.Version != "3.0.0" || d.Title != "Order service" {
		t.Errorf("Version, Title = %q, %q", d.Version, d.Title)
	}
	if s := d.Servers["local"]; s == nil || s.URL != "nats://127.0.0.1:4222" || s.Protocol != "nats" || s.Name != "local" {
		t.Errorf("server local = %+v", s)
	}
	for _, tt := range []struct {
		key, address string
		params       []string
		servers      []string
		messages     []string
	}{
		{"orders", "orders.placed", nil, nil, []string{"OrderPlaced"}},
		{"confirmations", "orders.confirmed.{orderId}", []string{"orderId"}, []string{"local"}, []string{"OrderConfirmed"}},
	} {
		t.Run("channel "+tt.key, func(t *testing.T) {
			ch, err := d.ChannelAt("#/channels/" + tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if ch.Key != tt.key || ch.Address != tt.address || !slices.Equal(ch.Parameters, tt.params) ||
				!slices.Equal(ch.Servers, tt.servers) || !slices.Equal(names(ch.Messages), tt.messages) {
				t.Errorf("got %+v, messages %q", ch, names(ch.Messages))
			}
		})
	}
	for _, tt := range []struct {
		id, action, channel, summary string
		message                      string
		contentType, correlation     string
	}{
		{"placeOrder", "send", "orders", "Place an order.", "OrderPlaced", "application/json", "$message.header#/correlationId"},
		// No name: the component key. No contentType: defaultContentType. A $ref'd correlation id.
		{"confirmOrder", "receive", "confirmations", "Receive the confirmation of an order.", "OrderConfirmed", "application/json", "$message.payload#/orderId"},
	} {
		t.Run("operation "+tt.id, func(t *testing.T) {
			op, err := d.Operation(tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if op.Action != tt.action || op.Channel != d.Channels[tt.channel] || op.Summary != tt.summary {
				t.Errorf("got %s on %q, %q", op.Action, op.Channel.Key, op.Summary)
			}
			if len(op.Messages) != 1 || op.Messages[0] != op.Channel.Messages[0] {
				t.Fatalf("messages %q are not the channel's %q", names(op.Messages), names(op.Channel.Messages))
			}
			m := op.Messages[0]
			if m.Name != tt.message || m.ContentType != tt.contentType || m.CorrelationLocation != tt.correlation {
				t.Errorf("message %q, %q, correlation %q", m.Name, m.ContentType, m.CorrelationLocation)
			}
		})
	}
	placed := d.Operations["placeOrder"].Messages[0]
	if got := dig(placed.Payload, "properties", "lines", "items", "properties", "quantity", "minimum"); got != 1 {
		t.Errorf("Order.lines.items is not OrderLine: quantity.minimum = %#v", got)
	}
	if got := dig(placed.Headers, "properties", "correlationId", "type"); got != "string" {
		t.Errorf("headers = %v", placed.Headers)
	}
}

// TestJSONReadsLikeYAML: the fixture written as JSON loads to the same document.
func TestJSONReadsLikeYAML(t *testing.T) {
	data, err := os.ReadFile(ordersFile)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, fromJSON := mustLoad(t, data, "x"), mustLoad(t, js, "x")
	if !reflect.DeepEqual(fromYAML, fromJSON) {
		a, _ := json.Marshal(fromYAML)
		b, _ := json.Marshal(fromJSON)
		t.Errorf("JSON and YAML differ:\n%s\n%s", a, b)
	}
	// yaml.v3 rejects escaped surrogate pairs; the JSON reader does not.
	if _, err := Load([]byte(`{"asyncapi": "3.0.0", "info": {"title": "caf\u00e9 \ud83d\ude00"}}`), "x.json"); err != nil {
		t.Error(err)
	}
}

func TestSchemas(t *testing.T) {
	doc := `asyncapi: 2.6.0
channels:
  tree:
    publish:
      operationId: sendNode
      message:
        payload:
          $ref: '#/components/schemas/Node'
    subscribe:
      operationId: receiveEither
      message:
        oneOf:
          - $ref: '#/components/messages/A'
          - {name: B, payload: {type: string}}
components:
  messages:
    A:
      contentType: text/plain
      traits:
        - $ref: '#/components/messageTraits/common'
      payload: {type: integer}
  messageTraits:
    common:
      contentType: application/json
      headers: {type: object}
  schemas:
    Node:
      type: object
      properties:
        $ref: {type: string, description: a property called $ref}
        children:
          type: array
          items: {$ref: '#/components/schemas/Node'}
        parent:
          $ref: '#/components/schemas/Leaf'
          description: laid over
      example: {$ref: other.yaml}
    Leaf: {type: object, title: Leaf, description: a leaf}
`
	d := mustLoad(t, []byte(doc), "schemas.yaml")
	p := d.Operations["sendNode"].Messages[0].Payload
	for _, tt := range []struct {
		path []string
		want any
	}{
		{[]string{"properties", "$ref", "type"}, "string"},
		// The recursion is left as written, one level down.
		{[]string{"properties", "children", "items"}, map[string]any{"$ref": "#/components/schemas/Node"}},
		// Keys next to a $ref are laid over what it names.
		{[]string{"properties", "parent"}, map[string]any{"type": "object", "title": "Leaf", "description": "laid over"}},
		// Examples are data: an external $ref in one is not followed.
		{[]string{"example"}, map[string]any{"$ref": "other.yaml"}},
	} {
		if got := dig(p, tt.path...); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("payload.%s = %#v, want %#v", strings.Join(tt.path, "."), got, tt.want)
		}
	}
	either := d.Operations["receiveEither"].Messages
	if got := names(either); !slices.Equal(got, []string{"A", "B"}) {
		t.Fatalf("oneOf messages = %q", got)
	}
	// In 2.x traits are a merge patch over the message: the trait's contentType wins.
	if either[0].ContentType != "application/json" || dig(either[0].Headers, "type") != "object" || dig(either[0].Payload, "type") != "integer" {
		t.Errorf("message A with its trait = %+v", either[0])
	}
	if got := names(d.Channels["tree"].Messages); !slices.Equal(got, []string{"", "A", "B"}) {
		t.Errorf("channel messages = %q", got)
	}

	// In 3.0 the message's own field wins over its traits.
	v3 := `asyncapi: 3.0.0
channels:
  c:
    messages:
      m: {contentType: text/plain, traits: [{contentType: application/json, name: fromTrait}]}
`
	m := mustLoad(t, []byte(v3), "v3.yaml").Channels["c"].Messages[0]
	if m.ContentType != "text/plain" || m.Name != "fromTrait" {
		t.Errorf("3.0 message with trait: %q %q", m.ContentType, m.Name)
	}
}

// TestV3IndirectRefs: servers and channels defined in components and named by
// $ref, and a null address.
func TestV3IndirectRefs(t *testing.T) {
	doc := `asyncapi: 3.0.0
servers:
  prod: {$ref: '#/components/servers/prod'}
channels:
  users: {$ref: '#/components/channels/users'}
operations:
  onUser:
    action: receive
    channel: {$ref: '#/components/channels/users'}
components:
  servers:
    prod: {host: broker.example.com, pathname: /v1, protocol: kafka}
  channels:
    users:
      address: null
      servers: [{$ref: '#/components/servers/prod'}]
      messages:
        created: {payload: {type: object}}
`
	d := mustLoad(t, []byte(doc), "indirect.yaml")
	if s := d.Servers["prod"]; s == nil || s.URL != "kafka://broker.example.com/v1" {
		t.Errorf("server prod = %+v", s)
	}
	ch := d.Channels["users"]
	if ch == nil || ch.Address != "users" || !slices.Equal(ch.Servers, []string{"prod"}) {
		t.Fatalf("channel users = %+v", ch)
	}
	op := d.Operations["onUser"]
	if op == nil || op.Channel != ch || !slices.Equal(names(op.Messages), []string{"created"}) {
		t.Errorf("operation onUser = %+v", op)
	}
}

func TestLoadErrors(t *testing.T) {
	const v2 = "asyncapi: 2.6.0\n"
	const v3 = "asyncapi: 3.0.0\n"
	bomb := "asyncapi: 2.6.0\nchannels:\n  c:\n    publish:\n      message:\n        payload:\n" +
		"          a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g"} {
		bomb += "          " + n + ": &" + n + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n"
		prev = n
	}
	deep := v2 + "channels:\n  c:\n    publish:\n      message:\n        payload: " + strings.Repeat("[", 300) + strings.Repeat("]", 300) + "\n"
	for _, tt := range []struct {
		name, doc string
		want      []string
	}{
		{"empty", " \n", []string{"empty description"}},
		{"not YAML", "asyncapi: 3.0.0\nchannels: [a\n", []string{"not valid YAML or JSON: line 2, column 11:", "not closed"}},
		{"not a mapping", "- asyncapi\n- 3.0.0\n", []string{"the description is a list, want a mapping"}},
		{"no version", "info: {title: x}\n", []string{"no asyncapi field"}},
		{"OpenAPI", "openapi: 3.1.0\n", []string{"no asyncapi field", "OpenAPI"}},
		{"version 1.2.0", "asyncapi: 1.2.0\n", []string{`unsupported AsyncAPI version "1.2.0"`, "2.0.0 to 2.6.x and 3.0.x"}},
		{"version 2.7.0", "asyncapi: 2.7.0\n", []string{`unsupported AsyncAPI version "2.7.0"`}},
		{"version 3.1.0", "asyncapi: 3.1.0\n", []string{`unsupported AsyncAPI version "3.1.0"`}},
		{"version a list", "asyncapi: [3]\n", []string{"asyncapi: is a list"}},
		{"channels a list", v2 + "channels: [a, b]\n", []string{"line 2", "channels: is a list, want a mapping"}},
		{"JSON channels a list", "{\"asyncapi\": \"2.6.0\",\n \"channels\": []}", []string{"line 2", "channels: is a list, want a mapping"}},
		{"channel a string", v2 + "channels:\n  a/b: x\n", []string{`channels."a/b": is a string, want a mapping`}},
		{"operations a list", v3 + "operations: [x]\n", []string{"operations: is a list, want a mapping"}},
		{"no action", v3 + "channels: {c: {}}\noperations:\n  op: {channel: {$ref: '#/channels/c'}}\n", []string{"operations.op: no action"}},
		{"2.x action in 3.0", v3 + "channels: {c: {}}\noperations:\n  op: {action: publish, channel: {$ref: '#/channels/c'}}\n",
			[]string{"operations.op.action", `"publish"`, "sends"}},
		{"no channel", v3 + "operations:\n  op: {action: send}\n", []string{"operations.op: no channel"}},
		{"channel not a ref", v3 + "operations:\n  op: {action: send, channel: c}\n", []string{"operations.op.channel: is a string, want a reference"}},
		{"dangling message $ref", v2 + "channels:\n  a/b:\n    subscribe:\n      message:\n        $ref: '#/components/messages/Nope'\ncomponents:\n  messages:\n    Nop: {}\n",
			[]string{"line 6", `channels."a/b".subscribe.message`, `$ref "#/components/messages/Nope" does not resolve`, `components.messages has no "Nope"`, `did you mean "Nop"`}},
		{"dangling schema $ref", v2 + "channels:\n  a:\n    publish:\n      message:\n        payload:\n          properties:\n            x: {$ref: '#/components/schemas/X'}\n",
			[]string{"line 8", "channels.a.publish.message.payload.properties.x", `$ref "#/components/schemas/X"`, `the top level has no "components"`}},
		{"dangling channel $ref", v3 + "channels: {c: {}}\noperations:\n  op: {action: send, channel: {$ref: '#/channels/d'}}\n",
			[]string{"operations.op.channel", `$ref "#/channels/d" does not resolve`}},
		{"external $ref", v2 + "channels:\n  a:\n    publish:\n      message: {$ref: 'messages.yaml#/Order'}\n",
			[]string{"line 5", `$ref "messages.yaml#/Order" points outside the description`, "only local references"}},
		{"$ref cycle", v2 + "channels:\n  a:\n    publish:\n      message: {$ref: '#/components/messages/A'}\ncomponents:\n  messages:\n    A: {$ref: '#/components/messages/B'}\n    B: {$ref: '#/components/messages/A'}\n",
			[]string{"$ref cycle", "#/components/messages/A → #/components/messages/B → #/components/messages/A"}},
		{"duplicate operationId", v2 + "channels:\n  a:\n    publish: {operationId: x}\n  b:\n    subscribe: {operationId: x}\n",
			[]string{"line 6", "channels.b.subscribe.operationId", `operationId "x" is already used by channels.a.publish`}},
		{"duplicate key", v2 + "channels:\n  a: {}\n  a: {}\n", []string{"line 4", `key "a" is written twice`}},
		{"unknown server", v2 + "servers:\n  prod: {url: x, protocol: nats}\nchannels:\n  a:\n    servers: [prd]\n",
			[]string{`channels.a.servers[0]: no server "prd"`, `did you mean "prod"`}},
		{"3.0 server without host", v3 + "servers:\n  local: {protocol: nats}\n", []string{"servers.local: no host"}},
		{"alias bomb", bomb, []string{"more than 200000 values"}},
		{"deep nesting", deep, []string{"nested more than 200 levels"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Load([]byte(tt.doc), "bad.yaml")
			if err == nil {
				t.Fatalf("no error; loaded %+v", d)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "asyncapi: bad.yaml: ") {
				t.Errorf("%q does not name the file", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q\ndoes not say %q", msg, w)
				}
			}
		})
	}
}

func TestOperationNotFound(t *testing.T) {
	d := loadFile(t, ordersFile)
	for _, tt := range []struct {
		id, want string
	}{
		{"placeOrdr", `asyncapi: operationId "placeOrdr" not found in testdata/orders-asyncapi-3.yaml (did you mean "placeOrder"?)`},
		{"PlaceOrder", `(did you mean "placeOrder"?)`},
		{"zzz", `operationId "zzz" not found`},
	} {
		_, err := d.Operation(tt.id)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Operation(%q) = %v; want ErrNotFound saying %q", tt.id, err, tt.want)
		}
	}
}

func TestChannelAt(t *testing.T) {
	d := mustLoad(t, []byte("asyncapi: 2.6.0\nchannels:\n  okta/event-hook/delivery: {}\n  orders/{id}: {}\n  a~b: {}\n"), "c.yaml")
	for _, tt := range []struct {
		pointer string
		key     string // want this channel, or
		err     string // this error
		notFnd  bool   // wrapping ErrNotFound
	}{
		{pointer: "#/channels/okta~1event-hook~1delivery", key: "okta/event-hook/delivery"},
		{pointer: "/channels/okta~1event-hook~1delivery", key: "okta/event-hook/delivery"},
		{pointer: "#/channels/a~0b", key: "a~b"},
		{pointer: "#/channels/orders~1{id}", key: "orders/{id}"},
		{pointer: "#/channels/orders~1%7Bid%7D", key: "orders/{id}"},
		{pointer: "#/channels/okta~1event-hook~1delivry", notFnd: true,
			err: `channel "okta/event-hook/delivry" (pointer "#/channels/okta~1event-hook~1delivry") not found in c.yaml (did you mean "#/channels/okta~1event-hook~1delivery"?)`},
		{pointer: "#/channels/okta/event-hook/delivery", err: `does not name a channel: want #/channels/<key> (did you mean "#/channels/okta~1event-hook~1delivery"? a / in the key is written ~1)`},
		{pointer: "#/operations/receiveEventHookDelivery", err: "names an operation, not a channel: refer to operations by operationId"},
		{pointer: "channels/orders", err: `channel pointer "channels/orders" in c.yaml: want #/channels/<key>`},
		{pointer: "#/channels/a~2b", err: "want #/channels/<key>, with / in the key written ~1"},
		{pointer: "#/components/channels/x", err: "does not name a channel"},
		{pointer: "", err: "want #/channels/<key>"},
	} {
		ch, err := d.ChannelAt(tt.pointer)
		switch {
		case tt.key != "":
			if err != nil || ch == nil || ch.Key != tt.key {
				t.Errorf("ChannelAt(%q) = %v, %v; want channel %q", tt.pointer, ch, err, tt.key)
			}
		case err == nil || !strings.Contains(err.Error(), tt.err) || errors.Is(err, ErrNotFound) != tt.notFnd:
			t.Errorf("ChannelAt(%q) = %v; want an error saying %q (ErrNotFound: %v)", tt.pointer, err, tt.err, tt.notFnd)
		}
	}
}

func TestSniff(t *testing.T) {
	fixture, err := os.ReadFile(ordersFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		data string
		want bool
	}{
		{string(fixture), true},
		{"\xef\xbb\xbf---\nasyncapi: '2.6.0'\n", true},
		{`"asyncapi": 3.0.0` + "\n", true},
		{"{asyncapi: 3.0.0, channels: {}}", true},
		{`{"info": {"asyncapi": "no"}, "channels": {"x": "}"}, "asyncapi": "3.0.0"}`, true},
		{`{"info": {"asyncapi": "3.0.0"}}`, false},
		{"openapi: 3.1.0\ninfo:\n  asyncapi: 3.0.0\n", false},
		{"asyncapiVersion: 3\n", false},
		{"", false},
		{"[1, 2]", false},
	} {
		if got := Sniff([]byte(tt.data)); got != tt.want {
			t.Errorf("Sniff(%q) = %v, want %v", tt.data, got, tt.want)
		}
	}
}

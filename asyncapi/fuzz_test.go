package asyncapi

import (
	"os"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to Load. It must never panic, and what it
// loads must hang together: every operation's channel is one of the
// document's, ChannelAt finds each channel by its escaped key, and Operation
// finds each id.
func FuzzLoad(f *testing.F) {
	// Okta's 30 KB description is not a seed: each input the fuzzer finds
	// from it is minimized for up to a minute, during which nothing else is
	// tried. TestOkta covers it; the fixture and the small 2.x seeds below
	// exercise the same code.
	fixture, err := os.ReadFile(ordersFile)
	if err != nil {
		f.Fatal(err)
	}
	s := string(fixture)
	f.Add([]byte(s))
	f.Add([]byte(s[:len(s)/2]))                                     // cut short
	f.Add([]byte(strings.Replace(s, "$ref: '#/", "$ref: '#/x", 1))) // dangling
	f.Add([]byte(strings.Replace(s, "$ref: '#/", "$ref: 'other.yaml#/", 1)))
	f.Add([]byte(strings.Replace(s, "asyncapi: ", "asyncapi: 1", 1)))
	f.Add([]byte(`{"asyncapi":"3.0.0","channels":{"c":{"address":"a.{p}","messages":{"m":{"payload":{"$ref":"#/channels/c/messages/m/payload"}}}}},` +
		`"operations":{"o":{"action":"send","channel":{"$ref":"#/channels/c"},"messages":[{"$ref":"#/channels/c/messages/m"}]}}}`))
	f.Add([]byte("asyncapi: 2.6.0\nchannels:\n  a/{b}:\n    publish:\n      operationId: x\n      message:\n        oneOf:\n          - payload: &p {type: object, properties: {a: *p}}\n"))
	f.Add([]byte("asyncapi: 2.0.0\nchannels:\n  c:\n    subscribe:\n      message:\n        payload:\n          a: &a [x, x]\n          b: &b [*a, *a]\n          c: [*b, *b]\n"))
	f.Add([]byte("asyncapi: 3.0.0\ncomponents:\n  messages:\n    A: {$ref: '#/components/messages/B'}\n    B: {$ref: '#/components/messages/A'}\nchannels:\n  c: {messages: {m: {$ref: '#/components/messages/A'}}}\n"))
	f.Add([]byte("asyncapi: 2.6.0\ndefaultContentType: a\nservers:\n  s: {url: 'x{v}', protocol: nats, variables: {v: {default: a, enum: [a, b]}}}\n" +
		"channels:\n  a/{b}:\n    servers: [s]\n    parameters: {b: {$ref: '#/components/parameters/b'}}\n    publish:\n      operationId: p\n" +
		"      message:\n        traits: [{$ref: '#/components/messageTraits/t'}]\n        payload: {$ref: '#/components/schemas/S'}\n" +
		"components:\n  parameters: {b: {}}\n  messageTraits: {t: {contentType: c, correlationId: {location: $message.header#/id}}}\n" +
		"  schemas: {S: {type: object, properties: {s: {$ref: '#/components/schemas/S'}}, example: {$ref: x}}}\n"))
	f.Add([]byte("- a\n"))
	f.Add([]byte("asyncapi: [3.0.0]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		Sniff(data)
		d, err := Load(data, "fuzz.yaml")
		if err != nil {
			if d != nil {
				t.Fatal("a document with an error")
			}
			return
		}
		for key, ch := range d.Channels {
			if ch == nil || ch.Key != key {
				t.Fatalf("channel %q is %+v", key, ch)
			}
			got, err := d.ChannelAt("#/channels/" + escapeToken(key))
			if err != nil || got != ch {
				t.Fatalf("ChannelAt(%q) = %v, %v", key, got, err)
			}
			for _, m := range ch.Messages {
				if m == nil {
					t.Fatalf("channel %q has a nil message", key)
				}
			}
		}
		for _, id := range d.OperationIDs() {
			op, err := d.Operation(id)
			if err != nil || op.ID != id || op.Channel == nil || d.Channels[op.Channel.Key] != op.Channel {
				t.Fatalf("Operation(%q) = %+v, %v", id, op, err)
			}
			for _, m := range op.Messages {
				if m == nil {
					t.Fatalf("operation %q has a nil message", id)
				}
			}
		}
		d.Operation("nope")
		d.ChannelAt("#/operations/x")
	})
}

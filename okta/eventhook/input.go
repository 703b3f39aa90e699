package eventhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trama-dev/trama/okta"
	"golang.org/x/net/http/httpguts"
)

// Input is the body of POST and PUT /api/v1/eventHooks, with Okta's JSON field names. Read-only
// fields a client echoes back (id, status, created, channel.config.method, _links …) are ignored, as
// Okta ignores them.
type Input struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Events      Events  `json:"events"`
	Channel     Channel `json:"channel"`

	// filters is events.filter compiled by validate; nil when the hook has no filter.
	filters *eventFilters
}

// Okta's limits on event hooks.
const (
	maxNameLen       = 255
	maxURILen        = 1024
	maxItems         = 300
	maxActive        = 25
	eventsType       = "EVENT_TYPE"
	channelType      = "HTTP"
	channelVersion   = "1.0.0"
	authSchemeHeader = "HEADER"
)

// reservedHeaders are headers trama sets on every hook request itself, so a hook may not configure
// them (Okta refuses Accept and the like in channel.config.headers).
var reservedHeaders = map[string]bool{
	"Accept": true, "Accept-Charset": true, "Accept-Encoding": true, "Connection": true, "Content-Encoding": true,
	"Content-Length": true, "Content-Type": true, "Host": true, "Transfer-Encoding": true, "User-Agent": true,
	"Te": true, "Trailer": true, "Upgrade": true, "Cookie": true,
	http.CanonicalHeaderKey(okta.VerificationHeader): true,
}

// DecodeInput decodes and validates a POST or PUT body. A body that is not JSON is 400 E0000003;
// a body that breaks a rule is 400 E0000001 "Api validation failed: {first field}" with one
// errorCause per broken rule. Plain http:// URIs pass only for loopback hosts; Registry.Create decides
// whether it allows those.
func DecodeInput(body []byte) (Input, error) {
	var in Input
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&in); err != nil {
		return Input{}, okta.NewError("E0000003", "The request body was not well-formed.")
	}
	if dec.More() {
		return Input{}, okta.NewError("E0000003", "The request body was not well-formed.")
	}
	if err := in.validate(true); err != nil {
		return Input{}, err
	}
	return in, nil
}

type violation struct{ field, msg string }

// validate checks Okta's rules and returns an *okta.Error listing every broken one. It compiles
// events.filter into in.filters and stores the filter in the form Okta answers with.
func (in *Input) validate(allowHTTP bool) error {
	var causes []violation
	add := func(field, format string, args ...any) {
		causes = append(causes, violation{field, field + ": " + fmt.Sprintf(format, args...)})
	}
	switch n := utf8.RuneCountInString(in.Name); {
	case strings.TrimSpace(in.Name) == "":
		add("name", "The field cannot be left blank")
	case n > maxNameLen:
		add("name", "The field is too long (%d characters, at most %d)", n, maxNameLen)
	}
	if in.Events.Type != eventsType {
		add("events.type", "Must be %s, got %q", eventsType, in.Events.Type)
	}
	switch n := len(in.Events.Items); {
	case n == 0:
		add("events.items", "At least one event type is required")
	case n > maxItems:
		add("events.items", "At most %d event types are allowed, got %d", maxItems, n)
	}
	for _, it := range in.Events.Items {
		if _, ok := eligibleTypes[it]; !ok {
			add("events.items", "%q is not an event-hook-eligible event type", it)
		}
	}
	filters, filterCauses := compileFilter(in.Events.Filter, in.Events.Items)
	causes = append(causes, filterCauses...)
	in.filters, in.Events.Filter = filters, nil
	if filters != nil {
		in.Events.Filter = filters.normalized()
	}
	if in.Channel.Type != channelType {
		add("channel.type", "Must be %s, got %q", channelType, in.Channel.Type)
	}
	if in.Channel.Version != channelVersion {
		add("channel.version", "Must be %s, got %q", channelVersion, in.Channel.Version)
	}
	if msg := checkURI(in.Channel.Config.URI, allowHTTP); msg != "" {
		add("channel.config.uri", "%s", msg)
	}
	for _, h := range in.Channel.Config.Headers {
		if msg := checkHeaderKey(h.Key); msg != "" {
			add("channel.config.headers", "%s", msg)
		} else if strings.ContainsAny(h.Value, "\r\n\x00") {
			add("channel.config.headers", "The value of header %q contains a line break", h.Key)
		}
	}
	if a := in.Channel.Config.AuthScheme; a != nil {
		if a.Type != authSchemeHeader {
			add("channel.config.authScheme.type", "Must be %s", authSchemeHeader)
		}
		if msg := checkHeaderKey(a.Key); msg != "" {
			add("channel.config.authScheme.key", "%s", msg)
		}
		// The value is secret: name the rule, never the value.
		if strings.ContainsAny(a.Value, "\r\n\x00") {
			add("channel.config.authScheme.value", "The value contains a line break")
		}
	}
	if len(causes) == 0 {
		return nil
	}
	msgs := make([]string, len(causes))
	for i, c := range causes {
		msgs[i] = c.msg
	}
	return okta.NewError("E0000001", "Api validation failed: "+causes[0].field, msgs...)
}

func checkHeaderKey(key string) string {
	if key == "" {
		return "A header name is required"
	}
	for _, r := range key {
		if !httpguts.IsTokenRune(r) {
			return fmt.Sprintf("%q is not a valid header name", key)
		}
	}
	if reservedHeaders[http.CanonicalHeaderKey(key)] {
		return fmt.Sprintf("%q is a reserved header", key)
	}
	return ""
}

// checkURI applies Okta's rules: https://, at most 1024 characters, no white space. Plain http is
// accepted for loopback hosts when allowHTTP is set, so tests and the demo can use local receivers.
func checkURI(raw string, allowHTTP bool) string {
	switch {
	case raw == "":
		return "The field cannot be left blank"
	case len(raw) > maxURILen:
		return fmt.Sprintf("The URI is too long (%d characters, at most %d)", len(raw), maxURILen)
	case strings.IndexFunc(raw, unicode.IsSpace) >= 0:
		return "The URI must not contain white space"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return "The URI is not a valid absolute URI"
	}
	switch {
	case strings.EqualFold(u.Scheme, "https"):
		return ""
	case strings.EqualFold(u.Scheme, "http") && allowHTTP && isLoopback(u.Hostname()):
		return ""
	}
	return "The URI must begin with https://"
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

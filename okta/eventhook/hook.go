package eventhook

import (
	"encoding/json"
	"time"

	"github.com/trama-dev/trama/okta"
)

// Hook status values, as Okta writes them.
const (
	StatusActive   = "ACTIVE"
	StatusInactive = "INACTIVE"
	Verified       = "VERIFIED"
	Unverified     = "UNVERIFIED"
)

// Hook is a registered event hook. Its JSON form (json tags) is the --state form and includes the
// auth scheme's secret value; the API form is Render, which never does.
type Hook struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	Description        string    `json:"description,omitempty"`
	Status             string    `json:"status"`
	VerificationStatus string    `json:"verificationStatus"`
	Created            time.Time `json:"created"`
	CreatedBy          string    `json:"createdBy"`
	LastUpdated        time.Time `json:"lastUpdated"`
	Events             Events    `json:"events"`
	Channel            Channel   `json:"channel"`

	// filters is Events.Filter compiled; nil when the hook has no filter. It is never changed once
	// set, so copies of a Hook share it.
	filters *eventFilters
}

// Events is the subscription of a hook.
type Events struct {
	// Type is always EVENT_TYPE.
	Type  string   `json:"type"`
	Items []string `json:"items"`
	// Filter is Okta's optional Expression Language filter (filter.go), in the form Okta answers
	// with. Events of a type it names are delivered only when its condition holds.
	Filter json.RawMessage `json:"filter,omitempty"`
}

// Channel is where and how a hook is called.
type Channel struct {
	// Type is always HTTP and Version always 1.0.0.
	Type    string        `json:"type"`
	Version string        `json:"version"`
	Config  ChannelConfig `json:"config"`
}

// ChannelConfig is the endpoint of a hook.
type ChannelConfig struct {
	URI        string      `json:"uri"`
	Headers    []Header    `json:"headers"`
	AuthScheme *AuthScheme `json:"authScheme,omitempty"`
}

// Header is one extra header sent with every verification and delivery request.
type Header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// AuthScheme is the header that authenticates Okta to the receiver. Value is write-only in Okta's
// API: Render leaves it out, and it never reaches logs or error text.
type AuthScheme struct {
	Type  string `json:"type"`
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Active reports whether the hook receives events: ACTIVE and VERIFIED.
func (h Hook) Active() bool {
	return h.Status == StatusActive && h.VerificationStatus == Verified
}

// receives reports whether the hook subscribes to the event's type and its filter lets the event
// through.
func (h *Hook) receives(ev *okta.LogEvent) bool {
	for _, it := range h.Events.Items {
		if it == ev.EventType {
			return h.filters.allows(ev)
		}
	}
	return false
}

// Render returns the EventHook object of Okta's API for a hook of the org at baseURL (for example
// "https://example.okta.com", no trailing slash): timestamps in Okta's millisecond layout, a null
// description when empty, method "POST", the auth scheme without its value and _links that depend on
// the status as on a real org (ACTIVE: self, verify, deactivate; INACTIVE: activate, self, delete).
func (h Hook) Render(baseURL string) map[string]any {
	self := baseURL + "/api/v1/eventHooks/" + h.ID
	var description any
	if h.Description != "" {
		description = h.Description
	}
	headers := make([]any, 0, len(h.Channel.Config.Headers))
	for _, hd := range h.Channel.Config.Headers {
		headers = append(headers, map[string]any{"key": hd.Key, "value": hd.Value})
	}
	config := map[string]any{
		"uri":        h.Channel.Config.URI,
		"headers":    headers,
		"method":     "POST",
		"authScheme": nil,
	}
	if a := h.Channel.Config.AuthScheme; a != nil {
		config["authScheme"] = map[string]any{"type": a.Type, "key": a.Key}
	}
	var filter any
	if len(h.Events.Filter) > 0 {
		if err := json.Unmarshal(h.Events.Filter, &filter); err != nil {
			filter = nil
		}
	}
	items := make([]any, len(h.Events.Items))
	for i, it := range h.Events.Items {
		items[i] = it
	}
	post := func(href string) map[string]any {
		return map[string]any{"href": href, "hints": map[string]any{"allow": []any{"POST"}}}
	}
	links := map[string]any{"self": map[string]any{"href": self}}
	if h.Status == StatusActive {
		links["verify"] = post(self + "/lifecycle/verify")
		links["deactivate"] = post(self + "/lifecycle/deactivate")
	} else {
		links["activate"] = post(self + "/lifecycle/activate")
		links["delete"] = map[string]any{"href": self, "hints": map[string]any{"allow": []any{"DELETE"}}}
	}
	return map[string]any{
		"id":                 h.ID,
		"status":             h.Status,
		"verificationStatus": h.VerificationStatus,
		"name":               h.Name,
		"description":        description,
		"created":            h.Created.UTC().Format(okta.TimeLayout),
		"createdBy":          h.CreatedBy,
		"lastUpdated":        h.LastUpdated.UTC().Format(okta.TimeLayout),
		"events": map[string]any{
			"type":   h.Events.Type,
			"items":  items,
			"filter": filter,
		},
		"channel": map[string]any{
			"type":    h.Channel.Type,
			"version": h.Channel.Version,
			"config":  config,
		},
		"_links": links,
	}
}

package okta

import "time"

// LogEvent is one System Log event, as returned by GET /api/v1/logs and delivered in event hooks.
//
// Pointers and nil maps marshal as JSON null, which is how Okta writes absent sub-objects
// (for example "device": null), so a LogEvent built by the emulator round-trips byte-for-byte
// through a receiver that decodes into this type.
type LogEvent struct {
	Actor                 *Actor                 `json:"actor"`
	AuthenticationContext *AuthenticationContext `json:"authenticationContext"`
	Client                *Client                `json:"client"`
	Device                map[string]any         `json:"device"`
	DebugContext          *DebugContext          `json:"debugContext"`
	DisplayMessage        string                 `json:"displayMessage"`
	EventType             string                 `json:"eventType"`
	LegacyEventType       string                 `json:"legacyEventType,omitempty"`
	Outcome               *Outcome               `json:"outcome"`
	Published             Time                   `json:"published"`
	Request               *Request               `json:"request"`
	SecurityContext       *SecurityContext       `json:"securityContext"`
	Severity              string                 `json:"severity"`
	Target                []Target               `json:"target"`
	Transaction           *Transaction           `json:"transaction"`
	UUID                  string                 `json:"uuid"`
	// Version is "0" on every event Okta publishes today.
	Version string `json:"version"`
}

// Actor is the entity that performed the action of an event: a user, an app, or Okta itself.
type Actor struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	AlternateID string         `json:"alternateId"`
	DisplayName string         `json:"displayName"`
	DetailEntry map[string]any `json:"detailEntry"`
}

// Target is an entity an event acted upon. Okta writes "unknown" for an AlternateID it cannot name.
type Target struct {
	ID            string         `json:"id"`
	Type          string         `json:"type"`
	AlternateID   string         `json:"alternateId"`
	DisplayName   string         `json:"displayName"`
	DetailEntry   map[string]any `json:"detailEntry"`
	ChangeDetails *ChangeDetails `json:"changeDetails,omitempty"`
}

// ChangeDetails records the attribute values before and after a change, when Okta reports them.
type ChangeDetails struct {
	From map[string]any `json:"from"`
	To   map[string]any `json:"to"`
}

// AuthenticationContext describes how the actor authenticated.
type AuthenticationContext struct {
	AuthenticationProvider *string `json:"authenticationProvider"`
	CredentialProvider     *string `json:"credentialProvider"`
	CredentialType         *string `json:"credentialType"`
	Issuer                 *Issuer `json:"issuer"`
	Interface              *string `json:"interface"`
	AuthenticationStep     int     `json:"authenticationStep"`
	ExternalSessionID      string  `json:"externalSessionId"`
	RootSessionID          string  `json:"rootSessionId,omitempty"`
}

// Issuer names the issuer of the credential used.
type Issuer struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// Client is the client that made the request behind the event.
type Client struct {
	UserAgent           *UserAgent           `json:"userAgent"`
	Zone                string               `json:"zone"`
	Device              string               `json:"device"`
	ID                  *string              `json:"id"`
	IPAddress           string               `json:"ipAddress"`
	GeographicalContext *GeographicalContext `json:"geographicalContext"`
}

// UserAgent is the parsed User-Agent header of the client.
type UserAgent struct {
	RawUserAgent string `json:"rawUserAgent"`
	OS           string `json:"os"`
	Browser      string `json:"browser"`
}

// GeographicalContext locates an IP address.
type GeographicalContext struct {
	City        *string      `json:"city"`
	State       *string      `json:"state"`
	Country     *string      `json:"country"`
	PostalCode  *string      `json:"postalCode"`
	Geolocation *Geolocation `json:"geolocation"`
}

// Geolocation is a latitude and longitude.
type Geolocation struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// DebugContext carries free-form debugging data. Okta writes debugData keys in camelCase on the wire
// (requestId, requestUri, url), although its event-type catalog lists them in snake_case.
type DebugContext struct {
	DebugData map[string]any `json:"debugData"`
}

// Outcome is the result of the action and, for factor events, the reason
// ("User set up OKTA_SOFT_TOKEN factor").
type Outcome struct {
	Result string `json:"result"`
	Reason string `json:"reason,omitempty"`
}

// Request holds the chain of IP addresses the request passed through.
type Request struct {
	IPChain []IPAddress `json:"ipChain"`
}

// IPAddress is one hop of Request.IPChain.
type IPAddress struct {
	IP                  string               `json:"ip"`
	GeographicalContext *GeographicalContext `json:"geographicalContext"`
	Version             string               `json:"version"`
	Source              *string              `json:"source"`
}

// SecurityContext describes the network the request came from.
type SecurityContext struct {
	ASNumber *int    `json:"asNumber"`
	ASOrg    *string `json:"asOrg"`
	ISP      *string `json:"isp"`
	Domain   *string `json:"domain"`
	IsProxy  *bool   `json:"isProxy"`
}

// Transaction ties the event to the request (type WEB) or background job (type JOB) that caused it.
// For a request, ID equals the response's X-Okta-Request-Id and debugData.requestId.
type Transaction struct {
	Type   string         `json:"type"`
	ID     string         `json:"id"`
	Detail map[string]any `json:"detail"`
}

// UserTarget returns the first target of type "User", which is the end user of user.* events.
func (e *LogEvent) UserTarget() (Target, bool) {
	for _, t := range e.Target {
		if t.Type == "User" {
			return t, true
		}
	}
	return Target{}, false
}

// TimeLayout is the layout of every timestamp Okta writes: UTC with exactly three fractional digits.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Time is a timestamp that marshals in Okta's millisecond layout (TimeLayout) and unmarshals from any
// RFC 3339 timestamp.
type Time struct{ time.Time }

// MarshalJSON writes the time in UTC with millisecond precision.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format(TimeLayout) + `"`), nil
}

// UnmarshalJSON accepts null and any RFC 3339 timestamp.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return &time.ParseError{Layout: time.RFC3339Nano, Value: string(b), Message: ": not a JSON string"}
	}
	parsed, err := time.Parse(time.RFC3339Nano, string(b[1:len(b)-1]))
	if err != nil {
		return err
	}
	t.Time = parsed
	return nil
}

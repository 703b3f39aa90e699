package backfill

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/okta/emulator"
)

func TestDecodePageKeepsRawEvents(t *testing.T) {
	// Fields trama does not model, odd spacing and key order must all survive into the payload.
	body := `[ {"uuid":"e766d84e-a0a8-11ed-a750-9f5fc296ce63", "published":"2023-01-30T14:18:01.558Z",
	  "eventType":"user.mfa.factor.activate","insertionTimestamp":null,"client":{"zone":"null"}} ,
	 {"eventType":"user.lifecycle.create","uuid":"f0000000-a0a8-11ed-a750-9f5fc296ce63","published":"2023-01-30T14:18:02Z"}]`
	events, err := decodePage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("%d events", len(events))
	}
	e := events[0]
	if e.UUID != "e766d84e-a0a8-11ed-a750-9f5fc296ce63" || e.Type != "user.mfa.factor.activate" ||
		!e.Published.Equal(time.Date(2023, 1, 30, 14, 18, 1, 558e6, time.UTC)) {
		t.Errorf("event 0: %+v", e)
	}
	if want := body[strings.Index(body, "{") : strings.Index(body, "}}")+2]; string(e.Payload) != want {
		t.Errorf("payload %s, want the bytes as sent: %s", e.Payload, want)
	}
	if events[1].Type != "user.lifecycle.create" {
		t.Errorf("event 1: %+v", events[1])
	}
	if events, err := decodePage([]byte("[]")); err != nil || len(events) != 0 {
		t.Errorf("empty page: %v, %v", events, err)
	}
}

// TestDecodePageReadsTheUser: a polled event carries the user it is about (its first target of type
// User, found by the exact member name), as an event a hook delivers does.
func TestDecodePageReadsTheUser(t *testing.T) {
	body := `[{"uuid":"u1","eventType":"user.mfa.factor.activate","published":"2026-01-01T00:00:00.000Z",
	  "target":[{"id":"aut1","type":"AuthenticatorEnrollment"},{"id":"00uann","type":"User","alternateId":"Ann@Example.com"}]},
	 {"uuid":"u2","eventType":"user.session.start","published":"2026-01-01T00:00:00.000Z","Target":[{"id":"00ubob","type":"User"}]}]`
	events, err := decodePage([]byte(body))
	if err != nil || len(events) != 2 {
		t.Fatalf("decodePage = %d events, %v", len(events), err)
	}
	if u := events[0].User; u.ID != "00uann" || u.Login != "Ann@Example.com" {
		t.Errorf("event u1's user = %+v", u)
	}
	if u := events[1].User; u.ID != "" || u.Login != "" {
		t.Errorf("event u2 has no member named target, yet its user = %+v", u)
	}
}

func FuzzDecodePage(f *testing.F) {
	f.Add([]byte(`[{"uuid":"u1","eventType":"user.lifecycle.create","published":"2026-01-01T00:00:00.000Z"}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"uuid":1}]`))
	f.Add([]byte(`[{"uuid":"u","eventType":"t","published":"2026-13-01T00:00:00Z"}]`))
	f.Add([]byte(`{"errorCode":"E0000047"}`))
	f.Add([]byte(`[null]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := decodePage(body)
		if err != nil {
			return
		}
		for _, e := range events {
			if e.UUID == "" || e.Type == "" || !json.Valid(e.Payload) {
				t.Fatalf("accepted event %+v", e)
			}
		}
	})
}

// logEventJSON is a System Log event of realistic size (about 2 KB).
func logEventJSON(i int) string {
	return fmt.Sprintf(`{"actor":{"id":"00u1a2b3c4d5e6f7g8h9","type":"User","alternateId":"admin@example.com","displayName":"Org Admin","detailEntry":null},`+
		`"client":{"userAgent":{"rawUserAgent":"okta-sdk-golang/6.0.3 golang/go1.26.8 linux/amd64","os":"Linux","browser":"UNKNOWN"},"zone":"null","device":"Unknown","id":null,"ipAddress":"203.0.113.7",`+
		`"geographicalContext":{"city":"Lisbon","state":"Lisbon","country":"Portugal","postalCode":"1000-001","geolocation":{"lat":38.7,"lon":-9.1}}},`+
		`"device":null,"authenticationContext":{"authenticationProvider":null,"credentialProvider":null,"credentialType":null,"issuer":null,"interface":null,"authenticationStep":0,"externalSessionId":"trs1234"},`+
		`"displayMessage":"Activate factor for user","eventType":"user.mfa.factor.activate","outcome":{"result":"SUCCESS","reason":"User set up OKTA_SOFT_TOKEN factor"},`+
		`"published":"2026-01-01T00:00:%02d.%03dZ","securityContext":{"asNumber":null,"asOrg":null,"isp":null,"domain":null,"isProxy":null},"severity":"INFO",`+
		`"debugContext":{"debugData":{"requestId":"aBcDeFgHiJkLmNoPqRsTuV","requestUri":"/api/v1/users/00u1/factors/uft1/lifecycle/activate","url":"/api/v1/users/00u1/factors/uft1/lifecycle/activate?"}},`+
		`"legacyEventType":"core.user.factor.activate","transaction":{"type":"WEB","id":"aBcDeFgHiJkLmNoPqRsTuV","detail":{"requestApiTokenId":"00T1a2b3c4d5e6f7"}},`+
		`"uuid":"%08x-a0a8-11ed-a750-9f5fc296ce63","version":"0","request":{"ipChain":[{"ip":"203.0.113.7","geographicalContext":null,"version":"V4","source":null}]},`+
		`"target":[{"id":"00u2b3c4d5e6f7g8h9i0","type":"User","alternateId":"user@example.com","displayName":"Some User","detailEntry":null}]}`, i%60, i%1000, i)
}

func BenchmarkDecodePage(b *testing.B) {
	parts := make([]string, 1000)
	for i := range parts {
		parts[i] = logEventJSON(i)
	}
	body := []byte("[" + strings.Join(parts, ",") + "]")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := decodePage(body); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/event")
}

// BenchmarkPollCatchUp measures a poller catching up on 1000 new events from the emulator: five
// pages of 200 fetched over loopback HTTP and committed to a fresh SQLite store, cursor included.
func BenchmarkPollCatchUp(b *testing.B) {
	o := newOrg(b, emulator.Options{RateLimit: -1}, nil)
	for i := range 500 {
		o.createUser(fmt.Sprintf("bench%d@example.com", i))
	}
	var events int
	for b.Loop() {
		b.StopTimer()
		p := newPoller(o, tempStore(b))
		p.EventTypes = []string{typeCreate, "user.lifecycle.activate"}
		p.PageSize = 200
		b.StartTimer()
		n, err := p.Poll(context.Background())
		if err != nil || n != 1000 {
			b.Fatalf("Poll: %d, %v", n, err)
		}
		events += n
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

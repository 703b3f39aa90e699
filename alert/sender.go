// Package alert sends the failure alerts the store queues (a failed run, a run stopped as uncertain, a
// quarantined event): to the log always, and to a webhook when the configuration names one, once each,
// at most a configured number a minute per webhook.
package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/trama-dev/trama/store"
)

// Store is what the sender needs of the store.
type Store interface {
	ClaimAlerts(ctx context.Context, n int, lease time.Duration) ([]store.Alert, error)
	AlertSent(ctx context.Context, key string) error
	AlertFailed(ctx context.Context, key, why string, retryIn time.Duration) error
}

// Sender claims due alerts and sends them. The zero value of every field but Store has a default.
type Sender struct {
	Store Store
	// Webhook returns where the alerts of a trigger go ("" for the log only); a quarantined event has
	// no trigger ("").
	Webhook func(trigger string) string
	// PerMinute caps the alerts sent to one webhook a minute; 0 means 30.
	PerMinute int
	// Client sends the webhooks; nil means a client with a 10 s timeout.
	Client *http.Client
	Logger *slog.Logger
	// Every is how often due alerts are looked for; 0 means a second.
	Every time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
}

// Run sends alerts until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	every := s.Every
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.SendDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SendDue sends the alerts due now; failures are retried later with backoff.
func (s *Sender) SendDue(ctx context.Context) {
	alerts, err := s.Store.ClaimAlerts(ctx, 50, time.Minute)
	if err != nil {
		if ctx.Err() == nil {
			s.logger().Error("claiming alerts failed", "err", err)
		}
		return
	}
	for _, a := range alerts {
		s.send(ctx, a)
	}
}

func (s *Sender) send(ctx context.Context, a store.Alert) {
	text := Text(a)
	hook := ""
	if s.Webhook != nil {
		hook = s.Webhook(a.Trigger)
	}
	if a.Attempts == 1 {
		s.logger().Warn("alert", "kind", a.Kind, "run", a.RunID, "trigger", a.Trigger, "event", a.EventUUID, "message", a.Message)
	}
	if hook == "" {
		if err := s.Store.AlertSent(ctx, a.Key); err != nil {
			s.logger().Error("recording an alert as logged failed", "alert", a.Key, "err", err)
		}
		return
	}
	if wait := s.bucket(hook).take(time.Now()); wait > 0 {
		s.fail(ctx, a, "held back: the webhook's limit of alerts a minute is reached", wait)
		return
	}
	body, _ := json.Marshal(payload{Text: text, Trama: details{Kind: a.Kind, Run: a.RunID, Trigger: a.Trigger, Event: a.EventUUID,
		Message: a.Message, At: a.CreatedAt.UTC().Format(time.RFC3339)}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook, bytes.NewReader(body))
	if err != nil {
		s.fail(ctx, a, "the webhook URL is not usable", time.Hour)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client().Do(req)
	if err != nil {
		// The error names the URL, which may carry the webhook's secret: say what kind of failure only.
		s.fail(ctx, a, "the webhook could not be reached", backoff(a.Attempts))
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		s.fail(ctx, a, fmt.Sprintf("the webhook answered %s", resp.Status), backoff(a.Attempts))
		return
	}
	if err := s.Store.AlertSent(ctx, a.Key); err != nil {
		s.logger().Error("recording a sent alert failed; it may be sent again", "alert", a.Key, "err", err)
	}
}

func (s *Sender) fail(ctx context.Context, a store.Alert, why string, retryIn time.Duration) {
	if a.Attempts > 1 || why != "" {
		s.logger().Info("alert not sent yet", "alert", a.Key, "why", why, "retry in", retryIn)
	}
	if err := s.Store.AlertFailed(ctx, a.Key, why, retryIn); err != nil && ctx.Err() == nil {
		s.logger().Error("recording an alert's failure failed", "alert", a.Key, "err", err)
	}
}

// backoff is the wait before attempt n+1: 5 s doubling, at most 10 minutes.
func backoff(n int) time.Duration {
	d := 5 * time.Second
	for range min(n-1, 8) {
		d *= 2
	}
	return min(d, 10*time.Minute)
}

func (s *Sender) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	return &http.Client{Timeout: 10 * time.Second}
}

func (s *Sender) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Sender) bucket(hook string) *bucket {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets == nil {
		s.buckets = map[string]*bucket{}
	}
	b := s.buckets[hook]
	if b == nil {
		per := s.PerMinute
		if per <= 0 {
			per = 30
		}
		b = &bucket{perMinute: per}
		s.buckets[hook] = b
	}
	return b
}

// bucket is a fixed window of a minute: simple, and what "n a minute" means to the person reading it.
type bucket struct {
	mu        sync.Mutex
	perMinute int
	start     time.Time
	used      int
}

// take counts one send, or returns how long until the window has room.
func (b *bucket) take(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Sub(b.start) >= time.Minute {
		b.start, b.used = now, 0
	}
	if b.used >= b.perMinute {
		return b.start.Add(time.Minute).Sub(now)
	}
	b.used++
	return 0
}

// payload is the webhook's body: "text" is what Slack, Mattermost and other incoming webhooks show;
// "trama" carries the fields for tools that read JSON.
type payload struct {
	Text  string  `json:"text"`
	Trama details `json:"trama"`
}

type details struct {
	Kind    string `json:"kind"`
	Run     string `json:"run,omitempty"`
	Trigger string `json:"trigger,omitempty"`
	Event   string `json:"event,omitempty"`
	Message string `json:"message"`
	At      string `json:"at"`
}

// Text is the one line an alert says.
func Text(a store.Alert) string {
	switch a.Kind {
	case store.AlertFailed:
		return fmt.Sprintf("trama: run %s of trigger %s failed: %s (event %s)", a.RunID, a.Trigger, a.Message, a.EventUUID)
	case store.AlertUncertain:
		return fmt.Sprintf("trama: run %s of trigger %s stopped: %s; decide with trama runs resolve %s (event %s)",
			a.RunID, a.Trigger, a.Message, a.RunID, a.EventUUID)
	default:
		return "trama: " + a.Message
	}
}

package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/store"
)

// Live pages: a page whose content can change names a stream (its data-live attribute) and the version
// of what it shows. The stream asks the store for the same thing every Poll and sends "change" when the
// version moves; the page's script then fetches the page again and swaps its content in. Versions are
// hashes of what the page shows, so a stream reconnecting (Last-Event-ID) carries on where it was.
// Without JavaScript the page refreshes itself instead (<noscript> meta refresh).

const (
	// maxStreams bounds the live streams one process serves at once.
	maxStreams = 200
	// streamLife ends a stream after a while; the browser reconnects, so a tab left open for days
	// holds no stream for days, and a stream never outlives a changed deployment for long.
	streamLife = 5 * time.Minute
	// keepAlive is how often an idle stream sends a comment, so proxies keep it open and a closed tab
	// is noticed.
	keepAlive = 15 * time.Second
)

// liveURL is the stream of a view with its query and the version the page shows.
func liveURL(view string, q url.Values, version string) string {
	n := url.Values{}
	for k, vs := range q {
		if k != "after" && k != "v" && k != "view" && k != "done" {
			n[k] = vs
		}
	}
	n.Set("view", view)
	n.Set("v", version)
	return Prefix + "live?" + n.Encode()
}

func hash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

func runsVersion(runs []store.Run) string {
	parts := make([]string, 0, len(runs))
	for _, r := range runs {
		parts = append(parts, fmt.Sprintf("%s %s %d", r.ID, r.Status, r.Attempts))
	}
	return hash(parts...)
}

func eventsVersion(events []store.Event) string {
	parts := make([]string, 0, len(events))
	for _, e := range events {
		parts = append(parts, fmt.Sprintf("%s %d %d %d %d %d %s", e.UUID, e.Runs, e.Replays, e.Dispatched, e.Duplicates, len(e.Skipped), e.DispatchError))
	}
	return hash(parts...)
}

func runVersion(r history.Run) string {
	parts := []string{r.Status, fmt.Sprint(r.Attempts, len(r.Steps), len(r.Audit), len(r.AttemptLog)), r.Error}
	for _, s := range r.Steps {
		parts = append(parts, fmt.Sprint(s.Seq, s.RunAttempt, s.Status))
	}
	if r.InDoubt != nil {
		parts = append(parts, fmt.Sprint("doubt", r.InDoubt.Seq, r.InDoubt.StepAttempt))
	}
	if r.WaitingFor != nil {
		parts = append(parts, "waiting "+r.WaitingFor.Input+r.WaitingFor.StepID)
	}
	return hash(parts...)
}

func eventVersion(e history.Event) string {
	parts := []string{fmt.Sprint(e.Replays, e.Pending, e.Duplicates, len(e.Skipped), len(e.Audit)), e.DispatchError}
	for _, r := range e.Runs {
		parts = append(parts, r.ID+" "+r.Status)
	}
	return hash(parts...)
}

// errQuery marks a stream request that names no view, or a filter that cannot be read.
var errQuery = errors.New("live stream")

// version computes what a view shows now; the query is the page's own.
func (c *Console) version(ctx context.Context, q url.Values) (string, error) {
	switch q.Get("view") {
	case "runs":
		f, err := history.ParseRunFilter(strip(q))
		if err != nil {
			return "", fmt.Errorf("%w: %v", errQuery, err)
		}
		runs, _, err := c.st.ListRuns(ctx, f)
		if err != nil {
			return "", err
		}
		return runsVersion(runs), nil
	case "events":
		f, err := history.ParseEventFilter(strip(q))
		if err != nil {
			return "", fmt.Errorf("%w: %v", errQuery, err)
		}
		events, _, err := c.st.ListEvents(ctx, f)
		if err != nil {
			return "", err
		}
		return eventsVersion(events), nil
	case "run":
		r, err := history.ShowRun(ctx, c.st, q.Get("id"))
		if err != nil {
			return "", err
		}
		return runVersion(r), nil
	case "event":
		e, err := history.ShowEvent(ctx, c.st, q.Get("uuid"))
		if err != nil {
			return "", err
		}
		return eventVersion(e), nil
	}
	return "", fmt.Errorf("%w: view %q: want runs, events, run or event", errQuery, q.Get("view"))
}

// strip removes the stream's own parameters from a page's query.
func strip(q url.Values) url.Values {
	n := url.Values{}
	for k, vs := range q {
		if k != "view" && k != "v" && k != "id" && k != "uuid" {
			n[k] = vs
		}
	}
	return n
}

// live streams "change" events (server-sent events) while the view's version moves.
func (c *Console) live(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.sessionOf(r); !ok {
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	last := q.Get("v")
	if id := r.Header.Get("Last-Event-ID"); id != "" && len(id) <= 64 {
		last = id
	}
	first, err := c.pollVersion(r.Context(), q)
	if errors.Is(err, errQuery) {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err != nil {
		status, msg := storeError(err)
		http.Error(w, msg, status)
		return
	}
	if !c.openStream() {
		w.Header().Set("Retry-After", "30")
		http.Error(w, "too many live pages are open; this one updates when reloaded", http.StatusServiceUnavailable)
		return
	}
	defer c.closeStream()

	rc := http.NewResponseController(w)
	// The server's read timeout is for requests; past it, a stream's request would be cancelled.
	rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not hold events back
	w.WriteHeader(http.StatusOK)
	send := func(s string) bool {
		// The server's write timeout is for answers, not streams: each write gets its own.
		rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := fmt.Fprint(w, s); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// Tell the browser to reconnect after a few seconds if the stream ends.
	if !send("retry: 3000\n\n") {
		return
	}
	check := func(v string) bool {
		if v == last {
			return true
		}
		last = v
		return send("id: " + v + "\nevent: change\ndata: " + v + "\n\n")
	}
	if !check(first) {
		return
	}
	tick := time.NewTicker(c.poll)
	defer tick.Stop()
	idle := time.NewTicker(keepAlive)
	defer idle.Stop()
	end := time.NewTimer(streamLife)
	defer end.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.done:
			return
		case <-end.C:
			return
		case <-idle.C:
			if !send(": still here\n\n") {
				return
			}
		case <-tick.C:
			v, err := c.pollVersion(r.Context(), q)
			if err != nil {
				if r.Context().Err() == nil {
					c.logger.Warn("console: live update", "view", q.Get("view"), "error", err)
				}
				continue
			}
			if !check(v) {
				return
			}
		}
	}
}

func (c *Console) pollVersion(ctx context.Context, q url.Values) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return c.version(ctx, q)
}

func (c *Console) openStream() bool {
	c.streamMu.Lock()
	defer c.streamMu.Unlock()
	if c.streams >= maxStreams {
		return false
	}
	c.streams++
	return true
}

func (c *Console) closeStream() {
	c.streamMu.Lock()
	c.streams--
	c.streamMu.Unlock()
}

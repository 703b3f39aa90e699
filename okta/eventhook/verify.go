package eventhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/trama-dev/trama/okta"
)

// Verify runs Okta's one-time verification: a GET to the hook's URI carrying
// x-okta-verification-challenge (plus the auth header and configured headers), which must answer 200
// with {"verification": challenge}. A timeout or 5xx answer is retried once. On success the hook
// becomes VERIFIED; on failure Verify returns 400 E0000001 and the hook keeps its status. Either way an
// event_hook.verified event goes to Config.Emit, as Okta logs failed verifications too.
func (r *Registry) Verify(ctx context.Context, id string) (Hook, error) {
	h, err := r.Get(id)
	if err != nil {
		return Hook{}, err
	}
	challenge := newChallenge()
	extra := http.Header{http.CanonicalHeaderKey(okta.VerificationHeader): {challenge}}
	var failure string
	for try := 0; try < 2; try++ {
		o := r.send(ctx, h, http.MethodGet, nil, extra)
		failure = verificationFailure(o, challenge)
		if failure == "" || !o.retryable {
			break
		}
	}
	if failure == "" {
		r.mu.Lock()
		cur, ok := r.hooks[id]
		switch {
		case !ok:
			failure = "Event hook was deleted during verification"
		case !channelEqual(cur.Channel, h.Channel):
			failure = "Event hook channel changed during verification"
		case cur.VerificationStatus != Verified && cur.Status == StatusActive:
			if err := r.checkActiveLimitLocked(); err != nil {
				r.mu.Unlock()
				r.emitVerified(h, "FAILURE", "Maximum number of active and verified event hooks reached")
				return Hook{}, err
			}
		}
		if failure == "" {
			cur.VerificationStatus = Verified
			cur.LastUpdated = r.now().Truncate(time.Second)
			h = cur.clone()
		}
		r.mu.Unlock()
	}
	if failure != "" {
		r.emitVerified(h, "FAILURE", failure)
		return Hook{}, okta.NewError("E0000001", "Api validation failed: eventHook",
			"eventHook: Unable to verify event hook "+id+": "+failure)
	}
	r.emitVerified(h, "SUCCESS", "")
	return h, nil
}

// verificationFailure explains why o is not a correct answer to challenge, or returns "".
func verificationFailure(o outcome, challenge string) string {
	switch {
	case o.timeout:
		return "Hook timed out"
	case o.err != "":
		return "Unable to verify hook: " + o.err
	case o.status != http.StatusOK:
		return fmt.Sprintf("Unable to verify hook: the endpoint answered HTTP %d", o.status)
	}
	var v okta.VerificationResponse
	if err := json.Unmarshal(o.body, &v); err != nil {
		return "Unable to verify hook: the answer is not a JSON object with a verification field"
	}
	if v.Verification != challenge {
		return "Unable to verify hook: the verification value does not match the challenge"
	}
	return ""
}

func (r *Registry) emitVerified(h Hook, result, failure string) {
	debug := map[string]any{}
	msg := "Verify event hook"
	if failure != "" {
		debug["errorMessage"] = failure
	}
	r.cfg.Emit(r.hookEvent("event_hook.verified", msg, h, result, failure, debug))
}

// newChallenge returns an unguessable challenge value, so a receiver cannot answer without reading it.
func newChallenge() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

package emulator

import (
	"fmt"
	"net/http"
	"time"

	"github.com/trama-dev/trama/okta"
)

// The handlers below are the test affordances under /emulator/v1/. They are not part of Okta's API and
// need no token, so a test can play the user's phone or mailbox.

func (e *Emulator) getOutbox(rq *request) (int, any, error) {
	qs := rq.r.URL.Query()
	userID, factorID := qs.Get("userId"), qs.Get("factorId")
	e.mu.Lock()
	out := make([]message, 0, len(e.outbox))
	for _, m := range e.outbox {
		if (userID == "" || m.UserID == userID) && (factorID == "" || m.FactorID == factorID) {
			out = append(out, m)
		}
	}
	e.mu.Unlock()
	return http.StatusOK, out, nil
}

// passcodeJSON is what the user's device or inbox shows for a factor now.
type passcodeJSON struct {
	FactorID   string    `json:"factorId"`
	FactorType string    `json:"factorType"`
	PassCode   string    `json:"passCode"`
	ExpiresAt  okta.Time `json:"expiresAt"`
}

func (e *Emulator) getPasscode(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, f, err := e.lookupFactor(rq)
	if err != nil {
		return 0, nil, err
	}
	out := passcodeJSON{FactorID: f.ID, FactorType: f.Type}
	switch f.Type {
	case "token:software:totp", "token:hotp":
		out.PassCode = totpCode(f.Secret, rq.now)
		out.ExpiresAt.Time = time.Unix((rq.now.Unix()/30+1)*30, 0)
	case "sms", "call", "email":
		if f.Code == "" {
			return 0, nil, errNotFound(f.ID, "Passcode")
		}
		out.PassCode = f.Code
		out.ExpiresAt.Time = f.CodeExpires
	default:
		return 0, nil, errValidation("factorType", f.Type+" factors have no passcode")
	}
	return http.StatusOK, out, nil
}

// answerPush plays the user's phone: {"result":"APPROVE"} or {"result":"REJECT"} for a push
// verification transaction (the id in its poll link) or a pending push activation (the id at the end of
// its qrcode link, or simply the factor id).
func (e *Emulator) answerPush(rq *request) (int, any, error) {
	var body struct {
		Result string `json:"result"`
	}
	if _, err := decodeBody(rq.r, &body); err != nil {
		return 0, nil, err
	}
	if body.Result != "APPROVE" && body.Result != "REJECT" {
		return 0, nil, errValidation("result", `result: must be "APPROVE" or "REJECT"`)
	}
	id := rq.r.PathValue("transactionId")
	e.mu.Lock()
	t, ok := e.pushTx[id]
	if !ok {
		for _, x := range e.pushTx {
			if x.Activation && x.FactorID == id {
				t, ok = x, true
			}
		}
	}
	if !ok {
		e.mu.Unlock()
		return 0, nil, errNotFound(id, "Transaction")
	}
	t.settle(rq.now)
	if t.Result != "WAITING" {
		e.mu.Unlock()
		return 0, nil, errValidation("transaction", "The transaction is "+t.Result+", not WAITING.")
	}
	u, uok := e.users[t.UserID]
	var f *factor
	if uok {
		_, f = u.factorByID(t.FactorID)
	}
	if f == nil {
		e.mu.Unlock()
		return 0, nil, errNotFound(t.FactorID, "UserFactor")
	}
	var events []okta.LogEvent
	if body.Result == "REJECT" {
		t.Result = "REJECTED"
	} else {
		t.Result = "SUCCESS"
	}
	switch {
	case t.Activation && t.Result == "SUCCESS":
		f.Status = factorActive
		f.LastUpdated = rq.now
		f.Profile = map[string]any{"credentialId": u.login(), "deviceType": "SmartPhone_IPhone",
			"name": "Emulated iPhone", "platform": "IOS", "version": "17.0"}
		ev := e.factorEvent(rq, u, f, "user.mfa.factor.activate", "Activate factor for user",
			"User set up "+f.kind().logName+" factor")
		ev.Actor = u.actor() // the user's own device finished the enrolment
		events = append(events, ev)
	case !t.Activation:
		reason := ""
		if t.Result == "REJECTED" {
			reason = "USER_REJECTED_OKTA_VERIFY_PUSH"
		}
		ev := e.factorEvent(rq, u, f, "user.authentication.auth_via_mfa", "Authentication of user via MFA", reason)
		ev.Actor = u.actor()
		if t.Result == "REJECTED" {
			ev.Outcome.Result = "FAILURE"
		}
		events = append(events, ev)
	}
	out := map[string]string{"transactionId": t.ID, "factorResult": t.Result}
	e.mu.Unlock()
	e.emit(events...)
	return http.StatusOK, out, nil
}

func (e *Emulator) getClock(rq *request) (int, any, error) {
	return http.StatusOK, map[string]any{"now": okta.Time{Time: rq.now}, "offset": e.clock.Offset().String()}, nil
}

// advanceClock moves the virtual clock: {"advance":"90s"} (a Go duration, never negative).
func (e *Emulator) advanceClock(rq *request) (int, any, error) {
	var body struct {
		Advance string `json:"advance"`
	}
	if _, err := decodeBody(rq.r, &body); err != nil {
		return 0, nil, err
	}
	d, err := time.ParseDuration(body.Advance)
	if err != nil || !e.clock.Advance(d) {
		return 0, nil, errValidation("advance", `advance: must be a non-negative duration such as "90s"`)
	}
	e.changed()
	now := e.clock.Now()
	return http.StatusOK, map[string]any{"now": okta.Time{Time: now}, "offset": e.clock.Offset().String()}, nil
}

// reset returns the org to its seeded state: seed users only, no factors, an empty System Log, outbox
// and hook list, and the clock back to real time.
func (e *Emulator) reset(rq *request) (int, any, error) {
	if err := e.resetState(); err != nil {
		// New seeded the same org without error, so this is a bug, not a client's mistake.
		return 0, nil, fmt.Errorf("reset: %w", err)
	}
	for _, b := range e.buckets {
		b.reset()
	}
	e.changed()
	return http.StatusNoContent, nil, nil
}

func (e *Emulator) getDeliveries(rq *request) (int, any, error) {
	d := e.hooks.Deliveries()
	if d == nil {
		return http.StatusOK, []byte("[]"), nil
	}
	return http.StatusOK, d, nil
}

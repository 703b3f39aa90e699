package emulator

import (
	"net/http"
	"time"

	"github.com/trama-dev/trama/okta"
)

// Push lifetimes: an activation QR code stays valid ten minutes, a verification challenge five.
const (
	pushActivationLifetime = 10 * time.Minute
	pushVerifyLifetime     = 5 * time.Minute
)

// pushTxn is one push activation or verification waiting for the user's device. The device's answer
// comes from POST /emulator/v1/push/{transactionId}.
type pushTxn struct {
	ID         string    `json:"id"`
	UserID     string    `json:"userId"`
	FactorID   string    `json:"factorId"`
	Activation bool      `json:"activation"`
	Created    time.Time `json:"created"`
	Expires    time.Time `json:"expires"`
	Result     string    `json:"result"` // WAITING, SUCCESS, REJECTED or TIMEOUT
}

// settle turns an unanswered transaction into TIMEOUT once it has expired.
func (t *pushTxn) settle(now time.Time) {
	if t.Result == "WAITING" && now.After(t.Expires) {
		t.Result = "TIMEOUT"
	}
}

func (e *Emulator) newPushTxn(u *user, f *factor, activation bool, now time.Time) *pushTxn {
	lifetime, prefix := pushVerifyLifetime, "v2mst."
	if activation {
		lifetime, prefix = pushActivationLifetime, "opa"
	}
	t := &pushTxn{ID: prefix + newID("")[:20], UserID: u.ID, FactorID: f.ID, Activation: activation,
		Created: now, Expires: now.Add(lifetime), Result: "WAITING"}
	e.pushTx[t.ID] = t
	return t
}

// pushActivate answers POST lifecycle/activate (and its /poll alias) for a pending push factor: the
// factor once the device approved, WAITING while it has not, TIMEOUT or CANCELLED when it will not;
// the next call after TIMEOUT or CANCELLED starts a new activation. e.mu must be held.
func (e *Emulator) pushActivate(rq *request, u *user, f *factor) (int, any, []okta.LogEvent) {
	t, ok := e.pushTx[f.PushTxID]
	if !ok {
		t = e.newPushTxn(u, f, true, rq.now)
		f.PushTxID = t.ID
	}
	t.settle(rq.now)
	self := e.factorURL(u.ID, f.ID)
	switch t.Result {
	case "TIMEOUT", "REJECTED":
		delete(e.pushTx, t.ID)
		f.PushTxID = ""
		result := "TIMEOUT"
		if t.Result == "REJECTED" {
			result = "CANCELLED"
		}
		return http.StatusOK, map[string]any{"factorResult": result,
			"_links": map[string]any{"activate": link{Href: self + "/lifecycle/activate", Hints: hintPost}}}, nil
	}
	act := e.pushActivation(u, f)
	act["_links"].(map[string]any)["poll"] = link{Href: self + "/lifecycle/activate/poll", Hints: hintPost}
	return http.StatusOK, act, nil
}

// pushVerify starts a push challenge: 201 with the transaction to poll.
func (e *Emulator) pushVerify(rq *request, u *user, f *factor) (int, any) {
	t := e.newPushTxn(u, f, false, rq.now)
	return http.StatusCreated, e.renderPushTxn(u, f, t)
}

func (e *Emulator) renderPushTxn(u *user, f *factor, t *pushTxn) map[string]any {
	factorURL := e.factorURL(u.ID, f.ID)
	txURL := factorURL + "/transactions/" + t.ID
	out := map[string]any{"factorResult": t.Result}
	switch t.Result {
	case "WAITING":
		out["expiresAt"] = okta.Time{Time: t.Expires}
		out["profile"] = map[string]any{"credentialId": u.login()}
		out["_links"] = map[string]any{
			"poll":   link{Href: txURL, Hints: hintGet},
			"cancel": link{Href: txURL, Hints: hintDelete},
		}
	case "REJECTED", "TIMEOUT":
		out["profile"] = map[string]any{"credentialId": u.login()}
		out["_links"] = map[string]any{
			"verify": link{Href: factorURL + "/verify", Hints: hintPost},
			"factor": link{Href: factorURL, Hints: hintGet},
		}
	}
	return out
}

// factorTransaction answers GET .../transactions/{transactionId}.
func (e *Emulator) factorTransaction(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, f, err := e.lookupFactor(rq)
	if err != nil {
		return 0, nil, err
	}
	txID := rq.r.PathValue("transactionId")
	t, ok := e.pushTx[txID]
	if !ok || t.FactorID != f.ID || t.Activation {
		return 0, nil, errNotFound(txID, "Transaction")
	}
	t.settle(rq.now)
	return http.StatusOK, e.renderPushTxn(u, f, t), nil
}

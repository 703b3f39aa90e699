package emulator

import (
	"net/http"
	"strings"
	"time"

	"github.com/trama-dev/trama/okta"
)

// The Authentication API's primary authentication (POST /api/v1/authn) as Okta's reference describes
// it: the password is checked against the user's, the password policy's lockout settings count wrong
// passwords, and the global session policy decides: DENY is 401 E0000004, a rule that requires a
// factor answers MFA_REQUIRED (verified at /api/v1/authn/factors/{factorId}/verify) or, for a user
// with no active factor, MFA_ENROLL, and ALLOW answers SUCCESS with a one-time session token. The
// endpoints take no credentials; an API token or access token that is sent is checked.

// authnTxnLifetime is how long a state token stays usable. Okta's reference shows expiresAt on every
// transaction without saying how far ahead; five minutes, the session token's lifetime, is inferred.
const authnTxnLifetime = 5 * time.Minute

// authnTxn is an authentication transaction that is not finished: waiting for a factor (MFA_REQUIRED,
// MFA_CHALLENGE, MFA_ENROLL) or for a new password (PASSWORD_EXPIRED). It is known by the SHA-256 of
// its state token. Fields are exported for the state file.
type authnTxn struct {
	Hash             string    `json:"hash"`
	UserID           string    `json:"userId"`
	Status           string    `json:"status"`
	ExpiresAt        time.Time `json:"expiresAt"`
	SessionID        string    `json:"sessionId"`
	PasswordVerified time.Time `json:"passwordVerified"`
	IdleMinutes      int       `json:"idleMinutes"`
	LifetimeMinutes  int       `json:"lifetimeMinutes"`
	// FactorID is the factor a code was sent for (MFA_CHALLENGE).
	FactorID string `json:"factorId,omitempty"`
}

// newStateToken is "00" and 40 base64url characters, the form of Okta's examples.
func newStateToken() string { return "00" + randomURLSafe(40) }

// lockedAlways is locked for handlers whose failures are events too (a wrong password is logged): the
// events are recorded whether or not f returns an error.
func (e *Emulator) lockedAlways(f func() (int, any, []okta.LogEvent, error)) (int, any, error) {
	e.mu.Lock()
	status, out, events, err := f()
	e.mu.Unlock()
	e.emit(events...)
	if err != nil {
		return 0, nil, err
	}
	return status, out, nil
}

// userFor finds the user a username names: the login (case-insensitive), or the part before "@" of
// exactly one login, which Okta accepts as a "non-qualified short-name". e.mu must be held.
func (e *Emulator) userFor(username string) *user {
	if u := e.byLogin[strings.ToLower(username)]; u != nil {
		return u
	}
	if strings.Contains(username, "@") {
		return nil
	}
	var found *user
	for _, u := range e.order {
		local, _, _ := strings.Cut(u.login(), "@")
		if strings.EqualFold(local, username) {
			if found != nil {
				return nil
			}
			found = u
		}
	}
	return found
}

// authnEvent is an event of a sign-in: the user signing in is the actor (or, when no user has the
// username, "unknown" with the username as alternateId, as recorded failures show), the session the
// sign-in leads to is externalSessionId once there is one, and the transaction names no API token
// unless the caller sent one. e.mu must be held.
func (e *Emulator) authnEvent(rq *request, u *user, username, sessionID, eventType, message, result, reason string,
	targets ...okta.Target) okta.LogEvent {
	ev := e.event(rq, eventType, message, reason, targets...)
	if u != nil {
		ev.Actor = u.actor()
	} else {
		ev.Actor = &okta.Actor{ID: "unknown", Type: "User", AlternateID: username, DisplayName: "unknown"}
	}
	if rq.anonymous {
		ev.Transaction.Detail = map[string]any{}
	}
	ev.Outcome.Result = result
	if sessionID != "" {
		ev.AuthenticationContext.ExternalSessionID = sessionID
	}
	return ev
}

// loginEvent is user.session.start ("User login to Okta"), with the legacy types of recorded events.
func (e *Emulator) loginEvent(rq *request, u *user, username, sessionID, reason string) okta.LogEvent {
	result, legacy := "SUCCESS", "core.user_auth.login_success"
	if reason != "" {
		result, legacy = "FAILURE", "core.user_auth.login_failed"
	}
	ev := e.authnEvent(rq, u, username, sessionID, "user.session.start", "User login to Okta", result, reason)
	ev.LegacyEventType = legacy
	return ev
}

type authnBody struct {
	Username   *string        `json:"username"`
	Password   *string        `json:"password"`
	Token      string         `json:"token"`
	StateToken string         `json:"stateToken"`
	Options    map[string]any `json:"options"`
	Context    map[string]any `json:"context"`
}

// primaryAuthn answers POST /api/v1/authn.
func (e *Emulator) primaryAuthn(rq *request) (int, any, error) {
	var b authnBody
	if _, err := decodeBody(rq.r, &b); err != nil {
		return 0, nil, err
	}
	if b.StateToken != "" {
		return e.authnState(rq, b.StateToken)
	}
	username, password := "", ""
	if b.Username != nil {
		username = strings.TrimSpace(*b.Username)
	}
	if b.Password != nil {
		password = *b.Password
	}
	if username == "" || b.Token != "" {
		// Activation tokens are not emulated; Okta answers an unusable one with 401 E0000004.
		return 0, nil, errAuthFailed()
	}
	return e.lockedAlways(func() (int, any, []okta.LogEvent, error) {
		u := e.userFor(username)
		if u == nil {
			return 0, nil, []okta.LogEvent{e.loginEvent(rq, nil, username, "", "VERIFICATION_ERROR")}, errAuthFailed()
		}
		var events []okta.LogEvent
		maxAttempts, autoUnlock, show := e.lockoutSettings(u)
		if u.Status == statusLockedOut && autoUnlock > 0 && !rq.now.Before(u.StatusChanged.Add(time.Duration(autoUnlock)*time.Minute)) {
			u.setStatus(statusActive, rq.now)
			u.FailedLogins = 0
			ev := e.authnEvent(rq, u, username, "", "user.account.unlock", "Auto-unlock user account for Okta", "SUCCESS", "", u.target())
			ev.Actor = systemActor()
			events = append(events, ev)
		}
		switch u.Status {
		case statusActive, statusPasswordExpired:
		case statusLockedOut:
			events = append(events, e.loginEvent(rq, u, username, "", "LOCKED_OUT"))
			if show {
				return http.StatusOK, map[string]any{"status": statusLockedOut, "_links": map[string]any{
					"next": link{Name: "unlock", Href: e.opts.BaseURL + "/api/v1/authn/recovery/unlock", Hints: hintPost}}}, events, nil
			}
			return 0, nil, events, errAuthFailed()
		default:
			// A suspended, deactivated or not yet activated user cannot sign in; Okta does not say which.
			events = append(events, e.loginEvent(rq, u, username, "", "VERIFICATION_ERROR"))
			return 0, nil, events, errAuthFailed()
		}
		if !passwordMatches(u.PasswordHash, password) {
			u.FailedLogins++
			events = append(events, e.loginEvent(rq, u, username, "", "INVALID_CREDENTIALS"))
			if maxAttempts > 0 && u.FailedLogins >= maxAttempts {
				u.setStatus(statusLockedOut, rq.now)
				ev := e.authnEvent(rq, u, username, "", "user.account.lock", "Max sign in attempts exceeded", "FAILURE",
					"LOCKED_OUT", u.target())
				ev.LegacyEventType = "core.user_auth.account_locked"
				ev.Severity = "DEBUG"
				events = append(events, ev)
			}
			return 0, nil, events, errAuthFailed()
		}
		u.FailedLogins = 0
		t := &authnTxn{UserID: u.ID, SessionID: newSessionID(), PasswordVerified: rq.now,
			ExpiresAt: rq.now.Add(authnTxnLifetime)}
		if u.Status == statusPasswordExpired {
			t.Status = statusPasswordExpired
			token := e.storeTxn(t)
			return http.StatusOK, e.renderTxn(t, u, token), events, nil
		}
		p, r := e.policyFor(policySignOn, u)
		var signon map[string]any
		if r != nil {
			signon, _ = r.Actions["signon"].(map[string]any)
		}
		t.IdleMinutes = intAt(signon, 120, "session", "maxSessionIdleMinutes")
		t.LifetimeMinutes = intAt(signon, 0, "session", "maxSessionLifetimeMinutes")
		switch {
		case signon == nil || signon["access"] != "ALLOW":
			events = append(events, e.evaluationEvent(rq, u, t.SessionID, p, r, "DENY"))
			return 0, nil, events, errAuthFailed()
		case signon["requireFactor"] == true:
			events = append(events, e.evaluationEvent(rq, u, t.SessionID, p, r, "CHALLENGE"))
			t.Status = "MFA_REQUIRED"
			if len(verifiableFactors(u)) == 0 {
				t.Status = "MFA_ENROLL"
			}
			token := e.storeTxn(t)
			return http.StatusOK, e.renderTxn(t, u, token), events, nil
		}
		events = append(events, e.evaluationEvent(rq, u, t.SessionID, p, r, "ALLOW"))
		out, ev := e.finishAuthn(rq, u, t, nil)
		return http.StatusOK, out, append(events, ev), nil
	})
}

// evaluationEvent is policy.evaluate_sign_on ("Evaluation of sign-on policy") with the policy and rule
// that decided, as recorded events carry them. e.mu must be held.
func (e *Emulator) evaluationEvent(rq *request, u *user, sessionID string, p *policy, r *policyRule, result string) okta.LogEvent {
	var targets []okta.Target
	if p != nil && r != nil {
		targets = []okta.Target{p.target(), p.ruleTarget(r)}
	}
	return e.authnEvent(rq, u, u.login(), sessionID, "policy.evaluate_sign_on", "Evaluation of sign-on policy", result,
		"Sign-on policy evaluation resulted in "+result, targets...)
}

// storeTxn keeps a transaction by the hash of a new state token and answers the token. e.mu must be
// held.
func (e *Emulator) storeTxn(t *authnTxn) string {
	token := newStateToken()
	t.Hash = tokenHash(token)
	e.authnTxns[t.Hash] = t
	return token
}

// finishAuthn ends a transaction in SUCCESS: a one-time session token for the session that will carry
// the id the sign-in is logged under, with f the factor verified, if any. It answers the SUCCESS body
// and user.session.start. e.mu must be held.
func (e *Emulator) finishAuthn(rq *request, u *user, t *authnTxn, f *factor) (map[string]any, okta.LogEvent) {
	token := newSessionToken()
	st := &sessionToken{Hash: tokenHash(token), SessionID: t.SessionID, UserID: u.ID,
		ExpiresAt: rq.now.Add(sessionTokenLifetime), PasswordVerified: t.PasswordVerified, AMR: []string{"pwd"},
		IdleMinutes: t.IdleMinutes, LifetimeMinutes: t.LifetimeMinutes}
	if f != nil {
		st.FactorVerified = rq.now
		st.AMR = append(st.AMR, factorAMR(f), "mfa")
	}
	e.sessionTokens[st.Hash] = st
	if t.Hash != "" {
		delete(e.authnTxns, t.Hash)
	}
	out := map[string]any{"expiresAt": okta.Time{Time: st.ExpiresAt}, "status": "SUCCESS", "sessionToken": token,
		"_embedded": map[string]any{"user": authnUser(u)}}
	return out, e.loginEvent(rq, u, u.login(), t.SessionID, "")
}

// factorAMR is the authentication method a factor proves, from the Session object's amr values.
func factorAMR(f *factor) string {
	switch f.Type {
	case "sms":
		return "sms"
	case "call":
		return "tel"
	case "question":
		return "kba"
	case "push":
		return "swk"
	}
	return "otp"
}

// verifiableFactors are the user's active factors the Authentication API can verify here: every type
// the emulator implements except push, whose sign-in flow is not emulated.
func verifiableFactors(u *user) []*factor {
	var out []*factor
	for _, f := range u.Factors {
		if f.Status == factorActive && f.Type != "push" {
			out = append(out, f)
		}
	}
	return out
}

// authnUser is _embedded.user of a transaction: the id, when the password last changed and the
// profile's name fields, with Okta's default locale and time zone when the profile has none.
func authnUser(u *user) map[string]any {
	profile := map[string]any{"login": u.login(), "locale": "en_US", "timeZone": "America/Los_Angeles"}
	for _, k := range []string{"firstName", "lastName", "locale", "timeZone"} {
		if v, ok := u.Profile[k].(string); ok && v != "" {
			profile[k] = v
		}
	}
	out := map[string]any{"id": u.ID, "profile": profile}
	if !u.PasswordChanged.IsZero() {
		out["passwordChanged"] = okta.Time{Time: u.PasswordChanged}
	}
	return out
}

// renderTxn is a transaction waiting for the user, as the Authentication API reference shows each
// state. e.mu must be held.
func (e *Emulator) renderTxn(t *authnTxn, u *user, token string) map[string]any {
	authn := e.opts.BaseURL + "/api/v1/authn"
	embedded := map[string]any{"user": authnUser(u)}
	links := map[string]any{"cancel": link{Href: authn + "/cancel", Hints: hintPost}}
	switch t.Status {
	case "MFA_REQUIRED":
		factors := []map[string]any{}
		for _, f := range verifiableFactors(u) {
			factors = append(factors, e.authnFactor(f))
		}
		embedded["factors"] = factors
	case "MFA_CHALLENGE":
		_, f := u.factorByID(t.FactorID)
		if f != nil {
			embedded["factor"] = e.authnFactor(f)
			links["next"] = link{Name: "verify", Href: authn + "/factors/" + f.ID + "/verify", Hints: hintPost}
		}
	case "MFA_ENROLL":
		factors := []map[string]any{}
		for _, k := range factorKinds {
			factors = append(factors, map[string]any{"factorType": k.factorType, "provider": k.provider,
				"vendorName": k.vendor, "status": "NOT_SETUP", "enrollment": "OPTIONAL",
				"_links": map[string]any{"enroll": link{Href: authn + "/factors", Hints: hintPost}}})
		}
		embedded["factors"] = factors
	case statusPasswordExpired:
		if p, _ := e.policyFor(policyPassword, u); p != nil {
			if c, ok := p.Settings["password"].(map[string]any); ok {
				complexity, _ := c["complexity"].(map[string]any)
				embedded["policy"] = map[string]any{"complexity": deepCopy(complexity)}
			}
		}
		links["next"] = link{Name: "changePassword", Href: authn + "/credentials/change_password", Hints: hintPost}
	}
	return map[string]any{"stateToken": token, "expiresAt": okta.Time{Time: t.ExpiresAt}, "status": t.Status,
		"_embedded": embedded, "_links": links}
}

// authnFactor is a factor as a transaction lists it, with its verify link.
func (e *Emulator) authnFactor(f *factor) map[string]any {
	profile := map[string]any{}
	for k, v := range f.Profile {
		profile[k] = v
	}
	return map[string]any{"id": f.ID, "factorType": f.Type, "provider": f.Provider, "vendorName": f.kind().vendor,
		"profile": profile, "_links": map[string]any{
			"verify": link{Href: e.opts.BaseURL + "/api/v1/authn/factors/" + f.ID + "/verify", Hints: hintPost}}}
}

// liveTxn finds the transaction of a state token; an unknown or expired one is 401 E0000011, Okta's
// answer to a state token it cannot use. e.mu must be held.
func (e *Emulator) liveTxn(token string, now time.Time) (*authnTxn, *user, error) {
	t := e.authnTxns[tokenHash(token)]
	if t == nil {
		return nil, nil, errInvalidToken()
	}
	u := e.users[t.UserID]
	if !now.Before(t.ExpiresAt) || u == nil {
		delete(e.authnTxns, t.Hash)
		return nil, nil, errInvalidToken()
	}
	return t, u, nil
}

// authnState answers POST /api/v1/authn with a state token: the transaction as it stands.
func (e *Emulator) authnState(rq *request, token string) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, u, err := e.liveTxn(token, rq.now)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderTxn(t, u, token), nil
}

// verifyAuthnFactor answers POST /api/v1/authn/factors/{factorId}/verify: the factor's code (or the
// security answer) completes an MFA_REQUIRED transaction with SUCCESS. Without a code an SMS, call or
// email factor is sent one and the transaction is MFA_CHALLENGE.
func (e *Emulator) verifyAuthnFactor(rq *request) (int, any, error) {
	var b struct {
		StateToken string   `json:"stateToken"`
		PassCode   passCode `json:"passCode"`
		Answer     string   `json:"answer"`
	}
	if _, err := decodeBody(rq.r, &b); err != nil {
		return 0, nil, err
	}
	return e.lockedAlways(func() (int, any, []okta.LogEvent, error) {
		t, u, err := e.liveTxn(b.StateToken, rq.now)
		if err != nil {
			return 0, nil, nil, err
		}
		if t.Status != "MFA_REQUIRED" && t.Status != "MFA_CHALLENGE" {
			return 0, nil, nil, errInvalidToken()
		}
		id := rq.r.PathValue("factorId")
		_, f := u.factorByID(id)
		if f == nil || f.Status != factorActive || f.Type == "push" {
			return 0, nil, nil, errNotFound(id, "UserFactor")
		}
		code := string(b.PassCode)
		if f.Type == "question" {
			code = b.Answer
		}
		if f.kind().channel != "" && code == "" {
			if err := e.sendCode(u, f, rq.now, codeLifetime); err != nil {
				return 0, nil, nil, err
			}
			t.Status, t.FactorID = "MFA_CHALLENGE", f.ID
			return http.StatusOK, e.renderTxn(t, u, b.StateToken), nil, nil
		}
		err = e.checkPasscode(f, code, rq.now)
		reason, result := "", "SUCCESS"
		if err != nil {
			reason, result = "INVALID_CREDENTIALS", "FAILURE"
		}
		ev := e.factorEvent(rq, u, f, "user.authentication.auth_via_mfa", "Authentication of user via MFA", reason)
		ev.Actor = u.actor()
		ev.Outcome.Result = result
		ev.AuthenticationContext.ExternalSessionID = t.SessionID
		if rq.anonymous {
			ev.Transaction.Detail = map[string]any{}
		}
		if err != nil {
			return 0, nil, []okta.LogEvent{ev}, err
		}
		out, login := e.finishAuthn(rq, u, t, f)
		return http.StatusOK, out, []okta.LogEvent{ev, login}, nil
	})
}

func systemActor() *okta.Actor {
	return &okta.Actor{ID: "system", Type: "SystemPrincipal", AlternateID: "system@okta.com", DisplayName: "Okta System"}
}

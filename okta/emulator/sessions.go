package emulator

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/trama-dev/trama/okta"
)

// Sessions (the Sessions API): a user signs in through the Authentication API (authn.go), which answers
// a one-time session token; POST /api/v1/sessions redeems it for a session, which an admin can read,
// refresh and close, and DELETE /api/v1/users/{id}/sessions clears all of a user's sessions. Times
// follow the virtual clock: a session expires when it has been idle for the global session policy's
// maxSessionIdleMinutes, or maxSessionLifetimeMinutes after sign-in when that is set.

// sessionTokenLifetime is how long a session token can be redeemed: Okta's are one-time and "expire
// after 5 minutes" (support.okta.com, "Security scanner detects sessionToken in a URL").
const sessionTokenLifetime = 5 * time.Minute

// session is an Okta session. Fields are exported for the state file.
type session struct {
	ID      string    `json:"id"`
	UserID  string    `json:"userId"`
	Created time.Time `json:"created"`
	// ExpiresAt moves with refreshes, never past Created + LifetimeMinutes when that is set.
	ExpiresAt        time.Time `json:"expiresAt"`
	PasswordVerified time.Time `json:"lastPasswordVerification"`
	FactorVerified   time.Time `json:"lastFactorVerification"`
	AMR              []string  `json:"amr"`
	IdleMinutes      int       `json:"idleMinutes"`
	LifetimeMinutes  int       `json:"lifetimeMinutes"`
}

// sessionToken is an unredeemed session token, known by the SHA-256 of its value only, with what the
// session it becomes will carry: the id Okta already logged it under, the authentication methods and
// the session lifetimes of the sign-on rule that allowed it.
type sessionToken struct {
	Hash             string    `json:"hash"`
	SessionID        string    `json:"sessionId"`
	UserID           string    `json:"userId"`
	ExpiresAt        time.Time `json:"expiresAt"`
	PasswordVerified time.Time `json:"passwordVerified"`
	FactorVerified   time.Time `json:"factorVerified"`
	AMR              []string  `json:"amr"`
	IdleMinutes      int       `json:"idleMinutes"`
	LifetimeMinutes  int       `json:"lifetimeMinutes"`
}

// tokenHash is how tokens are stored: the hex SHA-256 of the value, so neither memory dumps of the
// state file nor the System Log hold a token someone could redeem.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// randomURLSafe returns n characters of base64url randomness.
func randomURLSafe(n int) string {
	raw := make([]byte, n)
	rand.Read(raw)
	return base64.RawURLEncoding.EncodeToString(raw)[:n]
}

// newSessionID is "102" and 22 base64url characters, the form of the session ids Okta writes into
// authenticationContext.externalSessionId ("102avo4ximjQYSGQmzVr2TI9Q").
func newSessionID() string { return "102" + randomURLSafe(22) }

// newSessionToken is "20111" and 50 base64url characters, the form of the session tokens in Okta's
// Authentication API reference ("20111DuMTdPoBlMOqX5R_OAV3ku2bTWxP6wUIRT_jqkU6XTvOsJLmDq").
func newSessionToken() string { return "20111" + randomURLSafe(50) }

// extend sets the expiry after activity at now: idle minutes from now, capped by the lifetime.
func (s *session) extend(now time.Time) {
	idle := s.IdleMinutes
	if idle <= 0 {
		idle = 120
	}
	s.ExpiresAt = now.Add(time.Duration(idle) * time.Minute)
	if s.LifetimeMinutes > 0 {
		if limit := s.Created.Add(time.Duration(s.LifetimeMinutes) * time.Minute); limit.Before(s.ExpiresAt) {
			s.ExpiresAt = limit
		}
	}
}

// liveSession finds a session that has not expired and whose user can still use it; an expired one is
// dropped, as Okta forgets it. e.mu must be held.
func (e *Emulator) liveSession(id string, now time.Time) (*session, *user, error) {
	s := e.sessions[id]
	if s == nil {
		return nil, nil, errNotFound(id, "Session")
	}
	u := e.users[s.UserID]
	if u == nil || u.Status == statusDeprovisioned || !now.Before(s.ExpiresAt) {
		delete(e.sessions, id)
		return nil, nil, errNotFound(id, "Session")
	}
	return s, u, nil
}

// createSession redeems a session token: 200 with the new session, once. An unknown, used or expired
// token is 401, which Okta's Sessions API reference documents; the E0000004 body is inferred.
func (e *Emulator) createSession(rq *request) (int, any, error) {
	var body struct {
		SessionToken *string `json:"sessionToken"`
	}
	if _, err := decodeBody(rq.r, &body); err != nil {
		return 0, nil, err
	}
	if body.SessionToken == nil || *body.SessionToken == "" {
		return 0, nil, errValidation("sessionToken", "sessionToken: The field cannot be left blank")
	}
	hash := tokenHash(*body.SessionToken)
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.sessionTokens[hash]
	if t == nil {
		return 0, nil, errAuthFailed()
	}
	delete(e.sessionTokens, hash)
	u := e.users[t.UserID]
	if !rq.now.Before(t.ExpiresAt) || u == nil || u.Status != statusActive {
		return 0, nil, errAuthFailed()
	}
	s := &session{ID: t.SessionID, UserID: u.ID, Created: rq.now, PasswordVerified: t.PasswordVerified,
		FactorVerified: t.FactorVerified, AMR: t.AMR, IdleMinutes: t.IdleMinutes, LifetimeMinutes: t.LifetimeMinutes}
	s.extend(rq.now)
	e.sessions[s.ID] = s
	return http.StatusOK, e.renderSession(s, u), nil
}

func (e *Emulator) getSession(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, u, err := e.liveSession(rq.r.PathValue("sessionId"), rq.now)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderSession(s, u), nil
}

// refreshSession extends a live session as activity would.
func (e *Emulator) refreshSession(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, u, err := e.liveSession(rq.r.PathValue("sessionId"), rq.now)
	if err != nil {
		return 0, nil, err
	}
	s.extend(rq.now)
	return http.StatusOK, e.renderSession(s, u), nil
}

// revokeSession closes a session (logout): 204 and user.session.end.
func (e *Emulator) revokeSession(rq *request) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		s, u, err := e.liveSession(rq.r.PathValue("sessionId"), rq.now)
		if err != nil {
			return 0, nil, nil, err
		}
		delete(e.sessions, s.ID)
		ev := e.event(rq, "user.session.end", "User logout from Okta", "", u.target())
		ev.LegacyEventType = "core.user_auth.logout_success"
		ev.AuthenticationContext.ExternalSessionID = s.ID
		return http.StatusNoContent, nil, []okta.LogEvent{ev}, nil
	})
}

// revokeUserSessions ends every session of a user, and the session tokens and sign-in transactions not
// yet redeemed: 204 and user.session.clear, whether there were sessions or not. oauthTokens=true would
// also revoke OAuth tokens issued to the user and forgetDevices (default true) remembered factors; the
// emulator issues neither, so there is nothing more to revoke.
func (e *Emulator) revokeUserSessions(rq *request) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		u, err := e.lookupUser(rq, rq.r.PathValue("id"))
		if err != nil {
			return 0, nil, nil, err
		}
		e.dropSessions(u.ID)
		ev := e.event(rq, "user.session.clear", "Clear user session", "", u.target())
		return http.StatusNoContent, nil, []okta.LogEvent{ev}, nil
	})
}

// dropSessions forgets a user's sessions, session tokens and pending sign-ins, as deactivating or
// deleting the user and clearing its sessions do, and answers how many sessions there were. e.mu must
// be held.
func (e *Emulator) dropSessions(userID string) int {
	n := 0
	for id, s := range e.sessions {
		if s.UserID == userID {
			delete(e.sessions, id)
			n++
		}
	}
	for h, t := range e.sessionTokens {
		if t.UserID == userID {
			delete(e.sessionTokens, h)
		}
	}
	for h, t := range e.authnTxns {
		if t.UserID == userID {
			delete(e.authnTxns, h)
		}
	}
	return n
}

// renderSession is the Session object as Okta's reference shows it: lastFactorVerification is null
// until a factor was verified, idp is the org itself, and mfaActive says whether the user has an active
// factor. e.mu must be held.
func (e *Emulator) renderSession(s *session, u *user) map[string]any {
	self := e.opts.BaseURL + "/api/v1/sessions/" + s.ID
	mfa := false
	for _, f := range u.Factors {
		mfa = mfa || f.Status == factorActive
	}
	out := map[string]any{
		"id": s.ID, "login": u.login(), "userId": u.ID, "status": "ACTIVE",
		"createdAt": okta.Time{Time: s.Created}, "expiresAt": okta.Time{Time: s.ExpiresAt},
		"lastPasswordVerification": okta.Time{Time: s.PasswordVerified}, "lastFactorVerification": nil,
		"amr": append([]string{}, s.AMR...), "idp": map[string]any{"id": e.orgID(), "type": "OKTA"},
		"mfaActive": mfa,
		"_links": map[string]any{
			"self":    link{Href: self, Hints: hintGetDelete},
			"refresh": link{Href: self + "/lifecycle/refresh", Hints: hintPost},
			"user":    link{Name: u.displayName(), Href: e.opts.BaseURL + "/api/v1/users/" + u.ID, Hints: hintGet},
		},
	}
	if !s.FactorVerified.IsZero() {
		out["lastFactorVerification"] = okta.Time{Time: s.FactorVerified}
	}
	return out
}

package emulator

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/trama-dev/trama/okta"
)

// A user's authenticator enrollments (Identity Engine's view of what a user has set up) are derived
// from what the emulator already keeps: the user's password and active factors. An Okta Verify push or
// Okta TOTP factor is an okta_verify enrollment (one for both, as Okta Verify enrolls them together),
// sms and call each a phone_number one, email okta_email, a security question security_question, Google
// TOTP google_otp and a custom HOTP factor custom_otp. A factor still PENDING_ACTIVATION is no
// enrollment yet (inferred: Identity Engine creates the enrollment when the user completes it).
//
// Shapes follow the description's AuthenticatorEnrollment examples: id (the factor's; the password's is
// derived from the user), type, key, status, name, nickname null, created, lastUpdated, profile (email;
// phoneNumber masked as "+1 XXX-XXX-6065" unless discloseIdentifiers=phone), _links self (GET,
// DELETE), user and authenticator.

// enrollmentKeyOf is the authenticator key of a factor's enrollment.
func enrollmentKeyOf(f *factor) string {
	switch f.Type {
	case "question":
		return "security_question"
	case "sms", "call":
		return "phone_number"
	case "email":
		return "okta_email"
	case "push":
		return "okta_verify"
	case "token:software:totp":
		if f.Provider == "GOOGLE" {
			return "google_otp"
		}
		return "okta_verify"
	case "token:hotp":
		return "custom_otp"
	}
	return ""
}

// enrollment is one authenticator enrollment of a user.
type enrollment struct {
	id, key              string
	created, lastUpdated time.Time
	// factors are the factors behind it (none for the password); the first one answers its profile.
	factors []*factor
}

// passwordEnrollmentID is the stable id of a user's password enrollment ("lae", the prefix of Okta's
// example).
func passwordEnrollmentID(u *user) string { return "lae" + tokenID("password-enrollment:" + u.ID)[3:] }

// userEnrollments lists u's enrollments in the order Okta lists them: by authenticator name, then by
// when they were made. e.mu must be held.
func (e *Emulator) userEnrollments(u *user) []*enrollment {
	var out []*enrollment
	if u.HasPassword {
		at := u.PasswordChanged
		if at.IsZero() {
			at = u.Created
		}
		out = append(out, &enrollment{id: passwordEnrollmentID(u), key: "okta_password", created: at, lastUpdated: at})
	}
	var verify *enrollment
	for _, f := range u.Factors {
		key := enrollmentKeyOf(f)
		if f.Status != factorActive || key == "" {
			continue
		}
		if key == "okta_verify" && verify != nil {
			verify.factors = append(verify.factors, f)
			verify.created = minTime(verify.created, f.Created)
			verify.lastUpdated = maxTime(verify.lastUpdated, f.LastUpdated)
			if f.Type == "push" {
				// The push factor names the Okta Verify enrollment.
				verify.id = f.ID
			}
			continue
		}
		en := &enrollment{id: f.ID, key: key, created: f.Created, lastUpdated: f.LastUpdated, factors: []*factor{f}}
		if key == "okta_verify" {
			verify = en
		}
		out = append(out, en)
	}
	slices.SortStableFunc(out, func(a, b *enrollment) int {
		if c := strings.Compare(e.enrollmentName(a.key), e.enrollmentName(b.key)); c != 0 {
			return c
		}
		return a.created.Compare(b.created)
	})
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// enrollmentName and enrollmentType are those of the org's authenticator of the key, or Okta's
// defaults when the org has none (a Google Authenticator factor in an org without that authenticator).
// e.mu must be held.
func (e *Emulator) enrollmentName(key string) string {
	if a := e.authenticatorWithKey(key); a != nil {
		return a.Name
	}
	d, _ := authenticatorDefFor(key)
	if d.name == "" {
		return key
	}
	return d.name
}

func (e *Emulator) enrollmentType(key string) string {
	if a := e.authenticatorWithKey(key); a != nil {
		return a.Type
	}
	d, _ := authenticatorDefFor(key)
	return d.typ
}

// maskPhone hides all but the last four digits, as Okta answers a phone enrollment: "+1 XXX-XXX-6065"
// for a North American number (Okta's example), "+" then X for each hidden digit otherwise (inferred).
func maskPhone(e164 string) string {
	digits := strings.TrimPrefix(e164, "+")
	if len(digits) < 5 {
		return e164
	}
	last := digits[len(digits)-4:]
	if len(digits) == 11 && digits[0] == '1' {
		return "+1 XXX-XXX-" + last
	}
	return "+" + strings.Repeat("X", len(digits)-4) + last
}

// renderEnrollment is the AuthenticatorEnrollment Okta answers. e.mu must be held.
func (e *Emulator) renderEnrollment(u *user, en *enrollment, disclosePhone bool) map[string]any {
	userURL := e.opts.BaseURL + "/api/v1/users/" + u.ID
	links := map[string]any{
		"self": hrefAllow(userURL+"/authenticator-enrollments/"+en.id, "GET", "DELETE"),
		"user": hrefAllow(userURL, "GET"),
	}
	if a := e.authenticatorWithKey(en.key); a != nil {
		links["authenticator"] = hrefAllow(e.opts.BaseURL+"/api/v1/authenticators/"+a.ID, "GET")
	}
	out := map[string]any{
		"type": e.enrollmentType(en.key), "id": en.id, "key": en.key, "status": "ACTIVE", "name": e.enrollmentName(en.key),
		"nickname": nil, "created": en.created.UTC().Format(okta.TimeLayout), "lastUpdated": en.lastUpdated.UTC().Format(okta.TimeLayout),
		"_links": links,
	}
	if len(en.factors) == 0 {
		return out
	}
	p := en.factors[0].Profile
	switch en.key {
	case "okta_email":
		out["profile"] = map[string]any{"email": p["email"]}
	case "phone_number":
		phone, _ := p["phoneNumber"].(string)
		if !disclosePhone {
			phone = maskPhone(phone)
		}
		out["profile"] = map[string]any{"phoneNumber": phone}
	}
	return out
}

// disclosePhone reports whether discloseIdentifiers names phone (repeated or comma-separated).
func disclosePhone(rq *request) bool {
	for _, v := range rq.r.URL.Query()["discloseIdentifiers"] {
		if slices.Contains(strings.Split(v, ","), "phone") {
			return true
		}
	}
	return false
}

func (e *Emulator) listAuthenticatorEnrollments(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, err := e.lookupUser(rq, rq.r.PathValue("userId"))
	if err != nil {
		return 0, nil, err
	}
	list := e.userEnrollments(u)
	out := make([]map[string]any, 0, len(list))
	for _, en := range list {
		out = append(out, e.renderEnrollment(u, en, disclosePhone(rq)))
	}
	return http.StatusOK, out, nil
}

// enrollmentFromPath finds {userId} and its enrollment {enrollmentId}; an Okta Verify enrollment is
// also found by the id of its TOTP factor. e.mu must be held.
func (e *Emulator) enrollmentFromPath(rq *request) (*user, *enrollment, error) {
	u, err := e.lookupUser(rq, rq.r.PathValue("userId"))
	if err != nil {
		return nil, nil, err
	}
	id := rq.r.PathValue("enrollmentId")
	for _, en := range e.userEnrollments(u) {
		if en.id == id || slices.ContainsFunc(en.factors, func(f *factor) bool { return f.ID == id }) {
			return u, en, nil
		}
	}
	return nil, nil, errNotFound(id, "AuthenticatorEnrollment")
}

func (e *Emulator) getAuthenticatorEnrollment(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, en, err := e.enrollmentFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderEnrollment(u, en, disclosePhone(rq)), nil
}

// deleteAuthenticatorEnrollment unenrolls: the factors behind the enrollment go, each logging
// user.mfa.factor.deactivate as a factor reset does, and the user can enroll again. The password is
// not an enrollment a user can lose this way (400 E0000001, inferred).
func (e *Emulator) deleteAuthenticatorEnrollment(rq *request) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		u, en, err := e.enrollmentFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		if u.Status == statusDeprovisioned {
			return 0, nil, nil, errUserStatus()
		}
		if len(en.factors) == 0 {
			return 0, nil, nil, errValidation("enrollmentId",
				"enrollmentId: The password enrollment cannot be deleted; reset or expire the password instead")
		}
		var events []okta.LogEvent
		for _, f := range en.factors {
			i, _ := u.factorByID(f.ID)
			u.Factors = slices.Delete(u.Factors, i, i+1)
			delete(e.pushTx, f.PushTxID)
			events = append(events, e.factorEvent(rq, u, f, "user.mfa.factor.deactivate", "Reset factor for user",
				"User reset "+f.kind().logName+" factor"))
		}
		u.LastUpdated = rq.now
		return http.StatusNoContent, nil, events, nil
	})
}

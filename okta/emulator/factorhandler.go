package emulator

import (
	"encoding/base32"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/trama-dev/trama/internal/lazyregexp"
	"github.com/trama-dev/trama/okta"
)

// lookupFactor resolves the {id} and {factorId} path values. e.mu must be held.
func (e *Emulator) lookupFactor(rq *request) (*user, *factor, error) {
	u, err := e.lookupUser(rq, rq.r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	fid := rq.r.PathValue("factorId")
	_, f := u.factorByID(fid)
	if f == nil {
		return nil, nil, errNotFound(fid, "UserFactor")
	}
	return u, f, nil
}

func (e *Emulator) listFactors(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, err := e.lookupUser(rq, rq.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	out := make([]factorJSON, 0, len(u.Factors))
	for _, f := range u.Factors {
		out = append(out, e.renderFactor(u, f, true))
	}
	return http.StatusOK, out, nil
}

func (e *Emulator) getFactor(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, f, err := e.lookupFactor(rq)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderFactor(u, f, false), nil
}

// enrollBody is the request body of enrollFactor.
type enrollBody struct {
	FactorType      string         `json:"factorType"`
	Provider        string         `json:"provider"`
	Profile         map[string]any `json:"profile"`
	FactorProfileID string         `json:"factorProfileId"`
}

const enrollWhat = "factorEnrollRequest"

// e164 is Okta's phone pattern after the separators its own examples use ("+1-555-415-1337") are removed.
var e164 = lazyregexp.New(`^\+[1-9]\d{1,14}$`)

func profileString(p map[string]any, key string) string {
	s, _ := p[key].(string)
	return strings.TrimSpace(s)
}

func (e *Emulator) enrollFactor(rq *request) (int, any, error) {
	var body enrollBody
	if _, err := decodeBody(rq.r, &body); err != nil {
		return 0, nil, err
	}
	if body.FactorType == "" {
		return 0, nil, errValidation(enrollWhat, "factorType: The field cannot be left blank")
	}
	if !knownFactorTypes[body.FactorType] {
		// Okta cannot even deserialize an unknown factorType.
		return 0, nil, errMalformed()
	}
	kind, ok := lookupKind(body.FactorType, body.Provider)
	if !ok {
		for _, k := range factorKinds {
			if k.factorType == body.FactorType {
				return 0, nil, errValidation(enrollWhat, "Invalid Provider.")
			}
		}
		return 0, nil, errValidation(enrollWhat, "Factor not enabled.")
	}
	activate := boolQuery(rq.r, "activate", false)
	lifetime := codeLifetime
	if v := rq.r.URL.Query().Get("tokenLifetimeSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 86400 {
			return 0, nil, errValidation("tokenLifetimeSeconds", "tokenLifetimeSeconds: must be between 1 and 86400")
		}
		lifetime = time.Duration(n) * time.Second
	}

	e.mu.Lock()
	u, err := e.lookupUser(rq, rq.r.PathValue("id"))
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	if u.Status == statusDeprovisioned || u.Status == statusSuspended {
		e.mu.Unlock()
		return 0, nil, errUserStatus()
	}
	replaced := -1
	for i, f := range u.Factors {
		if f.Type != kind.factorType || f.Provider != kind.provider {
			continue
		}
		if f.Status == factorActive {
			e.mu.Unlock()
			return 0, nil, errValidation(enrollWhat, "A factor of this type is already set up.")
		}
		replaced = i
	}
	f := &factor{ID: newID(kind.prefix), Type: kind.factorType, Provider: kind.provider, Status: factorPending,
		Created: rq.now, LastUpdated: rq.now, Profile: map[string]any{}}
	var events []okta.LogEvent
	if err := e.prepareFactor(u, f, kind, body, activate); err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	if replaced >= 0 {
		old := u.Factors[replaced]
		delete(e.pushTx, old.PushTxID)
		f.ID = old.ID // the pending enrollment is updated in place, as updatePhone does
		f.Created = old.Created
		f.CodeSent = old.CodeSent
		f.Attempts = old.Attempts
		u.Factors = append(u.Factors[:replaced:replaced], u.Factors[replaced+1:]...)
		events = append(events, e.factorEvent(rq, u, f, "user.mfa.factor.update", "Update factor for user", ""))
	}
	switch {
	case f.Status == factorActive:
	case kind.channel != "" && activate:
		f.Status = factorActive
	case kind.channel != "":
		if err := e.sendCode(u, f, rq.now, lifetime); err != nil {
			e.mu.Unlock()
			return 0, nil, err
		}
	case f.Type == "push":
		f.PushTxID = e.newPushTxn(u, f, true, rq.now).ID
	}
	if f.Status == factorActive {
		events = append(events, e.factorEvent(rq, u, f, "user.mfa.factor.activate", "Activate factor for user",
			"User set up "+kind.logName+" factor"))
	}
	u.Factors = append(u.Factors, f)
	u.LastUpdated = rq.now
	out := e.renderFactor(u, f, false)
	e.mu.Unlock()
	e.emit(events...)
	return http.StatusOK, out, nil
}

// prepareFactor validates the type-specific part of an enrollment and fills the factor. e.mu must be
// held.
func (e *Emulator) prepareFactor(u *user, f *factor, kind factorKind, body enrollBody, activate bool) error {
	p := body.Profile
	switch kind.factorType {
	case "sms", "call":
		phone := profileString(p, "phoneNumber")
		if phone == "" {
			return errValidation(enrollWhat, "phoneNumber: The field cannot be left blank")
		}
		// Okta's examples send "+1-555-415-1337"; the number is kept in E.164, as the description's
		// pattern requires on the way out.
		phone = strings.NewReplacer("-", "", " ", "", "(", "", ")", "", ".", "").Replace(phone)
		if !e164.MatchString(phone) {
			return errPhoneInvalid()
		}
		f.Profile = map[string]any{"phoneNumber": phone}
		if kind.factorType == "call" {
			if ext := profileString(p, "phoneExtension"); ext != "" {
				if len(ext) > 15 {
					return newAPIError(http.StatusBadRequest, "E0000121", "Invalid phone extension. The extension must be a number with a maximum of 15 digits.")
				}
				f.Profile["phoneExtension"] = ext
			}
		}
	case "email":
		email := profileString(p, "email")
		if email == "" {
			return errValidation(enrollWhat, "email: The field cannot be left blank")
		}
		second, _ := u.Profile["secondEmail"].(string)
		if !strings.EqualFold(email, u.email()) && !strings.EqualFold(email, second) {
			return errValidation("Only verified primary or secondary email can be enrolled.")
		}
		f.Profile = map[string]any{"email": email}
	case "token:software:totp":
		f.Secret = newSecret()
		f.Profile = map[string]any{"credentialId": u.login()}
	case "push":
		f.Profile = map[string]any{"credentialId": u.login()}
	case "question":
		q := profileString(p, "question")
		text, ok := questionText(q)
		if !ok {
			return errValidation(enrollWhat, "question: The security question is not valid.")
		}
		answer, _ := p["answer"].(string)
		if len(strings.TrimSpace(answer)) < 4 {
			return errValidation(enrollWhat, "answer: The security question answer must be at least 4 characters in length")
		}
		f.Answer = answer
		f.Profile = map[string]any{"question": q, "questionText": text}
		f.Status = factorActive
	case "token:hotp":
		if !activate {
			return errValidation(enrollWhat, "Custom TOTP factors support only auto-activation (activate=true).")
		}
		if body.FactorProfileID == "" {
			return errValidation(enrollWhat, "factorProfileId: The field cannot be left blank")
		}
		secret := strings.ToUpper(strings.ReplaceAll(profileString(p, "sharedSecret"), " ", ""))
		if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(secret, "=")); err != nil || secret == "" {
			return errValidation(enrollWhat, "sharedSecret: The shared secret must be base32 encoded.")
		}
		f.Secret = secret
		f.Profile2 = body.FactorProfileID
		f.Profile = map[string]any{"credentialId": u.login()}
		f.Status = factorActive
	}
	return nil
}

// activateBody is the body of activate and verify.
type activateBody struct {
	PassCode passCode `json:"passCode"`
	Answer   string   `json:"answer"`
}

// activation attempts allowed per factor within activationWindow before 429 E0000047.
const (
	activationAttempts = 5
	activationWindow   = 5 * time.Minute
)

func (e *Emulator) activateFactor(rq *request) (int, any, error) {
	var body activateBody
	if _, err := decodeBody(rq.r, &body); err != nil {
		return 0, nil, err
	}
	e.mu.Lock()
	u, f, err := e.lookupFactor(rq)
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	if u.Status == statusDeprovisioned || u.Status == statusSuspended {
		e.mu.Unlock()
		return 0, nil, errUserStatus()
	}
	if f.Status != factorPending {
		e.mu.Unlock()
		return 0, nil, errValidation("factor", "The factor is already active.")
	}
	if f.Type == "push" {
		status, out, events := e.pushActivate(rq, u, f)
		e.mu.Unlock()
		e.emit(events...)
		return status, out, nil
	}
	// Attempts older than the window no longer count.
	kept := f.Attempts[:0]
	for _, t := range f.Attempts {
		if rq.now.Sub(t) < activationWindow {
			kept = append(kept, t)
		}
	}
	f.Attempts = kept
	if len(f.Attempts) >= activationAttempts {
		e.mu.Unlock()
		return 0, nil, errRateLimit()
	}
	f.Attempts = append(f.Attempts, rq.now)
	if err := e.checkPasscode(f, string(body.PassCode), rq.now); err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	f.Status = factorActive
	f.Attempts = nil
	f.LastUpdated = rq.now
	ev := e.factorEvent(rq, u, f, "user.mfa.factor.activate", "Activate factor for user",
		"User set up "+f.kind().logName+" factor")
	out := e.renderFactor(u, f, false)
	e.mu.Unlock()
	e.emit(ev)
	return http.StatusOK, out, nil
}

func (e *Emulator) verifyFactor(rq *request) (int, any, error) {
	var body activateBody
	empty, err := decodeBody(rq.r, &body)
	if err != nil {
		return 0, nil, err
	}
	lifetime := codeLifetime
	if v := rq.r.URL.Query().Get("tokenLifetimeSeconds"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= 86400 {
			lifetime = time.Duration(n) * time.Second
		}
	}
	e.mu.Lock()
	u, f, err := e.lookupFactor(rq)
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	if u.Status == statusDeprovisioned || u.Status == statusSuspended {
		e.mu.Unlock()
		return 0, nil, errUserStatus()
	}
	if f.Status != factorActive {
		e.mu.Unlock()
		return 0, nil, errFactorNotActive()
	}
	k := f.kind()
	switch {
	case f.Type == "push":
		status, out := e.pushVerify(rq, u, f)
		e.mu.Unlock()
		return status, out, nil
	case k.channel != "" && (empty || body.PassCode == ""):
		if err := e.sendCode(u, f, rq.now, lifetime); err != nil {
			e.mu.Unlock()
			return 0, nil, err
		}
		self := e.factorURL(u.ID, f.ID)
		out := map[string]any{"factorResult": "CHALLENGE", "profile": f.Profile, "_links": map[string]any{
			"verify": link{Href: self + "/verify", Hints: hintPost},
			"factor": link{Href: self, Hints: hintGet},
		}}
		e.mu.Unlock()
		return http.StatusOK, out, nil
	}
	code := string(body.PassCode)
	if f.Type == "question" {
		code = body.Answer
	}
	err = e.checkPasscode(f, code, rq.now)
	result, reason := "SUCCESS", ""
	if err != nil {
		result, reason = "FAILURE", "INVALID_CREDENTIALS"
	}
	ev := e.factorEvent(rq, u, f, "user.authentication.auth_via_mfa", "Authentication of user via MFA", reason)
	ev.Outcome.Result = result
	e.mu.Unlock()
	e.emit(ev)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]string{"factorResult": "SUCCESS"}, nil
}

func (e *Emulator) resendFactor(rq *request) (int, any, error) {
	var body map[string]any
	if _, err := decodeBody(rq.r, &body); err != nil {
		return 0, nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	u, f, err := e.lookupFactor(rq)
	if err != nil {
		return 0, nil, err
	}
	k := f.kind()
	if k.channel == "" || f.Status != factorPending {
		return 0, nil, errValidation("factor", "Resend is only available for sms, call and email factors pending activation.")
	}
	recent := 0
	for _, t := range f.Attempts {
		if rq.now.Sub(t) < activationWindow {
			recent++
		}
	}
	if recent >= activationAttempts {
		return 0, nil, errRateLimit()
	}
	if err := e.sendCode(u, f, rq.now, codeLifetime); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderFactor(u, f, false), nil
}

func (e *Emulator) deleteFactor(rq *request) (int, any, error) {
	e.mu.Lock()
	u, f, err := e.lookupFactor(rq)
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	if u.Status == statusDeprovisioned {
		e.mu.Unlock()
		return 0, nil, errUserStatus()
	}
	i, _ := u.factorByID(f.ID)
	u.Factors = append(u.Factors[:i:i], u.Factors[i+1:]...)
	delete(e.pushTx, f.PushTxID)
	u.LastUpdated = rq.now
	ev := e.factorEvent(rq, u, f, "user.mfa.factor.deactivate", "Reset factor for user",
		"User reset "+f.kind().logName+" factor")
	e.mu.Unlock()
	e.emit(ev)
	return http.StatusNoContent, nil, nil
}

// resetFactors unenrolls every factor. Okta answers 200 with an empty body.
func (e *Emulator) resetFactors(rq *request) (int, any, error) {
	e.mu.Lock()
	u, err := e.lookupUser(rq, rq.r.PathValue("id"))
	if err != nil {
		e.mu.Unlock()
		return 0, nil, err
	}
	if u.Status == statusDeprovisioned {
		e.mu.Unlock()
		return 0, nil, errUserStatus()
	}
	for _, f := range u.Factors {
		delete(e.pushTx, f.PushTxID)
	}
	u.Factors = nil
	u.LastUpdated = rq.now
	ev := e.event(rq, "user.mfa.factor.reset_all", "Reset all factors for user", "", u.target())
	ev.LegacyEventType = "core.user.factor.reset_all"
	e.mu.Unlock()
	e.emit(ev)
	return http.StatusOK, noBody, nil
}

// catalogEntry is a UserFactorSupported.
type catalogEntry struct {
	FactorType string         `json:"factorType"`
	Provider   string         `json:"provider"`
	VendorName string         `json:"vendorName"`
	Enrollment string         `json:"enrollment"`
	Status     string         `json:"status"`
	Links      map[string]any `json:"_links"`
}

func (e *Emulator) factorCatalog(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, err := e.lookupUser(rq, rq.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	factorsURL := e.opts.BaseURL + "/api/v1/users/" + u.ID + "/factors"
	out := make([]catalogEntry, 0, len(factorKinds))
	for _, k := range factorKinds {
		c := catalogEntry{FactorType: k.factorType, Provider: k.provider, VendorName: k.vendor,
			Enrollment: "OPTIONAL", Status: "NOT_SETUP",
			Links: map[string]any{"enroll": link{Href: factorsURL, Hints: hintPost}}}
		for _, f := range u.Factors {
			if f.Type == k.factorType && f.Provider == k.provider {
				c.Status = f.Status
			}
		}
		if k.factorType == "question" {
			c.Links["questions"] = link{Href: factorsURL + "/questions", Hints: hintGet}
		}
		out = append(out, c)
	}
	return http.StatusOK, out, nil
}

func (e *Emulator) securityQuestions(rq *request) (int, any, error) {
	e.mu.Lock()
	_, err := e.lookupUser(rq, rq.r.PathValue("id"))
	e.mu.Unlock()
	if err != nil {
		return 0, nil, err
	}
	out := make([]map[string]string, 0, len(securityQuestions))
	for _, q := range securityQuestions {
		out = append(out, map[string]string{"question": q.Key, "questionText": q.Text})
	}
	return http.StatusOK, out, nil
}

// normalizeAnswer makes security answers case- and surrounding-space-insensitive.
func normalizeAnswer(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

package emulator

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func TestTOTPEnrollActivateVerify(t *testing.T) {
	for _, provider := range []string{"OKTA", "GOOGLE"} {
		t.Run(provider, func(t *testing.T) {
			o := newTestOrg(t, Options{})
			uid := o.createUser("totp@example.com")
			f := o.enroll(uid, map[string]any{"factorType": "token:software:totp", "provider": provider}, "")
			if f["status"] != "PENDING_ACTIVATION" {
				t.Fatalf("status %v", f["status"])
			}
			fid := f["id"].(string)
			emb := f["_embedded"].(map[string]any)
			act := emb["activation"].(map[string]any)
			secret := act["sharedSecret"].(string)
			if !regexp.MustCompile(`^[A-Z2-7]{16}$`).MatchString(secret) || act["timeStep"] != 30.0 ||
				act["keyLength"] != 6.0 || act["encoding"] != "base32" {
				t.Fatalf("activation %v", act)
			}
			if _, ok := emb["_links"].(map[string]any)["qrcode"]; !ok {
				t.Fatalf("no _embedded._links.qrcode beside activation: %v", emb)
			}
			if _, ok := f["_links"].(map[string]any)["activate"]; !ok {
				t.Fatalf("pending factor without activate link: %v", f["_links"])
			}

			wrong := o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/lifecycle/activate", map[string]string{"passCode": "000000"})
			wantError(t, wrong, http.StatusForbidden, "E0000068")

			// The code a real authenticator app computes from the secret is accepted.
			code, err := totp.GenerateCode(secret, o.e.Clock().Now())
			if err != nil {
				t.Fatal(err)
			}
			r := o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/lifecycle/activate", map[string]string{"passCode": code})
			wantStatus(t, r, http.StatusOK)
			active := r.obj(t)
			if active["status"] != "ACTIVE" {
				t.Fatalf("after activate: %v", active["status"])
			}
			links := active["_links"].(map[string]any)
			if _, ok := links["verify"]; !ok {
				t.Fatalf("active factor without verify link: %v", links)
			}
			// The same code again is a replay.
			wantError(t, o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/verify", map[string]string{"passCode": code}),
				http.StatusForbidden, "E0000082")
			// A code two steps ahead (inside the ±4-step skew) verifies; one far away does not.
			ahead, _ := totp.GenerateCode(secret, o.e.Clock().Now().Add(60*time.Second))
			r = o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/verify", map[string]string{"passCode": ahead})
			wantStatus(t, r, http.StatusOK)
			if r.obj(t)["factorResult"] != "SUCCESS" {
				t.Fatalf("verify: %s", r.body)
			}
			far, _ := totp.GenerateCode(secret, o.e.Clock().Now().Add(10*time.Minute))
			wantError(t, o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/verify", map[string]string{"passCode": far}),
				http.StatusForbidden, "E0000068")
			// After the clock moves, the passcode affordance shows the new window's code and it verifies.
			o.advance(5 * time.Minute)
			r = o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/verify", map[string]string{"passCode": o.passcode(uid, fid)})
			wantStatus(t, r, http.StatusOK)

			// Enrolling the same type again is refused while it is active.
			again := o.do("POST", "/api/v1/users/"+uid+"/factors", map[string]any{"factorType": "token:software:totp", "provider": provider})
			wantError(t, again, http.StatusBadRequest, "E0000001")
			if !strings.Contains(string(again.body), "A factor of this type is already set up.") {
				t.Fatalf("cause: %s", again.body)
			}

			evs := o.events("user.mfa.factor.activate")
			if len(evs) != 1 {
				t.Fatalf("%d activate events", len(evs))
			}
			want := "User set up OKTA_SOFT_TOKEN factor"
			if provider == "GOOGLE" {
				want = "User set up GOOGLE_OTP factor"
			}
			if got := evs[0]["outcome"].(map[string]any)["reason"]; got != want {
				t.Fatalf("reason %v, want %s", got, want)
			}
		})
	}
}

func TestActivationAttemptLimit(t *testing.T) {
	o := newTestOrg(t, Options{})
	uid := o.createUser("limit@example.com")
	f := o.enroll(uid, map[string]any{"factorType": "token:software:totp", "provider": "OKTA"}, "")
	path := "/api/v1/users/" + uid + "/factors/" + f["id"].(string) + "/lifecycle/activate"
	for range 5 {
		wantError(t, o.do("POST", path, map[string]string{"passCode": "000000"}), http.StatusForbidden, "E0000068")
	}
	r := o.do("POST", path, map[string]string{"passCode": o.passcode(uid, f["id"].(string))})
	wantError(t, r, http.StatusTooManyRequests, "E0000047")
	o.advance(5*time.Minute + time.Second)
	r = o.do("POST", path, map[string]string{"passCode": o.passcode(uid, f["id"].(string))})
	wantStatus(t, r, http.StatusOK)
}

func TestOutOfBandFactors(t *testing.T) {
	cases := []struct {
		factorType string
		profile    map[string]any
		resendCode string
		wait       time.Duration
		logName    string
	}{
		{"sms", map[string]any{"phoneNumber": "+1-555-415-1337"}, "E0000109", 30 * time.Second, "SMS_FACTOR"},
		{"call", map[string]any{"phoneNumber": "+15554151338"}, "E0000133", 30 * time.Second, "CALL_FACTOR"},
		{"email", map[string]any{"email": "oob@example.com"}, "E0000118", 5 * time.Second, "EMAIL_FACTOR"},
	}
	for _, c := range cases {
		t.Run(c.factorType, func(t *testing.T) {
			o := newTestOrg(t, Options{})
			uid := o.createUser("oob@example.com")
			f := o.enroll(uid, map[string]any{"factorType": c.factorType, "provider": "OKTA", "profile": c.profile}, "")
			fid := f["id"].(string)
			resend := f["_links"].(map[string]any)["resend"].(map[string]any)
			if resend["name"] != c.factorType {
				t.Fatalf("resend link %v", resend)
			}
			var outbox []message
			o.do("GET", "/emulator/v1/outbox?factorId="+fid, nil).json(t, &outbox)
			if len(outbox) != 1 || len(outbox[0].Code) != 6 || outbox[0].Channel != c.factorType {
				t.Fatalf("outbox %+v", outbox)
			}
			first := outbox[0].Code
			wantError(t, o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/resend", nil), http.StatusTooManyRequests, c.resendCode)
			o.advance(c.wait + time.Second)
			wantStatus(t, o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/resend", map[string]any{"factorType": c.factorType}), http.StatusOK)
			code := o.passcode(uid, fid)
			if code == first && len(code) != 6 {
				t.Fatalf("resend code %q", code)
			}
			r := o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/lifecycle/activate", map[string]string{"passCode": code})
			wantStatus(t, r, http.StatusOK)

			// Verify without a passcode sends a challenge; the code from it verifies once.
			o.advance(c.wait + time.Second)
			ch := o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/verify", nil)
			wantStatus(t, ch, http.StatusOK)
			if ch.obj(t)["factorResult"] != "CHALLENGE" {
				t.Fatalf("challenge %s", ch.body)
			}
			code = o.passcode(uid, fid)
			wantStatus(t, o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/verify", map[string]string{"passCode": code}), http.StatusOK)
			wantError(t, o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/verify", map[string]string{"passCode": code}), http.StatusForbidden, "E0000082")

			// A code past its five-minute lifetime is refused.
			o.advance(c.wait + time.Second)
			wantStatus(t, o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/verify", nil), http.StatusOK)
			code = o.passcode(uid, fid)
			o.advance(301 * time.Second)
			wantError(t, o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/verify", map[string]string{"passCode": code}), http.StatusForbidden, "E0000068")

			evs := o.events("user.mfa.factor.activate")
			if len(evs) != 1 || evs[0]["outcome"].(map[string]any)["reason"] != "User set up "+c.logName+" factor" {
				t.Fatalf("activate events %v", evs)
			}
		})
	}
}

func TestEnrollRules(t *testing.T) {
	o := newTestOrg(t, Options{})
	uid := o.createUser("rules@example.com")
	cases := []struct {
		name   string
		body   any
		query  string
		status int
		code   string
		cause  string
		result string // factor status on success
	}{
		{"webauthn not implemented", map[string]any{"factorType": "webauthn", "provider": "FIDO"}, "", 400, "E0000001", "Factor not enabled.", ""},
		{"wrong provider", map[string]any{"factorType": "sms", "provider": "GOOGLE", "profile": map[string]any{"phoneNumber": "+15551234567"}}, "", 400, "E0000001", "Invalid Provider.", ""},
		{"unknown type", map[string]any{"factorType": "carrier-pigeon", "provider": "OKTA"}, "", 400, "E0000003", "", ""},
		{"bad phone", map[string]any{"factorType": "sms", "provider": "OKTA", "profile": map[string]any{"phoneNumber": "555"}}, "", 400, "E0000098", "", ""},
		{"foreign email", map[string]any{"factorType": "email", "provider": "OKTA", "profile": map[string]any{"email": "other@example.com"}}, "", 400, "E0000001", "", ""},
		{"bad question", map[string]any{"factorType": "question", "provider": "OKTA", "profile": map[string]any{"question": "nope", "answer": "long enough"}}, "", 400, "E0000001", "", ""},
		{"short answer", map[string]any{"factorType": "question", "provider": "OKTA", "profile": map[string]any{"question": "disliked_food", "answer": "no"}}, "", 400, "E0000001", "", ""},
		{"hotp without activate", map[string]any{"factorType": "token:hotp", "provider": "CUSTOM", "factorProfileId": "fpr1", "profile": map[string]any{"sharedSecret": "JBSWY3DPEHPK3PXP"}}, "", 400, "E0000001", "", ""},
		{"malformed", `{"factorType":`, "", 400, "E0000003", "", ""},
		{"question", map[string]any{"factorType": "question", "provider": "OKTA", "profile": map[string]any{"question": "disliked_food", "answer": "brussels sprouts"}}, "", 200, "", "", "ACTIVE"},
		{"hotp", map[string]any{"factorType": "token:hotp", "provider": "CUSTOM", "factorProfileId": "fpr1", "profile": map[string]any{"sharedSecret": "JBSWY3DPEHPK3PXP"}}, "?activate=true", 200, "", "", "ACTIVE"},
		{"sms auto-activate", map[string]any{"factorType": "sms", "provider": "OKTA", "profile": map[string]any{"phoneNumber": "+15551234567"}}, "?activate=true", 200, "", "", "ACTIVE"},
		{"push", map[string]any{"factorType": "push", "provider": "OKTA"}, "", 200, "", "", "PENDING_ACTIVATION"},
		{"email pending", map[string]any{"factorType": "email", "provider": "OKTA", "profile": map[string]any{"email": "RULES@example.com"}}, "", 200, "", "", "PENDING_ACTIVATION"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := o.as(t).do("POST", "/api/v1/users/"+uid+"/factors"+c.query, c.body)
			if c.code != "" {
				wantError(t, r, c.status, c.code)
				if c.cause != "" && !strings.Contains(string(r.body), c.cause) {
					t.Fatalf("cause %q not in %s", c.cause, r.body)
				}
				return
			}
			wantStatus(t, r, c.status)
			if got := r.obj(t)["status"]; got != c.result {
				t.Fatalf("status %v, want %s", got, c.result)
			}
		})
	}
	// The question factor verifies with its answer, case-insensitively, and not with another.
	var list []map[string]any
	o.do("GET", "/api/v1/users/"+uid+"/factors", nil).json(t, &list)
	byType := map[string]map[string]any{}
	for _, f := range list {
		byType[f["factorType"].(string)] = f
	}
	q := byType["question"]
	if q["profile"].(map[string]any)["questionText"] != "What is the food you least liked as a child?" || q["profile"].(map[string]any)["answer"] != nil {
		t.Fatalf("question profile %v", q["profile"])
	}
	qpath := "/api/v1/users/" + uid + "/factors/" + q["id"].(string) + "/verify"
	wantStatus(t, o.do("POST", qpath, map[string]string{"answer": "Brussels Sprouts"}), 200)
	wantError(t, o.do("POST", qpath, map[string]string{"answer": "kale"}), 403, "E0000068")
	h := byType["token:hotp"]
	hpath := "/api/v1/users/" + uid + "/factors/" + h["id"].(string) + "/verify"
	wantStatus(t, o.do("POST", hpath, map[string]string{"passCode": o.passcode(uid, h["id"].(string))}), 200)

	var catalog []map[string]any
	o.do("GET", "/api/v1/users/"+uid+"/factors/catalog", nil).json(t, &catalog)
	statuses := map[string]any{}
	for _, c := range catalog {
		statuses[c["factorType"].(string)+"/"+c["provider"].(string)] = c["status"]
	}
	if statuses["question/OKTA"] != "ACTIVE" || statuses["token:software:totp/OKTA"] != "NOT_SETUP" || statuses["push/OKTA"] != "PENDING_ACTIVATION" {
		t.Fatalf("catalog statuses %v", statuses)
	}
	var questions []map[string]string
	o.do("GET", "/api/v1/users/"+uid+"/factors/questions", nil).json(t, &questions)
	if len(questions) != 20 {
		t.Fatalf("%d questions", len(questions))
	}

	// Deleting one factor logs deactivate; reset_factors removes the rest and logs reset_all.
	wantStatus(t, o.do("DELETE", "/api/v1/users/"+uid+"/factors/"+q["id"].(string), nil), 204)
	wantError(t, o.do("GET", "/api/v1/users/"+uid+"/factors/"+q["id"].(string), nil), 404, "E0000007")
	r := o.do("POST", "/api/v1/users/"+uid+"/lifecycle/reset_factors", nil)
	wantStatus(t, r, 200)
	if len(r.body) != 0 {
		t.Fatalf("reset_factors body %q, want empty as Okta sends", r.body)
	}
	o.do("GET", "/api/v1/users/"+uid+"/factors", nil).json(t, &list)
	if len(list) != 0 {
		t.Fatalf("%d factors after reset", len(list))
	}
	de := o.events("user.mfa.factor.deactivate")
	if len(de) != 1 || de[0]["outcome"].(map[string]any)["reason"] != "User reset SECURITY_QUESTION factor" ||
		de[0]["displayMessage"] != "Reset factor for user" {
		t.Fatalf("deactivate events %v", de)
	}
	ra := o.events("user.mfa.factor.reset_all")
	if len(ra) != 1 || ra[0]["displayMessage"] != "Reset all factors for user" {
		t.Fatalf("reset_all events %v", ra)
	}
}

func TestPush(t *testing.T) {
	o := newTestOrg(t, Options{})
	uid := o.createUser("push@example.com")
	f := o.enroll(uid, map[string]any{"factorType": "push", "provider": "OKTA"}, "")
	fid := f["id"].(string)
	act := f["_embedded"].(map[string]any)["activation"].(map[string]any)
	if act["factorResult"] != "WAITING" {
		t.Fatalf("activation %v", act)
	}
	activate := "/api/v1/users/" + uid + "/factors/" + fid + "/lifecycle/activate"
	r := o.do("POST", activate, nil)
	wantStatus(t, r, 200)
	if r.obj(t)["factorResult"] != "WAITING" {
		t.Fatalf("poll %s", r.body)
	}
	// The phone approves the activation (the factor id names it).
	wantStatus(t, o.do("POST", "/emulator/v1/push/"+fid, map[string]string{"result": "APPROVE"}), 200)
	r = o.do("POST", activate+"/poll", nil)
	wantStatus(t, r, 400) // already active: nothing to poll
	got := o.do("GET", "/api/v1/users/"+uid+"/factors/"+fid, nil).obj(t)
	if got["status"] != "ACTIVE" || got["profile"].(map[string]any)["platform"] != "IOS" {
		t.Fatalf("push after approval %v", got)
	}

	verify := func() (string, string) {
		r := o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/verify", nil)
		wantStatus(t, r, http.StatusCreated)
		m := r.obj(t)
		poll := m["_links"].(map[string]any)["poll"].(map[string]any)["href"].(string)
		return poll[strings.LastIndex(poll, "/")+1:], strings.TrimPrefix(poll, o.e.BaseURL())
	}
	result := func(path string) string {
		r := o.do("GET", path, nil)
		wantStatus(t, r, 200)
		return r.obj(t)["factorResult"].(string)
	}
	for _, c := range []struct{ answer, want string }{{"APPROVE", "SUCCESS"}, {"REJECT", "REJECTED"}, {"", "TIMEOUT"}} {
		tx, path := verify()
		if got := result(path); got != "WAITING" {
			t.Fatalf("fresh transaction %s", got)
		}
		if c.answer == "" {
			o.advance(pushVerifyLifetime + time.Second)
		} else {
			wantStatus(t, o.do("POST", "/emulator/v1/push/"+tx, map[string]string{"result": c.answer}), 200)
		}
		if got := result(path); got != c.want {
			t.Fatalf("after %q: %s, want %s", c.answer, got, c.want)
		}
	}
}

func TestPushActivationTimeout(t *testing.T) {
	o := newTestOrg(t, Options{})
	uid := o.createUser("pt@example.com")
	f := o.enroll(uid, map[string]any{"factorType": "push", "provider": "OKTA"}, "")
	activate := "/api/v1/users/" + uid + "/factors/" + f["id"].(string) + "/lifecycle/activate"
	o.advance(pushActivationLifetime + time.Second)
	r := o.do("POST", activate, nil)
	wantStatus(t, r, 200)
	if r.obj(t)["factorResult"] != "TIMEOUT" {
		t.Fatalf("expired activation %s", r.body)
	}
	r = o.do("POST", activate, nil)
	if r.obj(t)["factorResult"] != "WAITING" {
		t.Fatalf("restarted activation %s", r.body)
	}
}

func TestPendingFactorRules(t *testing.T) {
	o := newTestOrg(t, Options{})
	uid := o.createUser("pending@example.com")
	sms := func(phone string) map[string]any {
		return o.enroll(uid, map[string]any{"factorType": "sms", "provider": "OKTA", "profile": map[string]any{"phoneNumber": phone}}, "?updatePhone=true")
	}
	first := sms("+15550000001")
	o.advance(31 * time.Second) // past the SMS resend window, which a re-enrolment also respects
	second := sms("+15550000002")
	if first["id"] != second["id"] || second["profile"].(map[string]any)["phoneNumber"] != "+15550000002" {
		t.Fatalf("re-enrolling a pending sms factor: %v then %v", first, second)
	}
	if n := len(o.events("user.mfa.factor.update")); n != 1 {
		t.Fatalf("%d user.mfa.factor.update events", n)
	}
	fid := second["id"].(string)
	wantError(t, o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/verify", map[string]string{"passCode": "123456"}), http.StatusGone, "E0000154")
	totpF := o.enroll(uid, map[string]any{"factorType": "token:software:totp", "provider": "OKTA"}, "")
	wantError(t, o.do("POST", "/api/v1/users/"+uid+"/factors/"+totpF["id"].(string)+"/resend", nil), http.StatusBadRequest, "E0000001")
	var list []map[string]any
	o.do("GET", "/api/v1/users/"+uid+"/factors", nil).json(t, &list)
	for _, f := range list {
		links := f["_links"].(map[string]any)
		if f["factorType"] == "token:software:totp" {
			if _, ok := links["next"]; !ok || links["activate"] != nil {
				t.Fatalf("listed pending TOTP links %v: want next instead of activate", links)
			}
		}
	}
	wantStatus(t, o.do("POST", "/api/v1/users/"+uid+"/lifecycle/deactivate", nil), 200)
	wantError(t, o.do("DELETE", "/api/v1/users/"+uid+"/factors/"+fid, nil), http.StatusForbidden, "E0000038")
}

// TestSeedWorkflowRequests replays the requests of the two seed Arazzo workflows exactly as written
// (enroll with only factorType and provider, activate with passCode, reset), checks the status codes
// they assert, and that the activation reaches the System Log and a verified hook.
func TestSeedWorkflowRequests(t *testing.T) {
	rc := &receiver{}
	hookURL := newHookServer(t, rc)
	o := newTestOrg(t, Options{AllowHTTPHooks: true, HookBatchWindow: 10 * time.Millisecond})
	hook := o.do("POST", "/api/v1/eventHooks", map[string]any{"name": "wf",
		"events":  map[string]any{"type": "EVENT_TYPE", "items": []string{"user.mfa.factor.activate"}},
		"channel": map[string]any{"type": "HTTP", "version": "1.0.0", "config": map[string]any{"uri": hookURL}}}).obj(t)
	wantStatus(t, o.do("POST", "/api/v1/eventHooks/"+hook["id"].(string)+"/lifecycle/verify", nil), 200)
	uid := o.createUser("workflow@example.com")

	for _, wf := range []string{"enroll-and-activate", "reset-and-reenroll"} {
		if wf == "reset-and-reenroll" {
			wantStatus(t, o.do("POST", "/api/v1/users/"+uid+"/lifecycle/reset_factors", nil), 200)
		}
		enroll := o.do("POST", "/api/v1/users/"+uid+"/factors", map[string]string{"factorType": "token:software:totp", "provider": "OKTA"})
		wantStatus(t, enroll, 200)
		fid := enroll.obj(t)["id"].(string)
		act := o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/lifecycle/activate", map[string]string{"passCode": o.passcode(uid, fid)})
		wantStatus(t, act, 200)
		if act.obj(t)["status"] != "ACTIVE" {
			t.Fatalf("%s: activatedStatus %v", wf, act.obj(t)["status"])
		}
	}
	flush(t, o)
	if n := len(o.events("user.mfa.factor.activate")); n != 2 {
		t.Fatalf("%d activate events in the System Log", n)
	}
	if n := len(rc.events("user.mfa.factor.activate")); n != 2 {
		t.Fatalf("%d activate events delivered", n)
	}
}

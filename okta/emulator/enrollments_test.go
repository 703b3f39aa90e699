package emulator

import (
	"net/http"
	"strings"
	"testing"
)

// activeFactor enrolls a factor and activates it the way a user's device would.
func (o *testOrg) activeFactor(uid string, body map[string]any) string {
	o.t.Helper()
	f := o.enroll(uid, body, "")
	fid := f["id"].(string)
	if f["status"] == "ACTIVE" {
		return fid
	}
	activate := "/api/v1/users/" + uid + "/factors/" + fid + "/lifecycle/activate"
	if body["factorType"] == "push" {
		wantStatus(o.t, o.do("POST", "/emulator/v1/push/"+fid, map[string]string{"result": "APPROVE"}), http.StatusOK)
		return fid
	}
	wantStatus(o.t, o.do("POST", activate, map[string]string{"passCode": o.passcode(uid, fid)}), http.StatusOK)
	return fid
}

func enrollmentList(t *testing.T, r response) []map[string]any {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	var list []map[string]any
	r.json(t, &list)
	return list
}

func TestAuthenticatorEnrollments(t *testing.T) {
	o := newTestOrg(t, Options{})
	uid := o.createUser("ada@example.com")
	base := "/api/v1/users/" + uid + "/authenticator-enrollments"

	// A user with a password has the password enrollment.
	list := enrollmentList(t, o.do("GET", base, nil))
	if len(list) != 1 || list[0]["key"] != "okta_password" || list[0]["type"] != "password" || !strings.HasPrefix(list[0]["id"].(string), "lae") {
		t.Fatalf("enrollments of a new user %v", list)
	}
	pw := o.authByKey("okta_password")["id"].(string)
	if links(list[0])["authenticator"].(map[string]any)["href"] != o.e.BaseURL()+"/api/v1/authenticators/"+pw ||
		links(list[0])["user"].(map[string]any)["href"] != o.e.BaseURL()+"/api/v1/users/"+uid {
		t.Errorf("password enrollment links %v", links(list[0]))
	}

	sms := o.activeFactor(uid, map[string]any{"factorType": "sms", "provider": "OKTA", "profile": map[string]any{"phoneNumber": "+1-555-415-1337"}})
	call := o.activeFactor(uid, map[string]any{"factorType": "call", "provider": "OKTA", "profile": map[string]any{"phoneNumber": "+447700900123"}})
	question := o.activeFactor(uid, map[string]any{"factorType": "question", "provider": "OKTA",
		"profile": map[string]any{"question": "disliked_food", "answer": "mushrooms"}})
	totp := o.activeFactor(uid, map[string]any{"factorType": "token:software:totp", "provider": "OKTA"})
	push := o.activeFactor(uid, map[string]any{"factorType": "push", "provider": "OKTA"})
	google := o.activeFactor(uid, map[string]any{"factorType": "token:software:totp", "provider": "GOOGLE"})
	// A factor still pending is no enrollment yet.
	pending := o.enroll(uid, map[string]any{"factorType": "email", "provider": "OKTA", "profile": map[string]any{"email": "ada@example.com"}}, "")
	if pending["status"] != "PENDING_ACTIVATION" {
		t.Fatalf("email enrolled %v", pending)
	}

	list = enrollmentList(t, o.do("GET", base, nil))
	var got []string
	for _, en := range list {
		got = append(got, en["key"].(string)+"="+en["id"].(string))
	}
	want := []string{"google_otp=" + google, "okta_verify=" + push, "okta_password=" + list[2]["id"].(string),
		"phone_number=" + sms, "phone_number=" + call, "security_question=" + question}
	// By name: Google Authenticator, Okta Verify, Password, Phone, Phone, Security Question; the pending
	// email factor is not listed.
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("enrollments\n got %v\nwant %v", got, want)
	}
	if p := list[3]["profile"].(map[string]any)["phoneNumber"]; p != "+1 XXX-XXX-1337" {
		t.Errorf("masked phone %v", p)
	}
	if p := list[4]["profile"].(map[string]any)["phoneNumber"]; p != "+XXXXXXXX0123" {
		t.Errorf("masked international phone %v", p)
	}
	// Google Authenticator is not an authenticator of a new org: no link to one.
	if _, ok := links(list[0])["authenticator"]; ok || list[0]["name"] != "Google Authenticator" || list[0]["type"] != "app" {
		t.Errorf("google_otp enrollment %v", list[0])
	}

	// One enrollment by id, with the phone disclosed on request; the Okta Verify enrollment is also
	// found by its TOTP factor.
	r := o.do("GET", base+"/"+sms+"?discloseIdentifiers=phone", nil)
	wantStatus(t, r, http.StatusOK)
	if r.obj(t)["profile"].(map[string]any)["phoneNumber"] != "+15554151337" || r.obj(t)["name"] != "Phone" {
		t.Fatalf("disclosed %s", r.body)
	}
	r = o.do("GET", base+"/"+totp, nil)
	wantStatus(t, r, http.StatusOK)
	if r.obj(t)["id"] != push || r.obj(t)["key"] != "okta_verify" {
		t.Fatalf("Okta Verify by its TOTP factor %s", r.body)
	}
	wantError(t, o.do("GET", base+"/mbl00000000000000000", nil), http.StatusNotFound, "E0000007")
	wantError(t, o.do("GET", "/api/v1/users/00u00000000000000000/authenticator-enrollments", nil), http.StatusNotFound, "E0000007")

	// Deleting the Okta Verify enrollment unenrolls push and TOTP together, with an event for each.
	wantStatus(t, o.do("DELETE", base+"/"+push, nil), http.StatusNoContent)
	var factors []map[string]any
	o.do("GET", "/api/v1/users/"+uid+"/factors", nil).json(t, &factors)
	for _, f := range factors {
		if f["id"] == push || f["id"] == totp {
			t.Errorf("factor %v survived its enrollment's deletion", f["id"])
		}
	}
	if n := len(o.events("user.mfa.factor.deactivate")); n != 2 {
		t.Errorf("%d user.mfa.factor.deactivate events, want 2", n)
	}
	wantError(t, o.do("DELETE", base+"/"+push, nil), http.StatusNotFound, "E0000007")
	wantError(t, o.do("DELETE", base+"/"+list[2]["id"].(string), nil), http.StatusBadRequest, "E0000001")

	// Activated, the email factor is an enrollment with the address as its profile.
	eid := pending["id"].(string)
	wantStatus(t, o.do("POST", "/api/v1/users/"+uid+"/factors/"+eid+"/lifecycle/activate", map[string]string{"passCode": o.passcode(uid, eid)}), http.StatusOK)
	r = o.do("GET", base+"/"+eid, nil)
	wantStatus(t, r, http.StatusOK)
	if m := r.obj(t); m["key"] != "okta_email" || m["type"] != "email" || m["profile"].(map[string]any)["email"] != "ada@example.com" {
		t.Errorf("email enrollment %s", r.body)
	}

	// A user created without a password has no password enrollment.
	r = o.do("POST", "/api/v1/users?activate=false", map[string]any{"profile": map[string]any{
		"login": "nopass@example.com", "email": "nopass@example.com", "firstName": "No", "lastName": "Password"}})
	wantStatus(t, r, http.StatusOK)
	if l := enrollmentList(t, o.do("GET", "/api/v1/users/nopass@example.com/authenticator-enrollments", nil)); len(l) != 0 {
		t.Errorf("enrollments without a password %v", l)
	}
}

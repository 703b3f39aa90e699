package inputhelper

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/secret"
)

// enrolled is an input request after an Okta TOTP enrollment step.
func enrolled(secretValue string) runner.InputRequest {
	return runner.InputRequest{WorkflowID: "wf", StepID: "activate", Name: "passCode",
		Inputs: map[string]any{"userId": "00u1", "apiToken": "tok-canary-123"},
		Responses: map[string]any{"enroll": map[string]any{"id": "uft1", "profile": map[string]any{"credentialId": "ann@example.com"},
			"_embedded": map[string]any{"activation": map[string]any{"sharedSecret": secretValue, "timeStep": 30.0, "keyLength": 6.0}}}},
		StepOrder: []string{"enroll"}}
}

const sharedSecret = "JBSWY3DPEHPK3PXP"

func TestTOTP(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	h := TOTP{Now: func() time.Time { return now }}
	v, err := h.Input(context.Background(), enrolled(sharedSecret))
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := totp.ValidateCustom(v.(string), sharedSecret, now, totp.ValidateOpts{Period: 30, Digits: 6}); !ok {
		t.Errorf("code %v does not verify", v)
	}
	for name, req := range map[string]runner.InputRequest{
		"not a code":    func() runner.InputRequest { r := enrolled(sharedSecret); r.Name = "apiToken"; return r }(),
		"no enrollment": {Name: "passCode", StepID: "activate"},
		"bad secret":    enrolled("not base32 !"),
	} {
		if _, err := h.Input(context.Background(), req); err == nil {
			t.Errorf("%s: no error", name)
		} else if strings.Contains(err.Error(), "not base32") {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}
}

func TestFindTOTPTakesTheLatestEnrollment(t *testing.T) {
	req := enrolled("AAAAAAAAAAAAAAAA")
	req.Responses["reenroll"] = map[string]any{"_embedded": map[string]any{"activation": map[string]any{"sharedSecret": "BBBBBBBBBBBBBBBB"}}}
	req.StepOrder = []string{"enroll", "reenroll"}
	if e, ok := FindTOTP(req); !ok || e.Secret != "BBBBBBBBBBBBBBBB" || e.Period != 30 || e.Digits != 6 {
		t.Errorf("%+v %v", e, ok)
	}
	if e, _ := FindTOTP(enrolled(sharedSecret)); !strings.Contains(e.URI(), "otpauth://totp/Okta:ann@example.com?") {
		t.Errorf("uri %s", e.URI())
	}
}

func TestCommand(t *testing.T) {
	secrets := &secret.Set{}
	secrets.Add("tok-canary-123")
	ctx := context.Background()
	dir := t.TempDir()

	c := &Command{Line: "cat > " + dir + "/req.json; printf '123456\\n'", Secrets: secrets}
	if v, err := c.Input(ctx, enrolled(sharedSecret)); err != nil || v != "123456" {
		t.Fatalf("%v %v", v, err)
	}
	shown, _ := os.ReadFile(dir + "/req.json")
	if strings.Contains(string(shown), "tok-canary-123") || strings.Contains(string(shown), sharedSecret) ||
		!strings.Contains(string(shown), `"apiToken":"****"`) {
		t.Errorf("the helper was shown secrets: %s", shown)
	}

	for name, tc := range map[string]struct {
		line, want string
		timeout    time.Duration
	}{
		"refuses":  {line: "echo 'nobody at the desk: tok-canary-123' >&2; exit 2", want: `refused "passCode": exit status 2: nobody at the desk: ****`},
		"silent":   {line: "true", want: `printed nothing for "passCode"`},
		"too slow": {line: "sleep 5", want: `gave no answer for "passCode" within 200ms`, timeout: 200 * time.Millisecond},
	} {
		c := &Command{Line: tc.line, Secrets: secrets, Timeout: tc.timeout}
		start := time.Now()
		_, err := c.Input(ctx, enrolled(sharedSecret))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
		if time.Since(start) > 3*time.Second {
			t.Errorf("%s: the helper held the run for %s", name, time.Since(start))
		}
	}
}

func TestChainAndParse(t *testing.T) {
	chain := Chain{TOTP{}, &Command{Line: "echo fallback"}}
	req := enrolled(sharedSecret)
	req.Name = "favouriteColour"
	if v, err := chain.Input(context.Background(), req); err != nil || v != "fallback" {
		t.Errorf("%v %v", v, err)
	}
	_, err := Chain{TOTP{}}.Input(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), `supplies one-time codes, not "favouriteColour"`) {
		t.Errorf("%v", err)
	}
	for spec, want := range map[string]string{
		"":                   "not empty",
		"okta-emulator":      "needs the emulator's URL",
		"okta-emulator=ftp:": "starts with http://",
	} {
		if _, err := Parse(spec, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v", spec, err)
		}
	}
	for spec, want := range map[string]any{"totp": TOTP{}, "okta-emulator=http://127.0.0.1:8080/": &EmulatorDevice{BaseURL: "http://127.0.0.1:8080"}} {
		got, err := Parse(spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d, ok := got.(*EmulatorDevice); ok && d.BaseURL != want.(*EmulatorDevice).BaseURL {
			t.Errorf("%q: %+v", spec, d)
		}
		if _, ok := got.(TOTP); !ok && spec == "totp" {
			t.Errorf("%q: %T", spec, got)
		}
	}
}

// FuzzParse: any spec is a helper or a clear error, never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"totp", "okta-emulator=http://x", "okta-emulator=", "echo 1", "", " \t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		h, err := Parse(spec, nil)
		if (h == nil) == (err == nil) {
			t.Fatalf("Parse(%q) = %v, %v", spec, h, err)
		}
	})
}

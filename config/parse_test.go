package config

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/config/configtest"
)

// issueConfig is the configuration from the issue, plus every optional section.
const issueConfig = `store: sqlite:./trama.db
listen: 127.0.0.1:9090
hooks:
  okta:
    path: /hooks/okta
    auth: { header: Authorization, value: ${TRAMA_HOOK_SECRET} }
api:
  token: ${TRAMA_API_TOKEN}
okta:
  orgUrl: https://example.okta.com/
  token: ${OKTA_API_TOKEN}
backfill: { enabled: true, interval: 30s, lookback: 2h, pageSize: 500 }
triggers:
  - name: welcome-new-factor
    on: user.mfa.factor.activate
    when: $event.reason != 'User set up SMS_FACTOR factor'
    run: { file: flows/notify.arazzo.yaml, workflow: notify-security }
    inputs:
      userId: $event.oktaUser.id
      oktaApiToken: $env.OKTA_API_TOKEN
      note: "factor {$event.reason} for $event.oktaUser.alternateId"
      retries: 3
      profile: { email: $event.oktaUser.alternateId, tags: [mfa, $event.eventType] }
    ignoreActor: self
  - name: factor-changes
    on: [user.mfa.factor.deactivate, user.mfa.factor.reset_all]
    run: { file: flows/notify.arazzo.yaml, workflow: notify-security }
    ignoreActor: 00uTRAMA
`

// Secrets and helpers shared with the trigger package's tests.
const (
	hookSecret = configtest.HookSecret
	apiToken   = configtest.APIToken
	oktaToken  = configtest.OktaToken
)

var (
	testEnv     = configtest.Env
	writeConfig = configtest.Write
)

func TestLoadIssueConfig(t *testing.T) {
	path := writeConfig(t, issueConfig)
	dir := filepath.Dir(path)
	cfg, err := Load(path, testEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.Driver != "sqlite" || cfg.Store.DSN != filepath.Join(dir, "trama.db") {
		t.Errorf("store %+v: want sqlite next to the configuration file", cfg.Store)
	}
	if cfg.Listen != "127.0.0.1:9090" {
		t.Errorf("listen %q", cfg.Listen)
	}
	if len(cfg.Hooks) != 1 || *cfg.Hooks[0] != (Hook{Name: "okta", Path: "/hooks/okta", Auth: HookAuth{Header: "Authorization", Value: hookSecret}, Pos: Pos{Line: 4, Col: 3}}) {
		t.Errorf("hooks %+v", cfg.Hooks[0])
	}
	if !cfg.API.Enabled() || cfg.API.Token != apiToken {
		t.Errorf("api token not expanded")
	}
	if cfg.Okta == nil || cfg.Okta.OrgURL != "https://example.okta.com" || cfg.Okta.Token != oktaToken {
		t.Errorf("okta %+v", cfg.Okta)
	}
	wantBackfill := Backfill{Enabled: true, Interval: 30 * time.Second, Lookback: 2 * time.Hour, PageSize: 500,
		EventTypes: []string{"user.mfa.factor.activate", "user.mfa.factor.deactivate", "user.mfa.factor.reset_all"}}
	if !reflect.DeepEqual(cfg.Backfill, wantBackfill) {
		t.Errorf("backfill %+v, want %+v", cfg.Backfill, wantBackfill)
	}
	if len(cfg.Triggers) != 2 {
		t.Fatalf("%d triggers", len(cfg.Triggers))
	}
	tr := cfg.Triggers[0]
	if tr.Name != "welcome-new-factor" || !reflect.DeepEqual(tr.On, []string{"user.mfa.factor.activate"}) ||
		tr.When == nil || tr.IgnoreActor != IgnoreSelf || tr.Pos != (Pos{Line: 14, Col: 5}) {
		t.Errorf("trigger %+v", tr)
	}
	if tr.Run != (Run{File: filepath.Join(dir, "flows", "notify.arazzo.yaml"), Workflow: "notify-security"}) {
		t.Errorf("run %+v", tr.Run)
	}
	var names []string
	var secrets []string
	for _, in := range tr.Inputs {
		names = append(names, in.Name)
		if in.Secret {
			secrets = append(secrets, in.Name)
		}
	}
	if !reflect.DeepEqual(names, []string{"userId", "oktaApiToken", "note", "retries", "profile"}) {
		t.Errorf("inputs %v, want file order", names)
	}
	if !reflect.DeepEqual(secrets, []string{"oktaApiToken"}) {
		t.Errorf("secret inputs %v", secrets)
	}
	if got := cfg.Triggers[1].On; !reflect.DeepEqual(got, []string{"user.mfa.factor.deactivate", "user.mfa.factor.reset_all"}) {
		t.Errorf("list on = %v", got)
	}
}

func TestParseDefaults(t *testing.T) {
	cfg, err := Parse([]byte(""), "/etc/trama/trama.yaml", testEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.DSN != "/etc/trama/trama.db" || cfg.Listen != DefaultListen || cfg.API.Enabled() || cfg.Okta != nil {
		t.Errorf("defaults %+v", cfg)
	}
	if cfg.Backfill.Enabled || cfg.Backfill.Interval != DefaultBackfillInterval || cfg.Backfill.PageSize != 1000 {
		t.Errorf("backfill defaults %+v", cfg.Backfill)
	}
	if cfg.ConsoleEnabled() || cfg.Console.User != "console" || cfg.Console.Session != 12*time.Hour {
		t.Errorf("console defaults %+v", cfg.Console)
	}
	cfg, err = Parse([]byte("api: {token: "+apiToken+"}\n"), "trama.yaml", testEnv(nil))
	if err != nil || !cfg.ConsoleEnabled() {
		t.Errorf("with an API token the console is served: %v", err)
	}
	cfg, err = Parse([]byte("api: {token: "+apiToken+"}\nconsole: {enabled: false, user: ann, session: 30m}\n"), "trama.yaml", testEnv(nil))
	if err != nil || cfg.ConsoleEnabled() || cfg.Console.User != "ann" || cfg.Console.Session != 30*time.Minute {
		t.Errorf("console settings %+v, %v", cfg.Console, err)
	}
	cfg, err = Parse([]byte("hooks:\n  okta:\n    auth: {value: s3cr3t-hook}\nstore: postgres://u:p@db/trama\n"), "trama.yaml", testEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if h := cfg.Hooks[0]; h.Path != "/hooks/okta" || h.Auth.Header != "Authorization" {
		t.Errorf("hook defaults %+v", h)
	}
	if cfg.Store.Driver != "postgres" || cfg.Store.DSN != "postgres://u:p@db/trama" {
		t.Errorf("postgres store %+v", cfg.Store)
	}
}

func TestEnvExpansion(t *testing.T) {
	env := testEnv(map[string]string{"PORT": "7000", "EMPTY": ""})
	tests := []struct {
		in, want string
		wantErr  string
	}{
		{"127.0.0.1:${PORT}", "127.0.0.1:7000", ""},
		{"${NOPE:-127.0.0.1:1}", "127.0.0.1:1", ""},
		{"127.0.0.1:${EMPTY:-8}", "127.0.0.1:8", ""},
		{"$${PORT}", "${PORT}", ""},
		{"$PORT", "$PORT", ""},
		{"${NOPE}", "", "environment variable NOPE is not set"},
		{"${PORT", "", "unclosed"},
		{"${1X}", "", "not a variable name"},
	}
	for _, tt := range tests {
		got, _, err := expandEnv(tt.in, env)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("expandEnv(%q) error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("expandEnv(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestParseErrors checks that each mistake is reported at the right place with a message that says what
// to do.
func TestParseErrors(t *testing.T) {
	const trig = "triggers:\n  - name: t\n    on: user.mfa.factor.activate\n    run: {file: flows/notify.arazzo.yaml, workflow: notify-security}\n"
	tests := []struct {
		name string
		text string
		want []string // "line:col: path: fragment"
	}{
		{"yaml syntax", "listen: :1\nstore: [\n", []string{": not valid YAML"}},
		{"root not a mapping", "- a\n", []string{"1:1: must be a mapping"}},
		{"unknown top-level key", "stroe: sqlite:x.db\n", []string{`1:1: unknown key "stroe"; did you mean "store"?`}},
		{"unknown trigger key", trig + "    wehn: $event.reason == 'x'\n", []string{`5:5: triggers[0]: unknown key "wehn"; did you mean "when"?`}},
		{"duplicate key", "listen: :1\nlisten: :2\n", []string{"2:1: listen: key appears twice"}},
		{"missing env var", "listen: ${LISTEN_ADDR}\n", []string{"1:9: listen: environment variable LISTEN_ADDR is not set"}},
		{"env reference in a flow mapping", "hooks:\n  okta:\n    auth: { header: Authorization, value: ${MISSING} }\n",
			[]string{"3:43: hooks.okta.auth.value: environment variable MISSING is not set"}},
		{"bad listen", "listen: localhost\n", []string{`1:9: listen: "localhost" is not host:port`}},
		{"store scheme", "store: mysql://u:pw@h/db\n", []string{`1:8: store: unknown store scheme "mysql"`}},
		{"hook path", "hooks:\n  okta:\n    path: hooks/okta\n    auth: {value: x-secret-1}\n", []string{`3:11: hooks.okta.path: "hooks/okta" must be a URL path starting with "/"`}},
		{"hook without auth", "hooks:\n  okta: {path: /h}\n", []string{"2:3: hooks.okta: auth is required"}},
		{"hook auth without value", "hooks:\n  okta:\n    auth: {header: X-Hook}\n", []string{"3:11: hooks.okta.auth: value is required"}},
		{"duplicate hook path", "hooks:\n  a: {path: /h, auth: {value: v1-secret}}\n  b: {path: /h, auth: {value: v2-secret}}\n",
			[]string{`3:3: hooks.b.path: path "/h" is already used by hook "a"`}},
		{"short api token", "api: {token: abc}\n", []string{"1:14: api.token: is 3 characters; use at least 16"}},
		{"okta org url", "okta: {orgUrl: http://example.okta.com, token: t0ken-value}\n", []string{"1:16: okta.orgUrl: must use https"}},
		{"okta missing token", "okta: {orgUrl: https://example.okta.com}\n", []string{"1:7: okta: give a service app (clientId and privateKey, what Okta recommends) or an API token"}},
		{"backfill without okta", "backfill: {enabled: true}\n", []string{"1:11: backfill.enabled: polling the System Log needs an okta section"}},
		{"backfill interval", "backfill: {interval: 1s}\n", []string{"1:22: backfill.interval: 1s is out of range"}},
		{"duplicate trigger", trig + "  - name: t\n    on: user.mfa.factor.activate\n    run: {file: flows/notify.arazzo.yaml, workflow: notify-security}\n",
			[]string{`5:11: triggers[1].name: trigger "t" is defined twice`}},
		{"coalesce keep", trig + "    coalesce: {key: $event.oktaUser.id, window: 30s, keep: middle}\n",
			[]string{`5:60: triggers[0].coalesce.keep: "middle": keep the first or the last event's run: write first or last`}},
		{"coalesce without window", trig + "    coalesce: {key: $event.oktaUser.id}\n",
			[]string{"5:15: triggers[0].coalesce: coalesce needs a key and a window"}},
		{"concurrency limit", trig + "    concurrency: {key: $event.oktaUser.id, limit: 0}\n",
			[]string{`5:51: triggers[0].concurrency.limit: "0": the limit is a number of runs from 1 to 1000`}},
		{"input helper", trig + "    inputHelpers: [okta-emulator]\n",
			[]string{"5:20: triggers[0].inputHelpers[0]: okta-emulator needs the emulator's URL"}},
		{"input timeout", trig + "    inputTimeout: 90d\n", []string{"5:19: triggers[0].inputTimeout: \"90d\" is not a duration"}},
		{"missing on and run", "triggers:\n  - name: t\n", []string{"2:5: triggers[0]: on is required", "2:5: triggers[0]: run is required"}},
		{"empty on list", "triggers:\n  - name: t\n    on: []\n    run: {file: flows/notify.arazzo.yaml, workflow: notify-security}\n",
			[]string{"3:9: triggers[0].on: needs at least one event type"}},
		{"bad event type", "triggers:\n  - name: t\n    on: [user.mfa.factor.activate, 'User MFA Factor Activated']\n    run: {file: flows/notify.arazzo.yaml, workflow: notify-security}\n",
			[]string{`3:36: triggers[0].on[1]: "User MFA Factor Activated" is not an Okta event type`}},
		{"missing workflow file", "triggers:\n  - name: t\n    on: user.mfa.factor.activate\n    run: {file: flows/missing.yaml, workflow: w}\n",
			[]string{"4:17: triggers[0].run.file: cannot read workflow file", "no such file"}},
		{"unknown workflow", "triggers:\n  - name: t\n    on: user.mfa.factor.activate\n    run: {file: flows/notify.arazzo.yaml, workflow: notify-securty}\n",
			[]string{`4:53: triggers[0].run.workflow: notify.arazzo.yaml has no workflow "notify-securty"; did you mean "notify-security"?`}},
		{"when syntax", trig + "    when: $event.reason == 'x\n", []string{"5:28: triggers[0].when:", "unterminated"}},
		{"when unknown card field", trig + "    when: $event.reson == 'x'\n", []string{`5:11: triggers[0].when: $event.reson: the event card has no field "reson"; did you mean $event.reason?`}},
		{"when foreign root", trig + "    when: $inputs.x == 1\n", []string{"5:11: triggers[0].when: $inputs.x: a trigger only knows $event"}},
		{"when env expansion", trig + "    when: $event.reason == '${REASON}'\n", []string{"5:11: triggers[0].when: ${} is not expanded here; write $env.REASON"}},
		{"input env expansion", trig + "    inputs:\n      token: ${OKTA_API_TOKEN}\n", []string{"6:14: triggers[0].inputs.token: ${} is not expanded here; write $env.OKTA_API_TOKEN"}},
		{"input user member", trig + "    inputs:\n      email: $event.oktaUser.email\n", []string{"6:14: triggers[0].inputs.email: $event.oktaUser.email: $event.oktaUser has only id, alternateId, displayName, type"}},
		{"input header case", trig + "    inputs:\n      ua: $event.headers.User-Agent\n", []string{"6:11: triggers[0].inputs.ua: $event.headers.User-Agent: card header names are lower-case; write $event.headers.user-agent"}},
		{"input template syntax", trig + "    inputs:\n      note: 'hi {$event.reason'\n", []string{"6:17: triggers[0].inputs.note: string value at offset 3"}},
		{"self without okta", trig + "    ignoreActor: self\n", []string{`5:18: triggers[0].ignoreActor: "self" needs trama's own Okta identity; add an okta section`}},
		{"alias merge", "base: &b {listen: ':1'}\n", []string{`1:1: unknown key "base"`}},
		{"console user", "console: {user: ''}\n", []string{"1:17: console.user: \"\" must be 1 to 64 printable characters"}},
		{"console session", "console: {session: 5s}\n", []string{"1:20: console.session: 5s is out of range"}},
		{"console key", "console: {usr: ann}\n", []string{`1:11: console: unknown key "usr"; did you mean "user"?`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.text)
			_, err := Load(path, testEnv(nil))
			if err == nil {
				t.Fatalf("no error for:\n%s", tt.text)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %T is not Errors: %v", err, err)
			}
			text := strings.ReplaceAll(err.Error(), path+":", "")
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("errors\n%s\ndo not contain %q", text, w)
				}
			}
		})
	}
}

// TestErrorsNeverEchoSecrets feeds bad values through ${} and secret fields and checks that no error
// message contains them.
func TestErrorsNeverEchoSecrets(t *testing.T) {
	leaky := map[string]string{
		"BAD_TOKEN":  "short\nSECRET-line-break-value",
		"BAD_LISTEN": "SECRET-listen-value",
		"BAD_PATH":   "SECRET-path-value",
		"BAD_URL":    "http://SECRET-host-value.example.com",
		"BAD_BOOL":   "SECRET-bool-value",
		"BAD_STORE":  "mysql://admin:SECRET-db-password@db/x",
		"BAD_WF":     "SECRET-workflow-value",
		"BAD_FILE":   "SECRET-file-value.yaml",
	}
	text := `listen: ${BAD_LISTEN}
store: ${BAD_STORE}
api: {token: "${TRAMA_API_TOKEN}x\n"}
hooks:
  okta:
    path: ${BAD_PATH}
    auth: {value: "${BAD_TOKEN}"}
okta: {orgUrl: "${BAD_URL}", token: "${BAD_TOKEN}"}
backfill: {enabled: "${BAD_BOOL}", interval: "${BAD_LISTEN}"}
triggers:
  - name: t
    on: user.mfa.factor.activate
    run: {file: flows/notify.arazzo.yaml, workflow: "${BAD_WF}"}
  - name: u
    on: user.mfa.factor.activate
    run: {file: "${BAD_FILE}", workflow: w}
`
	path := writeConfig(t, text)
	_, err := Load(path, testEnv(leaky))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if strings.Contains(msg, "SECRET") || strings.Contains(msg, apiToken) {
		t.Errorf("error text leaks a secret:\n%s", msg)
	}
	// Every bad value must still be reported, by place.
	for _, place := range []string{"listen:", "store:", "api.token:", "hooks.okta.path:", "hooks.okta.auth.value:", "okta.orgUrl:",
		"okta.token:", "backfill.enabled:", "backfill.interval:", "triggers[0].run.workflow:", "triggers[1].run.file:"} {
		if !strings.Contains(msg, place) {
			t.Errorf("no error for %s in\n%s", place, msg)
		}
	}
}

func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("triggers:\n  - name: t\n    on: user.mfa.factor.activate\n    run: {file: flows/notify.arazzo.yaml, workflow: notify-security}\n    inputs:\n")
	b.WriteString("      a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("      a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	_, err := Load(writeConfig(t, b.String()), testEnv(nil))
	if err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Fatalf("alias bomb: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(issueConfig))
	f.Add([]byte("triggers:\n  - name: t\n    on: [a.b]\n    when: $event.reason == '${X}'\n    inputs: {a: *x}\n"))
	f.Add([]byte("hooks: {okta: {auth: {value: ${TRAMA_HOOK_SECRET:-d}}}}\nbackfill: {enabled: yes}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("triggers:\n- {name: t, on: x.y, run: {file: /dev/null, workflow: w}, inputs: {k: '{$event.eventDetails#/a~2}'}}\n"))
	env := testEnv(nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz/trama.yaml", env)
		if err != nil {
			if cfg != nil {
				t.Fatal("config returned with an error")
			}
			if msg := err.Error(); strings.Contains(msg, hookSecret) || strings.Contains(msg, apiToken) || strings.Contains(msg, oktaToken) {
				t.Fatalf("error leaks a secret: %s", msg)
			}
			return
		}
		if len(cfg.Triggers) > 0 && cfg.Triggers[0].Name == "" {
			t.Fatal("a parsed trigger has no name")
		}
	})
}

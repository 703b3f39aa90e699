package emulator

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStateSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "org.json")
	o := newTestOrg(t, Options{StatePath: path})
	uid := o.createUser("kept@example.com")
	f := o.enroll(uid, map[string]any{"factorType": "token:software:totp", "provider": "OKTA"}, "")
	fid := f["id"].(string)
	wantStatus(t, o.do("POST", "/api/v1/users/"+uid+"/factors/"+fid+"/lifecycle/activate", map[string]string{"passCode": o.passcode(uid, fid)}), 200)
	o.advance(time.Hour)
	if err := o.e.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("state file: %v", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		t.Errorf("state file mode %v: it holds hook auth values, so it must be private", info.Mode().Perm())
	}

	again := newTestOrg(t, Options{StatePath: path})
	got := again.do("GET", "/api/v1/users/kept@example.com/factors/"+fid, nil)
	wantStatus(t, got, 200)
	if got.obj(t)["status"] != "ACTIVE" {
		t.Fatalf("factor after restart: %s", got.body)
	}
	if n := len(again.events("user.mfa.factor.activate")); n != 1 {
		t.Fatalf("%d activate events after restart", n)
	}
	if off := again.e.Clock().Offset(); off != time.Hour {
		t.Fatalf("clock offset %v after restart", off)
	}
	// The admin (and so the actor of new events) is the same user as before.
	if a, b := o.e.adminID, again.e.adminID; a != b {
		t.Fatalf("admin changed from %s to %s", a, b)
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte("{not json"), 0o600)
	if _, err := New(Options{StatePath: bad, Logger: discardLogger()}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("corrupt state: %v", err)
	}
}

func TestResetAffordance(t *testing.T) {
	o := newTestOrg(t, Options{Users: []SeedUser{{Login: "seed@example.com"}}})
	o.createUser("gone@example.com")
	o.advance(time.Minute)
	wantStatus(t, o.do("POST", "/emulator/v1/reset", nil), http.StatusNoContent)
	wantError(t, o.do("GET", "/api/v1/users/gone@example.com", nil), 404, "E0000007")
	wantStatus(t, o.do("GET", "/api/v1/users/seed@example.com", nil), 200)
	if o.e.Clock().Offset() != 0 {
		t.Fatal("clock not reset")
	}
	var logs []map[string]any
	o.do("GET", "/api/v1/logs", nil).json(t, &logs)
	if len(logs) != 0 {
		t.Fatalf("%d events after reset", len(logs))
	}
}

func TestLoadSeedFile(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"list.json":  `[{"login":"a@example.com","firstName":"A"},{"login":"b@example.com","status":"STAGED"}]`,
		"doc.json":   `{"users":[{"login":"a@example.com"},{"login":"b@example.com"}]}`,
		"list.yaml":  "- login: a@example.com\n- login: b@example.com\n  mobilePhone: '+15551234567'\n",
		"doc.yml":    "users:\n  - login: a@example.com\n  - login: b@example.com\n",
		"bad.yaml":   "users:\n  - firstName: nobody\n",
		"status.yml": "- login: a@example.com\n  status: HAPPY\n",
		"typo.yaml":  "users:\n  - login: a@example.com\ngroup:\n  - name: Sales\n",
		"typo.json":  `[{"login":"a@example.com","fristName":"A"}]`,
	}
	for name, content := range files {
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600)
	}
	for _, name := range []string{"list.json", "doc.json", "list.yaml", "doc.yml"} {
		seed, err := LoadSeedFile(filepath.Join(dir, name))
		if err != nil || len(seed.Users) != 2 || seed.Users[1].Login != "b@example.com" {
			t.Errorf("%s: %v %+v", name, err, seed)
		}
	}
	for _, name := range []string{"bad.yaml", "status.yml", "missing.json", "typo.yaml", "typo.json"} {
		if _, err := LoadSeedFile(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	seed, _ := LoadSeedFile(filepath.Join(dir, "list.json"))
	o := newTestOrg(t, Options{Users: seed.Users})
	wantStatus(t, o.do("GET", "/api/v1/users/a@example.com", nil), 200)
	if s := o.do("GET", "/api/v1/users/b@example.com", nil).obj(t)["status"]; s != "STAGED" {
		t.Fatalf("seed status %v", s)
	}
}

// TestConcurrentClients runs many clients at once (run it with -race): each enrolls, activates,
// verifies and resets its own user while others list users and read the System Log.
func TestConcurrentClients(t *testing.T) {
	o := newTestOrg(t, Options{RateLimit: -1})
	o.contract = false // the contract is covered elsewhere; this test is about shared state
	const workers = 8
	ids := make([]string, workers)
	for i := range ids {
		ids[i] = o.createUser("c" + string(rune('a'+i)) + "@example.com")
	}
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := o.as(t)
			uid := ids[i]
			for range 5 {
				// Only Errorf here: FailNow must not be called off the test goroutine.
				r := w.do("POST", "/api/v1/users/"+uid+"/factors", map[string]any{"factorType": "token:software:totp", "provider": "OKTA"})
				if r.status != 200 {
					t.Errorf("enroll: %d %s", r.status, r.body)
					return
				}
				var f struct{ ID string }
				if err := json.Unmarshal(r.body, &f); err != nil {
					t.Errorf("enroll body: %v", err)
					return
				}
				code := totpCode(w.e.factorSecret(uid, f.ID), w.e.Clock().Now())
				if r := w.do("POST", "/api/v1/users/"+uid+"/factors/"+f.ID+"/lifecycle/activate", map[string]string{"passCode": code}); r.status != 200 {
					t.Errorf("activate: %d %s", r.status, r.body)
					return
				}
				w.do("GET", "/api/v1/users?limit=3", nil)
				w.do("GET", "/api/v1/logs?limit=5", nil)
				if r := w.do("POST", "/api/v1/users/"+uid+"/lifecycle/reset_factors", nil); r.status != 200 {
					t.Errorf("reset: %d", r.status)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := len(o.events("user.mfa.factor.activate")); n != workers*5 {
		t.Fatalf("%d activate events, want %d", n, workers*5)
	}
}

// factorSecret reads a factor's TOTP secret straight from the org, for tests that must not call the
// passcode affordance (which fails the test on error) off the test goroutine.
func (e *Emulator) factorSecret(userID, factorID string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if u, ok := e.users[userID]; ok {
		if _, f := u.factorByID(factorID); f != nil {
			return f.Secret
		}
	}
	return ""
}

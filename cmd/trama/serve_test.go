package main

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trama-dev/trama/demo"
)

func TestDemoRunsTheWholeSystem(t *testing.T) {
	code, out, errOut := trama(t, "demo")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"verified", "✓ enrollFactor", "✓ activateFactor", "read from the emulator's virtual authenticator",
		"card (User MFA Factor Activated)", "Reason:", "User set up", "Okta User:", "succeeded", "✓ 1 getUser",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "00demo-") > 1 {
		t.Errorf("the demo prints the API token beyond its shortened form in the banner:\n%s", out)
	}
	if regexp.MustCompile(`passCode \d{6}`).MatchString(out) {
		t.Errorf("the demo prints the passcode:\n%s", out)
	}
}

func TestHistoryCommandsReadTheStore(t *testing.T) {
	dir := t.TempDir()
	res, err := demo.Run(context.Background(), demo.Options{Dir: dir, Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "trama.db")

	code, out, errOut := trama(t, "runs", "list", "--db", db, "-o", "json")
	var runs struct {
		Items []struct{ ID, Status, Trigger, EventUUID string }
	}
	if code != exitOK || json.Unmarshal([]byte(out), &runs) != nil || len(runs.Items) != 1 {
		t.Fatalf("runs list: exit %d %s %s", code, out, errOut)
	}
	if r := runs.Items[0]; r.ID != res.Run.ID || r.Status != "succeeded" || r.Trigger != "audit-new-factor" || r.EventUUID != res.EventUUID {
		t.Errorf("run = %+v", r)
	}
	code, out, _ = trama(t, "runs", "show", res.Run.ID, "--db", db)
	if code != exitOK || !strings.Contains(out, "listFactors") || !strings.Contains(out, `"oktaApiToken":"****"`) {
		t.Errorf("runs show: exit %d\n%s", code, out)
	}
	code, out, _ = trama(t, "runs", "list", "--db", db, "--status", "failed")
	if code != exitOK || strings.Contains(out, res.Run.ID) {
		t.Errorf("runs list --status failed shows a succeeded run:\n%s", out)
	}
	code, out, _ = trama(t, "events", "show", res.EventUUID, "--db", db)
	if code != exitOK || !strings.Contains(out, "User MFA Factor Activated") || !strings.Contains(out, "ann.lee@example.com") {
		t.Errorf("events show: exit %d\n%s", code, out)
	}
	code, out, _ = trama(t, "events", "list", "--db", db, "--type", "user.mfa.factor.activate")
	if code != exitOK || !strings.Contains(out, res.EventUUID) {
		t.Errorf("events list: exit %d\n%s", code, out)
	}
	code, out, _ = trama(t, "events", "replay", res.EventUUID, "--db", db)
	if code != exitOK || !strings.Contains(out, "replay 1") {
		t.Errorf("events replay: exit %d\n%s", code, out)
	}
	if code, _, errOut := trama(t, "runs", "show", "no-such-run", "--db", db); code != exitUsage || !strings.Contains(errOut, "not found") {
		t.Errorf("a missing run: exit %d %s", code, errOut)
	}
}

// TestDemoNextCommandsWork runs the history commands `trama demo --keep` prints, as printed.
func TestDemoNextCommandsWork(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := trama(t, "demo", "--keep", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var cmds [][]string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "trama" && strings.Contains(line, "--db "+filepath.Join(dir, "trama.db")) {
			cmds = append(cmds, f[1:])
		}
	}
	if len(cmds) != 2 {
		t.Fatalf("the demo printed %d history commands for its store:\n%s", len(cmds), out)
	}
	for _, c := range cmds {
		if code, out, errOut := trama(t, c...); code != exitOK || out == "" {
			t.Errorf("trama %s: exit %d\n%s%s", strings.Join(c, " "), code, out, errOut)
		}
	}
	if !strings.Contains(out, "go install ./cmd/trama") {
		t.Error("the demo does not say how to get trama on the PATH")
	}
}

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/trama-dev/trama/runner"
)

func TestTerminalPromptShowsTheTOTPSecretAndReadsTheCode(t *testing.T) {
	var out bytes.Buffer
	p := &terminalPrompt{in: strings.NewReader("123456\n"), out: &out}
	v, err := p.Input(context.Background(), runner.InputRequest{
		WorkflowID: "enroll-and-activate-factor", Name: "passCode", StepID: "activateFactor",
		Schema: map[string]any{"description": "The one-time passcode"},
		Responses: map[string]any{"enrollFactor": map[string]any{
			"profile":   map[string]any{"credentialId": "ann@example.com"},
			"_embedded": map[string]any{"activation": map[string]any{"sharedSecret": "JBTWGV22G4ZGKV3N", "timeStep": 30, "keyLength": 6}},
		}},
	})
	if err != nil || v != "123456" {
		t.Fatalf("Input = %v, %v", v, err)
	}
	shown := out.String()
	for _, want := range []string{`Step "activateFactor" needs input "passCode"`, "The one-time passcode", "secret: JBTWGV22G4ZGKV3N",
		"otpauth://totp/Okta:ann@example.com?", "secret=JBTWGV22G4ZGKV3N", "period=30", "digits=6"} {
		if !strings.Contains(shown, want) {
			t.Errorf("prompt lacks %q:\n%s", want, shown)
		}
	}
}

func TestTerminalPromptWithoutAnAnswerFails(t *testing.T) {
	p := &terminalPrompt{in: strings.NewReader(""), out: &bytes.Buffer{}}
	if _, err := p.Input(context.Background(), runner.InputRequest{Name: "passCode"}); err == nil {
		t.Error("end of input must be an error, not an empty passcode")
	}
}

package history_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/store"
)

// TestWriteRunWaiting: a waiting run says what it waits for and what happens next: an input to supply
// with trama runs resume, or a message on a channel that resumes it by itself.
func TestWriteRunWaiting(t *testing.T) {
	until := time.Date(2026, 12, 2, 20, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		wait store.Waiting
		want []string
	}{
		{store.Waiting{Input: "passCode", StepID: "activateFactor", Description: "the six-digit code", Until: until},
			[]string{"waiting:  for input passCode of step activateFactor (the six-digit code)", "trama runs resume r1 --input passCode=VALUE"}},
		{store.Waiting{StepID: "waitForActivation", Until: until, Message: &store.MessageWait{Channel: "okta/events/user.mfa.factor.activate",
			EventType: "user.mfa.factor.activate", Correlation: "opf1"}},
			[]string{"waiting:  for a message on okta/events/user.mfa.factor.activate (step waitForActivation, correlated with opf1)",
				"it resumes when Okta delivers the event"}},
	} {
		var b bytes.Buffer
		history.WriteRun(&b, history.Run{ID: "r1", Status: string(store.RunWaiting), WaitingFor: &tt.wait})
		for _, want := range tt.want {
			if !strings.Contains(b.String(), want) {
				t.Errorf("lacks %q:\n%s", want, b.String())
			}
		}
		if tt.wait.Message != nil && strings.Contains(b.String(), "runs resume") {
			t.Errorf("a message wait is told to be resumed by hand:\n%s", b.String())
		}
	}
}

package inputhelper

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/trama-dev/trama/runner"
)

// EmulatorDevice plays the user's authenticator app against the Okta emulator: asked for a passcode, it
// reads the current code of the factor an earlier step enrolled from
// GET /emulator/v1/users/{userId}/factors/{factorId}/passcode. The demo, the tests and
// `--input-helper okta-emulator=URL` use it where a person would type the code.
type EmulatorDevice struct {
	// BaseURL is the emulator's org URL.
	BaseURL string
	// Client sends the request; nil means http.DefaultClient.
	Client *http.Client
	// OnCode, when set, is told each code handed out (the demo prints it).
	OnCode func(factorID, code string)
}

// Input answers only for passcodes; any other missing input is an error naming it.
func (a *EmulatorDevice) Input(ctx context.Context, req runner.InputRequest) (any, error) {
	if !isCodeName(req.Name) {
		return nil, fmt.Errorf("the emulator's virtual device supplies one-time codes, not %q", req.Name)
	}
	userID, _ := req.Inputs["userId"].(string)
	if userID == "" {
		return nil, fmt.Errorf("no userId input to read the passcode for")
	}
	var factorID string
	for _, outs := range req.StepOutputs {
		if id, ok := outs["factorId"].(string); ok && id != "" {
			factorID = id
		}
	}
	if factorID == "" {
		return nil, fmt.Errorf("no earlier step has a factorId output: enroll a factor first")
	}
	u := a.BaseURL + "/emulator/v1/users/" + url.PathEscape(userID) + "/factors/" + url.PathEscape(factorID) + "/passcode"
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	client := a.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(r)
	if err != nil {
		return nil, fmt.Errorf("virtual authenticator: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		PassCode     string `json:"passCode"`
		ErrorSummary string `json:"errorSummary"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("virtual authenticator: %s: %w", resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK || body.PassCode == "" {
		return nil, fmt.Errorf("virtual authenticator: %s: %s", resp.Status, body.ErrorSummary)
	}
	if a.OnCode != nil {
		a.OnCode(factorID, body.PassCode)
	}
	return body.PassCode, nil
}

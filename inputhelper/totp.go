package inputhelper

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/trama-dev/trama/runner"
)

// TOTP supplies passcodes for a TOTP factor the run itself enrolled: it computes the current code from
// the shared secret in the enrollment response, as an authenticator app would. It suits service
// accounts whose factor trama holds; a person's factor belongs on the person's phone.
type TOTP struct {
	// Now is the clock; nil means time.Now. Tests and the emulator's virtual clock set it.
	Now func() time.Time
}

// Input answers an input whose name says it is a one-time code (passCode, otp, code) when an earlier
// step enrolled a TOTP factor.
func (t TOTP) Input(ctx context.Context, req runner.InputRequest) (any, error) {
	if !isCodeName(req.Name) {
		return nil, fmt.Errorf("the totp helper supplies one-time codes, not %q", req.Name)
	}
	e, ok := FindTOTP(req)
	if !ok {
		return nil, fmt.Errorf("the totp helper found no TOTP enrollment (_embedded.activation.sharedSecret) in the responses of the steps before %q", req.StepID)
	}
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	digits := otp.DigitsSix
	if e.Digits == 8 {
		digits = otp.DigitsEight
	}
	code, err := totp.GenerateCodeCustom(strings.ToUpper(e.Secret), now(), totp.ValidateOpts{
		Period: uint(e.Period), Digits: digits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		// The error names the encoding problem, never the secret.
		return nil, fmt.Errorf("the totp helper could not use the shared secret from step %q: %w", e.StepID, err)
	}
	return code, nil
}

// isCodeName reports whether an input's name says it is a one-time code: passCode, otp, totpCode,
// verificationCode, code. Not a token or a country code: those are not the helper's to invent.
func isCodeName(name string) bool {
	n := strings.ToLower(name)
	return n == "code" || strings.Contains(n, "passcode") || strings.Contains(n, "otp") || strings.HasSuffix(n, "verificationcode")
}

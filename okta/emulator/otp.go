package emulator

import (
	"crypto/subtle"
	"encoding/json"
	"strconv"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// totpOpts are RFC 6238's defaults, which Okta Verify and Google Authenticator factors use: SHA1,
// six digits, 30-second steps.
var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// totpCode is the code a device shows at t.
func totpCode(secret string, t time.Time) string {
	code, err := totp.GenerateCodeCustom(secret, t, totpOpts)
	if err != nil {
		return ""
	}
	return code
}

// checkTOTP looks for passCode within skew steps of now, nearest first. It returns the matched step
// and whether one matched.
func checkTOTP(secret, passCode string, now time.Time, skew int) (int64, bool) {
	if len(passCode) != 6 {
		return 0, false
	}
	step := now.Unix() / 30
	for d := 0; d <= skew; d++ {
		for _, s := range []int64{step + int64(d), step - int64(d)} {
			code := totpCode(secret, time.Unix(s*30, 0))
			if subtle.ConstantTimeCompare([]byte(code), []byte(passCode)) == 1 {
				return s, true
			}
			if d == 0 {
				break
			}
		}
	}
	return 0, false
}

// passCode accepts the passCode field as a JSON string or number: Okta's examples send strings, some
// clients send the digits bare.
type passCode string

func (p *passCode) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*p = passCode(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	if _, err := strconv.ParseUint(n.String(), 10, 64); err != nil {
		return err
	}
	*p = passCode(n.String())
	return nil
}

// message is one SMS, voice call or email the emulator "sent"; GET /emulator/v1/outbox lists them.
type message struct {
	ID        string    `json:"id"`
	Channel   string    `json:"channel"`
	To        string    `json:"to"`
	Code      string    `json:"code"`
	Text      string    `json:"text"`
	UserID    string    `json:"userId"`
	FactorID  string    `json:"factorId"`
	SentAt    time.Time `json:"sentAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// codeLifetime is how long an SMS or voice code stays valid. Okta does not document it; email codes
// default to tokenLifetimeSeconds=300, so the emulator uses 300 s for all three.
const codeLifetime = 300 * time.Second

// resendWait is the minimum time between two codes on one factor: 30 s for SMS and calls, 5 s for
// email, per the E0000109, E0000133 and E0000118 texts.
func resendWait(channel string) time.Duration {
	if channel == "email" {
		return 5 * time.Second
	}
	return 30 * time.Second
}

// sendCode issues a new one-time code for an sms, call or email factor, refusing with Okta's 429 when
// the last code is too recent. e.mu must be held.
func (e *Emulator) sendCode(u *user, f *factor, now time.Time, lifetime time.Duration) error {
	k := f.kind()
	if !f.CodeSent.IsZero() && now.Sub(f.CodeSent) < resendWait(k.channel) {
		switch k.channel {
		case "sms":
			return errSMSRecentlySent()
		case "call":
			return errCallRecentlyMade()
		default:
			return errEmailRecentlySent()
		}
	}
	f.Code = newOTP()
	f.CodeSent = now
	f.CodeExpires = now.Add(lifetime)
	f.CodeUsed = false
	to, _ := f.Profile["phoneNumber"].(string)
	text := "Your verification code is " + f.Code
	switch k.channel {
	case "email":
		to, _ = f.Profile["email"].(string)
		text = "Your one-time email verification code is " + f.Code
	case "call":
		text = "Your Okta verification code is " + f.Code
	}
	e.outbox = append(e.outbox, message{ID: newID("msg"), Channel: k.channel, To: to, Code: f.Code, Text: text,
		UserID: u.ID, FactorID: f.ID, SentAt: now, ExpiresAt: f.CodeExpires})
	return nil
}

// checkPasscode verifies a passcode against a factor and records it against replay. cause is the
// factor-specific errorCause of E0000068. e.mu must be held.
func (e *Emulator) checkPasscode(f *factor, code string, now time.Time) error {
	switch f.Type {
	case "token:software:totp", "token:hotp":
		step, ok := checkTOTP(f.Secret, code, now, e.opts.TOTPSkew)
		if !ok {
			return errInvalidPasscode("Your passcode doesn't match our records. Please try again.")
		}
		if step <= f.LastStep {
			return errReplayed()
		}
		f.LastStep = step
		return nil
	case "sms", "call", "email":
		if f.Code == "" || subtle.ConstantTimeCompare([]byte(f.Code), []byte(code)) != 1 {
			if f.Type == "call" {
				return errInvalidPasscode("Your token doesn't match our records. Please try again.")
			}
			return errInvalidPasscode("Your passcode doesn't match our records. Please try again.")
		}
		if f.CodeUsed {
			return errReplayed()
		}
		if now.After(f.CodeExpires) {
			return errInvalidPasscode("Your passcode doesn't match our records. Please try again.")
		}
		f.CodeUsed = true
		return nil
	case "question":
		if subtle.ConstantTimeCompare([]byte(normalizeAnswer(f.Answer)), []byte(normalizeAnswer(code))) != 1 {
			return errInvalidPasscode("Your answer doesn't match our records. Please try again.")
		}
		return nil
	}
	return errInvalidPasscode("Your passcode doesn't match our records. Please try again.")
}

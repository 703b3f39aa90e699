package inputhelper

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"

	"github.com/trama-dev/trama/runner"
)

// TOTPEnrollment is what a TOTP factor enrollment returned: Okta puts it in
// `_embedded.activation` (sharedSecret, timeStep, keyLength) of the factor.
type TOTPEnrollment struct {
	Secret  string
	Period  int // seconds; 30 when the response does not say
	Digits  int // 6 when the response does not say
	Account string
	// StepID is the step whose response held it.
	StepID string
}

// FindTOTP looks for a TOTP enrollment in the responses the run has seen; with several, the step that
// ran last wins (step ids sorted as a tiebreak, so the answer does not depend on map order).
func FindTOTP(req runner.InputRequest) (TOTPEnrollment, bool) {
	var found []TOTPEnrollment
	for stepID, body := range req.Responses {
		m, ok := body.(map[string]any)
		if !ok {
			continue
		}
		emb, _ := m["_embedded"].(map[string]any)
		act, _ := emb["activation"].(map[string]any)
		sec, _ := act["sharedSecret"].(string)
		if sec == "" {
			continue
		}
		e := TOTPEnrollment{Secret: sec, Period: positive(act["timeStep"], 30), Digits: positive(act["keyLength"], 6),
			Account: "trama", StepID: stepID}
		if prof, ok := m["profile"].(map[string]any); ok {
			if c, _ := prof["credentialId"].(string); c != "" {
				e.Account = c
			}
		}
		found = append(found, e)
	}
	if len(found) == 0 {
		return TOTPEnrollment{}, false
	}
	slices.SortFunc(found, func(a, b TOTPEnrollment) int {
		return order(req, a.StepID, b.StepID)
	})
	return found[len(found)-1], true
}

// order sorts step ids by the order their outputs were recorded when known, else by id.
func order(req runner.InputRequest, a, b string) int {
	ia, ib := slices.Index(req.StepOrder, a), slices.Index(req.StepOrder, b)
	if ia != ib {
		return ia - ib
	}
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// URI is the otpauth:// URI authenticator apps scan.
func (e TOTPEnrollment) URI() string {
	issuer := "Okta"
	q := url.Values{}
	q.Set("secret", e.Secret)
	q.Set("issuer", issuer)
	q.Set("period", strconv.Itoa(e.Period))
	q.Set("digits", strconv.Itoa(e.Digits))
	return "otpauth://totp/" + url.PathEscape(issuer+":"+e.Account) + "?" + q.Encode()
}

// positive reads a JSON number (float64, json.Number or int) that must be a positive integer, else def.
func positive(v any, def int) int {
	n, err := strconv.Atoi(fmt.Sprint(v))
	if err != nil || n <= 0 {
		return def
	}
	return n
}

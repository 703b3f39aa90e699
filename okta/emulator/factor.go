package emulator

import (
	"time"

	"github.com/trama-dev/trama/okta"
)

// Factor statuses that enrolled factors take.
const (
	factorPending = "PENDING_ACTIVATION"
	factorActive  = "ACTIVE"
)

// factorKind describes one implemented factorType/provider pair.
type factorKind struct {
	factorType, provider, vendor string
	prefix                       string // id prefix Okta uses for the type
	logName                      string // the {FACTOR} of System Log reasons ("User set up OKTA_SOFT_TOKEN factor")
	channel                      string // sms, call or email for out-of-band codes
}

// factorKinds lists what the emulator implements, in catalog order. Log names marked in okta.md §3.3 as
// inferred (CALL_FACTOR, CUSTOM_HOTP, GOOGLE_OTP) are the emulator's choice.
var factorKinds = []factorKind{
	{factorType: "question", provider: "OKTA", vendor: "OKTA", prefix: "ufs", logName: "SECURITY_QUESTION"},
	{factorType: "sms", provider: "OKTA", vendor: "OKTA", prefix: "mbl", logName: "SMS_FACTOR", channel: "sms"},
	{factorType: "call", provider: "OKTA", vendor: "OKTA", prefix: "clf", logName: "CALL_FACTOR", channel: "call"},
	{factorType: "email", provider: "OKTA", vendor: "OKTA", prefix: "emf", logName: "EMAIL_FACTOR", channel: "email"},
	{factorType: "token:software:totp", provider: "OKTA", vendor: "OKTA", prefix: "ost", logName: "OKTA_SOFT_TOKEN"},
	{factorType: "token:software:totp", provider: "GOOGLE", vendor: "GOOGLE", prefix: "uft", logName: "GOOGLE_OTP"},
	{factorType: "push", provider: "OKTA", vendor: "OKTA", prefix: "opf", logName: "OKTA_VERIFY_PUSH"},
	{factorType: "token:hotp", provider: "CUSTOM", vendor: "Custom HOTP", prefix: "chf", logName: "CUSTOM_HOTP"},
}

// knownFactorTypes are the UserFactorType values of Okta's description; the emulator refuses the ones
// it does not implement with "Factor not enabled." and anything else as a malformed body.
var knownFactorTypes = map[string]bool{
	"call": true, "email": true, "push": true, "question": true, "sms": true, "token": true,
	"token:hardware": true, "token:hotp": true, "token:software:totp": true, "u2f": true, "web": true,
	"webauthn": true, "signed_nonce": true,
}

func lookupKind(factorType, provider string) (factorKind, bool) {
	for _, k := range factorKinds {
		if k.factorType == factorType && k.provider == provider {
			return k, true
		}
	}
	return factorKind{}, false
}

// factor is one enrolled factor. Fields are exported for the state file.
type factor struct {
	ID          string         `json:"id"`
	Type        string         `json:"factorType"`
	Provider    string         `json:"provider"`
	Status      string         `json:"status"`
	Created     time.Time      `json:"created"`
	LastUpdated time.Time      `json:"lastUpdated"`
	Profile     map[string]any `json:"profile"`

	Secret   string `json:"secret,omitempty"` // base32 TOTP/HOTP secret
	Answer   string `json:"answer,omitempty"` // security question answer
	Profile2 string `json:"factorProfileId,omitempty"`

	Code        string    `json:"code,omitempty"` // last one-time code sent by sms, call or email
	CodeSent    time.Time `json:"codeSent"`
	CodeExpires time.Time `json:"codeExpires"`
	CodeUsed    bool      `json:"codeUsed,omitempty"`

	LastStep int64       `json:"lastStep,omitempty"` // last TOTP step accepted, for replay detection
	Attempts []time.Time `json:"attempts,omitempty"` // activation attempts, for the 5-in-5-minutes limit
	PushTxID string      `json:"pushTxId,omitempty"` // the pending push activation
}

func (f *factor) kind() factorKind {
	k, _ := lookupKind(f.Type, f.Provider)
	return k
}

// link is a HAL link as Okta writes it.
type link struct {
	Name  string `json:"name,omitempty"`
	Href  string `json:"href"`
	Type  string `json:"type,omitempty"`
	Hints *hints `json:"hints,omitempty"`
}

type hints struct {
	Allow []string `json:"allow"`
}

var (
	hintGet       = &hints{Allow: []string{"GET"}}
	hintPost      = &hints{Allow: []string{"POST"}}
	hintDelete    = &hints{Allow: []string{"DELETE"}}
	hintGetDelete = &hints{Allow: []string{"GET", "DELETE"}}
)

// factorJSON is the wire form of a UserFactor. Structs rather than maps keep the hot enroll and
// activate paths free of map building and key sorting.
type factorJSON struct {
	ID          string         `json:"id"`
	FactorType  string         `json:"factorType"`
	Provider    string         `json:"provider"`
	VendorName  string         `json:"vendorName"`
	Status      string         `json:"status"`
	Created     okta.Time      `json:"created"`
	LastUpdated okta.Time      `json:"lastUpdated"`
	Profile     map[string]any `json:"profile"`
	Embedded    any            `json:"_embedded,omitempty"`
	Links       factorLinks    `json:"_links"`
}

// factorLinks are the _links of a factor; which ones appear depends on the status (okta.md §1.3).
type factorLinks struct {
	Activate  *link `json:"activate,omitempty"`
	Next      *link `json:"next,omitempty"`
	Poll      *link `json:"poll,omitempty"`
	Questions *link `json:"questions,omitempty"`
	Resend    *link `json:"resend,omitempty"`
	Self      link  `json:"self"`
	User      link  `json:"user"`
	Verify    *link `json:"verify,omitempty"`
}

// totpEmbedded is _embedded of a pending TOTP factor: the activation and, beside it, the QR code link.
type totpEmbedded struct {
	Activation totpActivation `json:"activation"`
	Links      struct {
		QRCode link `json:"qrcode"`
	} `json:"_links"`
}

type totpActivation struct {
	TimeStep     int    `json:"timeStep"`
	SharedSecret string `json:"sharedSecret"`
	Encoding     string `json:"encoding"`
	KeyLength    int    `json:"keyLength"`
}

func (e *Emulator) factorURL(userID, factorID string) string {
	return e.opts.BaseURL + "/api/v1/users/" + userID + "/factors/" + factorID
}

// renderFactor returns the factor as Okta shows it. inList selects the list form, where a pending TOTP
// carries _links.next instead of activate. e.mu must be held.
func (e *Emulator) renderFactor(u *user, f *factor, inList bool) factorJSON {
	self := e.factorURL(u.ID, f.ID)
	k := f.kind()
	out := factorJSON{ID: f.ID, FactorType: f.Type, Provider: f.Provider, VendorName: k.vendor, Status: f.Status,
		Created: okta.Time{Time: f.Created}, LastUpdated: okta.Time{Time: f.LastUpdated}, Profile: f.Profile}
	links := &out.Links
	links.User = link{Href: e.opts.BaseURL + "/api/v1/users/" + u.ID, Hints: hintGet}
	if f.Status == factorActive {
		links.Self = link{Href: self, Hints: hintGetDelete}
		links.Verify = &link{Href: self + "/verify", Hints: hintPost}
		if f.Type == "question" {
			links.Questions = &link{Href: e.opts.BaseURL + "/api/v1/users/" + u.ID + "/factors/questions", Hints: hintGet}
		}
		return out
	}
	links.Self = link{Href: self, Hints: hintGet}
	if inList && f.Type == "token:software:totp" {
		links.Next = &link{Name: "activate", Href: self + "/lifecycle/activate", Hints: hintPost}
	} else {
		links.Activate = &link{Href: self + "/lifecycle/activate", Hints: hintPost}
	}
	if k.channel != "" {
		// Okta's older examples show resend as a one-element array; the current description and the
		// official Go SDK v6 read an object, which the emulator follows so the SDK can decode it.
		links.Resend = &link{Name: k.channel, Href: self + "/resend", Hints: hintPost}
	}
	switch f.Type {
	case "token:software:totp":
		emb := &totpEmbedded{Activation: totpActivation{TimeStep: 30, SharedSecret: f.Secret, Encoding: "base32", KeyLength: 6}}
		emb.Links.QRCode = link{Href: self + "/qr/" + f.ID + "qr", Type: "image/png"}
		out.Embedded = emb
	case "push":
		links.Poll = &link{Href: self + "/lifecycle/activate/poll", Hints: hintPost}
		out.Embedded = map[string]any{"activation": e.pushActivation(u, f)}
	}
	return out
}

// pushActivation is the activation object of a pending push factor. e.mu must be held.
func (e *Emulator) pushActivation(u *user, f *factor) map[string]any {
	self := e.factorURL(u.ID, f.ID)
	expires := f.Created.Add(pushActivationLifetime)
	result := "WAITING"
	if tx, ok := e.pushTx[f.PushTxID]; ok {
		expires = tx.Expires
		if tx.Result == "TIMEOUT" {
			result = "TIMEOUT"
		}
	}
	return map[string]any{
		"expiresAt":    okta.Time{Time: expires},
		"factorResult": result,
		"_links": map[string]any{
			"send": []link{
				{Name: "email", Href: self + "/lifecycle/activate/email", Hints: hintPost},
				{Name: "sms", Href: self + "/lifecycle/activate/sms", Hints: hintPost},
			},
			"qrcode": link{Href: self + "/qr/" + f.PushTxID, Type: "image/png"},
		},
	}
}

// securityQuestions maps Okta's question keys to their text.
var securityQuestions = []struct{ Key, Text string }{
	{"disliked_food", "What is the food you least liked as a child?"},
	{"name_of_first_plush_toy", "What is the name of your first stuffed animal?"},
	{"first_award", "What did you earn your first medal or award for?"},
	{"favorite_security_question", "What is your favorite security question?"},
	{"favorite_toy", "What is the toy/stuffed animal you liked the most as a kid?"},
	{"first_computer_game", "What was the first computer game you played?"},
	{"favorite_movie_quote", "What is your favorite movie quote?"},
	{"first_sports_team_mascot", "What was the mascot of the first sports team you played on?"},
	{"first_music_purchase", "What music album or song did you first purchase?"},
	{"favorite_art_piece", "What is your favorite piece of art?"},
	{"grandmother_favorite_desert", "What was your grandmother's favorite dessert?"},
	{"first_thing_cooked", "What was the first thing you learned to cook?"},
	{"childhood_dream_job", "What was your dream job as a child?"},
	{"first_kiss_location", "Where did you have your first kiss?"},
	{"place_where_significant_other_was_met", "Where did you meet your spouse/significant other?"},
	{"favorite_vacation_location", "Where did you go for your favorite vacation?"},
	{"new_years_two_thousand", "Where were you on New Year's Eve in the year 2000?"},
	{"favorite_speaker_actor", "Who is your favorite speaker/orator?"},
	{"favorite_book_movie_character", "Who is your favorite book/movie character?"},
	{"favorite_sports_player", "Who is your favorite sports player?"},
}

func questionText(key string) (string, bool) {
	for _, q := range securityQuestions {
		if q.Key == key {
			return q.Text, true
		}
	}
	return "", false
}

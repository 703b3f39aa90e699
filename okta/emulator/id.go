package emulator

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// newID returns an Okta-style object id: a three-character type prefix ("00u" for users, "ost" for Okta
// Verify TOTP factors, ...) followed by random characters, 20 characters in all as Okta documents.
func newID(prefix string) string {
	var raw [20]byte
	rand.Read(raw[:])
	b := make([]byte, 20)
	copy(b, prefix)
	for i := len(prefix); i < 20; i++ {
		b[i] = idAlphabet[int(raw[i])%len(idAlphabet)]
	}
	return string(b)
}

// newRequestID returns an X-Okta-Request-Id: 27 URL-safe characters, the length real Okta uses.
func newRequestID() string {
	var raw [20]byte
	rand.Read(raw[:])
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// newSecret returns a 16-character base32 TOTP secret (80 bits), the size of Okta's examples.
func newSecret() string {
	const base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var raw [16]byte
	rand.Read(raw[:])
	b := make([]byte, 16)
	for i := range b {
		b[i] = base32Alphabet[raw[i]&31]
	}
	return string(b)
}

// newOTP returns a six-digit one-time code for SMS, voice call and email factors.
func newOTP() string {
	var raw [8]byte
	rand.Read(raw[:])
	var n uint64
	for _, x := range raw {
		n = n<<8 | uint64(x)
	}
	const digits = "0123456789"
	b := make([]byte, 6)
	for i := range b {
		b[i] = digits[n%10]
		n /= 10
	}
	return string(b)
}

// tokenID derives a stable "00T" id for an API token from its SHA-256, so events name the token the
// same way across restarts without containing it.
func tokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	b := []byte("00T")
	for i := 0; len(b) < 20; i++ {
		b = append(b, idAlphabet[int(sum[i])%len(idAlphabet)])
	}
	return string(b)
}

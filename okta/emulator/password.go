package emulator

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A user's password is kept only as a salted PBKDF2-SHA256 verifier, so the state file holds nothing
// a reader could sign in with, and no response, log line or System Log event ever carries the password.

// passwordIterations is the PBKDF2 work factor. It is far below what a production store would use: the
// emulator hashes a password for every user a test creates, and its state file is a test fixture.
const passwordIterations = 4096

// hashPassword returns "pbkdf2-sha256$<iterations>$<salt>$<key>" for pw.
func hashPassword(pw string) string {
	var salt [16]byte
	rand.Read(salt[:])
	key, err := pbkdf2.Key(sha256.New, pw, salt[:], passwordIterations, 32)
	if err != nil {
		// Only a key length or iteration count outside FIPS bounds fails, and these are constants.
		panic(fmt.Sprintf("hash password: %v", err))
	}
	enc := base64.RawStdEncoding
	return "pbkdf2-sha256$" + strconv.Itoa(passwordIterations) + "$" + enc.EncodeToString(salt[:]) + "$" + enc.EncodeToString(key)
}

// passwordMatches reports whether pw is the password behind verifier, comparing in constant time. An
// empty or unreadable verifier matches nothing: a user without a known password cannot sign in.
func passwordMatches(verifier, pw string) bool {
	parts := strings.Split(verifier, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, pw, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// setPassword gives u the password whose verifier hashPassword made, as a create, an update or a seed
// does. Hashing is left to the caller so it can happen outside e.mu.
func (u *user) setPassword(verifier string, now time.Time) {
	u.HasPassword = true
	u.PasswordHash = verifier
	u.PasswordChanged = now
	u.FailedLogins = 0
}

package secret

import (
	"strings"
	"unicode"
)

// anywhereWords make a name secret wherever they appear in it: "password", "clientSecret",
// "x-api-key" (as "api"+"key"), "credentials", "Set-Cookie".
var anywhereWords = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "passphrase": true, "passcode": true,
	"secret": true, "secrets": true,
	"apikey": true, "privatekey": true,
	"credential": true, "credentials": true, "sessionid": true,
	"authorization": true,
	"cookie":        true, "cookies": true,
}

// lastWords make a name secret only as its final word: "access_token" and "X-Auth-Token" are secret,
// "token_type" and "tokenUrl" are not; "signingKey" is secret, "keyId" is not.
var lastWords = map[string]bool{
	"token": true, "tokens": true, "key": true, "auth": true, "session": true,
}

// publicQualifiers are words that, directly before a last word, say the value is public: "publicKey".
var publicQualifiers = map[string]bool{"public": true}

// IsSecretName reports whether a field, header, parameter or input named name holds a secret value.
// Matching is case-insensitive and by word: name is split at '_', '-', '.', spaces and camelCase
// boundaries ("APIKey" is "api", "key"). A name is secret when
//   - any word, or two adjacent words joined, is one of password, passwd, pwd, passphrase, passcode,
//     secret(s), apikey, privatekey, credential(s), sessionid, authorization, cookie(s); or
//   - its last word is token(s), key, auth or session, unless the word before it is "public".
//
// The rules err towards masking: a masked non-secret costs a little debugging, a leaked token costs
// an incident.
func IsSecretName(name string) bool {
	words := splitWords(name)
	if len(words) == 0 {
		return false
	}
	for i, w := range words {
		if anywhereWords[w] {
			return true
		}
		if i > 0 && anywhereWords[words[i-1]+w] {
			return true
		}
	}
	last := words[len(words)-1]
	if lastWords[last] {
		return len(words) < 2 || !publicQualifiers[words[len(words)-2]]
	}
	return false
}

// splitWords lower-cases name and splits it into words at separators and camelCase boundaries.
func splitWords(name string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if unicode.IsUpper(r) && len(cur) > 0 {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			// "apiKey" splits before K; "APIKey" splits before K because "e" follows it.
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

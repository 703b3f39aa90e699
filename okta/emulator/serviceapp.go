package emulator

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"gopkg.in/yaml.v3"
)

// ServiceApp is an OAuth 2.0 service app (an "API Services" app integration) that exists when the
// emulator starts and again after POST /emulator/v1/reset. It authenticates at /oauth2/v1/token with
// private_key_jwt, so the emulator holds only its public keys.
type ServiceApp struct {
	// ClientID is the app's client_id. Default: a fresh Okta app id ("0oa" and 17 characters), which is
	// also the app id, as Okta does when no client_id is given.
	ClientID string `json:"clientId,omitempty" yaml:"clientId,omitempty"`
	// Label is the app's display name. Default "Service App <n>", n counting from 1 in Options.
	Label string `json:"label,omitempty" yaml:"label,omitempty"`
	// PublicJWKS is a JSON Web Key Set ({"keys": [...]}) holding the public halves of the keys the app
	// signs client assertions with: RSA or EC signing keys, each with a "kid" when there are several.
	// A key with private parts is refused.
	PublicJWKS json.RawMessage `json:"jwks,omitempty" yaml:"-"`
	// Scopes are the okta.* scopes granted to the app, as POST /api/v1/apps/{appId}/grants would.
	Scopes []string `json:"scopes,omitempty" yaml:"scopes,omitempty"`
	// RequireDPoP makes the token endpoint refuse requests without a DPoP proof
	// (settings.oauthClient.dpop_bound_access_tokens).
	RequireDPoP bool `json:"dpop,omitempty" yaml:"dpop,omitempty"`

	// generatedID marks a ClientID New generated, which a state file may have fixed differently.
	generatedID bool
}

// appIDFor is the app id behind a client id. Okta uses the app id as client_id unless one is given; a
// custom client_id gets a stable app id derived from it, so restarts and resets keep the same id.
func appIDFor(clientID string) string {
	if isOktaID(clientID, "0oa") {
		return clientID
	}
	sum := sha256.Sum256([]byte("app:" + clientID))
	b := []byte("0oa")
	for i := 0; len(b) < 20; i++ {
		b = append(b, idAlphabet[int(sum[i])%len(idAlphabet)])
	}
	return string(b)
}

func isOktaID(s, prefix string) bool {
	if len(s) != 20 || !strings.HasPrefix(s, prefix) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(idAlphabet, rune(s[i])) {
			return false
		}
	}
	return true
}

// validClientID follows the description of credentials.oauthClient.client_id: 6 to 100 characters,
// alphanumerics or $-_.+!*'(), and not the reserved ALL_CLIENTS.
func validClientID(s string) bool {
	if len(s) < 6 || len(s) > 100 || s == "ALL_CLIENTS" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("$-_.+!*'(),", r)) {
			return false
		}
	}
	return true
}

// validScopeName accepts the okta.* scope names Okta grants to service apps (okta.users.read,
// okta.users.read.self, okta.apps.clientCredentials.read, ...).
func validScopeName(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 3 || parts[0] != "okta" {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		for _, r := range p {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
				return false
			}
		}
	}
	return true
}

// parsePublicJWKS decodes a JWK Set of public signing keys, the only keys Okta accepts for
// private_key_jwt: RSA or EC, use "sig" (or none), no private parts, kids unique. Errors name the key by
// kid or position and never repeat key material.
func parsePublicJWKS(data []byte) ([]jose.JSONWebKey, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("JWKS is not a JSON Web Key Set: %w", err)
	}
	if len(raw.Keys) == 0 {
		return nil, errors.New(`JWKS has no keys: give at least one public key in "keys"`)
	}
	keys := make([]jose.JSONWebKey, 0, len(raw.Keys))
	for i, r := range raw.Keys {
		k, err := parsePublicJWK(r)
		if err != nil {
			return nil, fmt.Errorf("JWKS key %d: %w", i, err)
		}
		if k.KeyID != "" && slices.ContainsFunc(keys, func(o jose.JSONWebKey) bool { return o.KeyID == k.KeyID }) {
			return nil, fmt.Errorf("JWKS key %d: kid %q is used twice; every key needs its own kid", i, k.KeyID)
		}
		keys = append(keys, k)
	}
	if len(keys) > 1 {
		for i, k := range keys {
			if k.KeyID == "" {
				// Okta picks the key by kid when an app has several; without one the key could never be used.
				return nil, fmt.Errorf("JWKS key %d has no kid; every key of a JWKS with several keys needs one", i)
			}
		}
	}
	return keys, nil
}

func parsePublicJWK(data []byte) (jose.JSONWebKey, error) {
	var probe struct {
		Kid string `json:"kid"`
		Kty string `json:"kty"`
		D   string `json:"d"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("not a JSON object: %w", err)
	}
	name := "key"
	if probe.Kid != "" {
		name = fmt.Sprintf("key %q", probe.Kid)
	}
	if probe.D != "" {
		return jose.JSONWebKey{}, fmt.Errorf("%s holds a private key; give only its public half (drop \"d\" and the other private members)", name)
	}
	switch probe.Kty {
	case "RSA", "EC":
	case "":
		return jose.JSONWebKey{}, fmt.Errorf("%s has no kty", name)
	default:
		return jose.JSONWebKey{}, fmt.Errorf("%s has kty %q; Okta accepts RSA and EC signing keys", name, probe.Kty)
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(data); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("%s: %w", name, err)
	}
	if !k.IsPublic() || !k.Valid() {
		return jose.JSONWebKey{}, fmt.Errorf("%s is not a valid public key", name)
	}
	if k.Use != "" && k.Use != "sig" {
		return jose.JSONWebKey{}, fmt.Errorf("%s has use %q; client assertions need a signing key (\"sig\")", name, k.Use)
	}
	if rk, ok := k.Key.(*rsa.PublicKey); ok && rk.N.BitLen() < 2048 {
		return jose.JSONWebKey{}, fmt.Errorf("%s is a %d-bit RSA key; Okta requires at least 2048 bits", name, rk.N.BitLen())
	}
	k.Use = "sig"
	return k, nil
}

// normalizeServiceApps checks the seed apps and fills their defaults, so resets and restarts seed the
// same client ids.
func normalizeServiceApps(in []ServiceApp) ([]ServiceApp, error) {
	out := make([]ServiceApp, len(in))
	seenID := map[string]bool{}
	seenLabel := map[string]bool{}
	for i, s := range in {
		s.Scopes = slices.Clone(s.Scopes)
		if s.ClientID == "" {
			s.ClientID = newID("0oa")
			s.generatedID = true
		} else if !validClientID(s.ClientID) {
			return nil, fmt.Errorf("service app %d: client id %q must be 6 to 100 letters, digits or $-_.+!*'(),", i+1, s.ClientID)
		}
		if s.Label == "" {
			s.Label = fmt.Sprintf("Service App %d", i+1)
		}
		if seenID[s.ClientID] {
			return nil, fmt.Errorf("service app %d: client id %q is used twice", i+1, s.ClientID)
		}
		if seenLabel[s.Label] {
			return nil, fmt.Errorf("service app %d: label %q is used twice", i+1, s.Label)
		}
		seenID[s.ClientID], seenLabel[s.Label] = true, true
		if len(s.PublicJWKS) == 0 {
			return nil, fmt.Errorf("service app %q has no public keys: set PublicJWKS to a JWK Set", s.Label)
		}
		if _, err := parsePublicJWKS(s.PublicJWKS); err != nil {
			return nil, fmt.Errorf("service app %q: %w", s.Label, err)
		}
		for _, sc := range s.Scopes {
			if !validScopeName(sc) {
				return nil, fmt.Errorf("service app %q: %q is not an Okta scope (okta.<resource>.<read|manage>)", s.Label, sc)
			}
		}
		out[i] = s
	}
	return out, nil
}

// newSeededApp builds the org's app for a seed entry, granted its scopes by the admin.
func newSeededApp(s ServiceApp, now time.Time, adminID string) *application {
	keys, _ := parsePublicJWKS(s.PublicJWKS) // normalizeServiceApps checked them
	a := newServiceApplication(appIDFor(s.ClientID), s.ClientID, s.Label, s.RequireDPoP, now)
	a.Seeded = true
	a.setKeys(keys, now)
	for _, sc := range s.Scopes {
		if a.grant(sc) == nil {
			a.Grants = append(a.Grants, &scopeGrant{ID: newID("oag"), ScopeID: sc, Created: now, LastUpdated: now,
				CreatedByID: adminID, CreatedByType: "User"})
		}
	}
	return a
}

// ServiceApps lists the org's OAuth 2.0 service apps in creation order, in the ServiceApp shape (scopes
// are the current grants), so `trama okta-emulator` can print their client ids. Apps of other kinds
// are left out.
func (e *Emulator) ServiceApps() []ServiceApp {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []ServiceApp
	for _, a := range e.appOrder {
		if !a.isServiceApp() {
			continue
		}
		set := jose.JSONWebKeySet{Keys: a.parsed}
		jwks, _ := json.Marshal(set)
		out = append(out, ServiceApp{ClientID: a.ClientID, Label: a.Label, PublicJWKS: jwks, Scopes: a.grantedScopes(),
			RequireDPoP: a.RequireDPoP})
	}
	return out
}

// serviceAppFile is the document LoadServiceAppFile reads.
type serviceAppFile struct {
	ClientID string `json:"clientId" yaml:"clientId"`
	Label    string `json:"label" yaml:"label"`
	// JWKS is a JWK Set given inline (an object), or a path to a file holding one.
	JWKS any `json:"jwks" yaml:"jwks"`
	// PublicKey is a PEM public key given inline, or a path to a PEM file.
	PublicKey string   `json:"publicKey" yaml:"publicKey"`
	Kid       string   `json:"kid" yaml:"kid"`
	Scopes    []string `json:"scopes" yaml:"scopes"`
	DPoP      bool     `json:"dpop" yaml:"dpop"`
}

// LoadServiceAppFile reads a service app from a JSON or YAML file:
//
//	{"clientId": "...", "label": "...", "jwks": {...} | "publicKey": "key.pem", "kid": "...",
//	 "scopes": ["okta.users.read"], "dpop": true}
//
// clientId, label and kid are optional. jwks is a JWK Set, inline or as a path to a JSON file;
// publicKey is a PEM public key (PKIX "PUBLIC KEY" or PKCS #1 "RSA PUBLIC KEY"), inline or as a path.
// Relative paths are resolved against the file's directory. A private key is refused: the emulator never
// holds one. A PEM key's kid defaults to its RFC 7638 thumbprint.
func LoadServiceAppFile(path string) (ServiceApp, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return ServiceApp{}, fmt.Errorf("read service app file: %w", err)
	}
	var f serviceAppFile
	if strings.EqualFold(filepath.Ext(path), ".json") {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		err = dec.Decode(&f)
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		err = dec.Decode(&f)
	}
	if err != nil {
		return ServiceApp{}, fmt.Errorf("service app file %s: %w", path, err)
	}
	app, err := f.serviceApp(filepath.Dir(path))
	if err != nil {
		return ServiceApp{}, fmt.Errorf("service app file %s: %w", path, err)
	}
	return app, nil
}

func (f serviceAppFile) serviceApp(dir string) (ServiceApp, error) {
	app := ServiceApp{ClientID: f.ClientID, Label: f.Label, Scopes: f.Scopes, RequireDPoP: f.DPoP}
	hasJWKS := f.JWKS != nil
	switch {
	case hasJWKS && f.PublicKey != "":
		return ServiceApp{}, errors.New(`give either "jwks" or "publicKey", not both`)
	case hasJWKS:
		jwks, err := f.jwks(dir)
		if err != nil {
			return ServiceApp{}, err
		}
		app.PublicJWKS = jwks
	case f.PublicKey != "":
		jwks, err := jwksFromPEM(f.PublicKey, f.Kid, dir)
		if err != nil {
			return ServiceApp{}, err
		}
		app.PublicJWKS = jwks
	default:
		return ServiceApp{}, errors.New(`a service app needs its public key: "jwks" or "publicKey"`)
	}
	if f.Kid != "" && hasJWKS {
		return ServiceApp{}, errors.New(`"kid" goes with "publicKey"; a JWKS names its keys itself`)
	}
	if _, err := parsePublicJWKS(app.PublicJWKS); err != nil {
		return ServiceApp{}, err
	}
	return app, nil
}

// jwks turns the "jwks" member into JSON: YAML decodes an inline set to maps, which re-encode as JSON.
func (f serviceAppFile) jwks(dir string) ([]byte, error) {
	if p, ok := f.JWKS.(string); ok {
		if strings.HasPrefix(strings.TrimSpace(p), "{") {
			return []byte(p), nil
		}
		data, err := os.ReadFile(resolve(dir, p))
		if err != nil {
			return nil, fmt.Errorf("jwks: %w", err)
		}
		return data, nil
	}
	data, err := json.Marshal(f.JWKS)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	return data, nil
}

func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// jwksFromPEM wraps a PEM public key (inline or a file) in a one-key JWKS.
func jwksFromPEM(spec, kid, dir string) ([]byte, error) {
	data := []byte(spec)
	source := "publicKey"
	if !strings.Contains(spec, "-----BEGIN") {
		var err error
		source = resolve(dir, spec)
		data, err = os.ReadFile(source)
		if err != nil {
			return nil, fmt.Errorf("publicKey: %w", err)
		}
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", source)
	}
	if strings.Contains(block.Type, "PRIVATE") {
		return nil, fmt.Errorf("%s holds a %s; give the public key (openssl pkey -pubout)", source, block.Type)
	}
	var pub any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%s: PEM block %q is not a public key", source, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	switch pub.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
	default:
		return nil, fmt.Errorf("%s: %T keys are not supported; Okta accepts RSA and EC keys", source, pub)
	}
	k := jose.JSONWebKey{Key: pub, KeyID: kid, Use: "sig"}
	if k.KeyID == "" {
		tp, err := k.Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		k.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	}
	return json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k}})
}

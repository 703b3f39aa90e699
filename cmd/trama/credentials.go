package main

import (
	"strings"

	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/credential"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/secret"
)

// credentialsHelp is the part of run's help that explains credentials.
const credentialsHelp = `Credentials. A workflow may write its own credentials (Okta's catalog sends
"Authorization: SSWS $inputs.oktaApiToken"), or trama can authenticate each source description with
credentials kept outside the document: --credentials FILE (YAML or JSON, ${VARIABLE}s expanded) and
--credential SOURCE.KEY=VALUE flags, which override the file's keys:

  oktaApi:                        # a source description name
    type: okta                    # okta, oauth2, apiKey, basic or bearer
    orgUrl: https://example.okta.com
    clientId: 0oa1b2c3d4e5f6g7h8i9
    privateKey: service-app.pem   # PEM or JWK, a file (relative to FILE) or inline, e.g. ${OKTA_KEY}
    keyId: my-key                 # the kid Okta shows for the key (optional)
    scopes: [okta.users.manage]   # default: what the workflow's operations need
    dpop: auto                    # auto (the default: when the app requires it), true or false

An Okta credential may instead hold an API token (token: ${OKTA_API_TOKEN}). The credential sets the
Authorization header (or where the description's apiKey scheme says): a header the step writes with the
same name is not sent, and an input used only there (oktaApiToken) need not be given. Token requests are
not part of --har.`

// loadCredentials reads --credentials and --credential into an authenticator per source.
func loadCredentials(file string, flags []string, secrets *secret.Set) (map[string]runner.Authenticator, error) {
	if file == "" && len(flags) == 0 {
		return nil, nil
	}
	overrides := map[string]map[string]string{}
	for _, e := range flags {
		name, value, ok := strings.Cut(e, "=")
		src, key, dotted := strings.Cut(name, ".")
		if !ok || !dotted || src == "" || key == "" {
			// The value may be a secret: name the flag, never quote it.
			return nil, usageErr("--credential takes SOURCE.KEY=VALUE, e.g. --credential oktaApi.clientId=0oa1b2c3; one of them is not in that form")
		}
		if overrides[src] == nil {
			overrides[src] = map[string]string{}
		}
		overrides[src][key] = value
		secrets.Add(value)
	}
	creds, err := config.LoadCredentials(file, overrides, nil)
	if err != nil {
		return nil, usageErr("%s", secrets.Redact(err.Error()))
	}
	out := make(map[string]runner.Authenticator, len(creds))
	for src, c := range creds {
		secrets.Add(c.Secrets()...)
		a, err := credential.New(*c, credential.Options{})
		if err != nil {
			return nil, usageErr("credential for %s: %s", src, secrets.Redact(err.Error()))
		}
		out[src] = a
	}
	return out, nil
}

package runner

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/oauth"
	"github.com/trama-dev/trama/openapi"
)

// Authenticator authenticates the requests to one source description with credentials kept outside the
// workflow document: `trama run --credentials`, or a connection of `trama serve`. Package credential
// builds them (API keys, HTTP Basic and Bearer, OAuth 2.0 client credentials with private_key_jwt and
// DPoP).
//
// The credential wins over the document: a step parameter for the header the authenticator sets is not
// sent (it is not even evaluated), and a required input used only in such parameters need not be given.
// Okta's catalog writes `Authorization: SSWS $inputs.oktaApiToken` in every step; with a credential for
// its source those workflows run unchanged with an OAuth service app.
type Authenticator interface {
	// Prepare is told, before a run sends anything, every operation the run may call on the source, so
	// that one token can carry every scope they need. An error stops the run before its first request.
	Prepare(ctx context.Context, ops []Security) error
	// Header is the header Authenticate sets for the operation ("Authorization", or an API key's
	// header), or "" when it authenticates otherwise (a query parameter, a cookie).
	Header(sec Security) string
	// Authenticate sets what req needs for the operation and returns the secret values it set, which
	// the runner then masks everywhere.
	Authenticate(ctx context.Context, req *http.Request, sec Security) (secrets []string, err error)
	// Retry reads a response to an authenticated request and reports whether the request is worth
	// sending once more, authenticated again (a DPoP nonce challenge, a token that expired early).
	Retry(resp *http.Response) bool
	// String describes the credential for reports and errors, without secrets.
	String() string
}

// Security is what a description says about authenticating one operation.
type Security struct {
	// Source is the source description's name.
	Source string
	// Method and Path are the operation's method and path template.
	Method, Path string
	// ServerURL is the base URL the request goes to: relative token URLs resolve against it.
	ServerURL string
	// Requirements are the operation's effective security requirements (nil when the description
	// declares none); Schemes are the description's security schemes by name.
	Requirements []openapi.SecurityRequirement
	Schemes      map[string]openapi.SecurityScheme
}

// stepAuth is the authenticator of one step's request.
type stepAuth struct {
	a   Authenticator
	sec Security
	// replaced is set when the step wrote the header the credential sets.
	replaced bool
}

// authFor returns the authenticator for an operation's source, or nil when it has none.
func (x *execution) authFor(ro *arazzo.ResolvedOperation, serverURL string) *stepAuth {
	a := x.auths[ro.Source.Name]
	if a == nil {
		return nil
	}
	sec := Security{Source: ro.Source.Name, Method: ro.Op.Method, Path: ro.Op.Path, ServerURL: serverURL,
		Requirements: ro.Op.Security}
	if ro.Source.OpenAPI != nil {
		sec.Schemes = ro.Source.OpenAPI.SecuritySchemes()
	}
	return &stepAuth{a: a, sec: sec}
}

// replaces reports whether the credential replaces a step parameter.
func (sa *stepAuth) replaces(p *arazzo.Parameter) bool {
	if sa == nil || p.In != "header" {
		return false
	}
	h := sa.a.Header(sa.sec)
	return h != "" && strings.EqualFold(h, p.Name)
}

// describe says how the request was authenticated, for the step's report.
func (sa *stepAuth) describe() string {
	if sa == nil {
		return ""
	}
	s := sa.a.String()
	if sa.replaced {
		s += fmt.Sprintf("; it replaced the step's %s header", sa.a.Header(sa.sec))
	}
	return s
}

// prepareAuth tells each authenticator the operations of every step on its source, so that its first
// token covers the whole run.
func (x *execution) prepareAuth(ctx context.Context) error {
	if len(x.auths) == 0 {
		return nil
	}
	r := x.r
	ops := map[string][]Security{}
	for _, doc := range r.bundle.Documents {
		for _, w := range doc.Workflows {
			for _, s := range w.Steps {
				if s.WorkflowID != "" {
					continue
				}
				ro, err := r.bundle.ResolveOperation(doc, s)
				if err != nil {
					continue // the step fails with this error when it runs
				}
				sa := x.authFor(ro, "")
				if sa == nil {
					continue
				}
				if base, err := r.serverURL(ro); err == nil {
					sa.sec.ServerURL = base
				}
				ops[ro.Source.Name] = append(ops[ro.Source.Name], sa.sec)
			}
		}
	}
	for _, name := range sortedKeys(x.auths) {
		if err := x.auths[name].Prepare(ctx, ops[name]); err != nil {
			return fmt.Errorf("source %q: %w", name, err)
		}
	}
	return nil
}

// coveredInputs returns the inputs of wf that are referenced only in header parameters a credential
// replaces: they need not be given.
func (x *execution) coveredInputs(doc *arazzo.Document, wf *arazzo.Workflow, names []string) []string {
	if len(x.auths) == 0 {
		return nil
	}
	r := x.r
	only := func(s *arazzo.Step, p *arazzo.Parameter) bool {
		if s.WorkflowID != "" {
			return false
		}
		ro, err := r.bundle.ResolveOperation(doc, s)
		if err != nil {
			return false
		}
		return x.authFor(ro, "").replaces(p)
	}
	var out []string
	for _, n := range names {
		if doc.InputUsedOnlyIn(wf, n, only) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// authenticate prepares req with the step's credential and remembers what it set as secret.
func (x *execution) authenticate(ctx context.Context, sa *stepAuth, req *http.Request) error {
	if sa == nil {
		return nil
	}
	secrets, err := sa.a.Authenticate(ctx, req, sa.sec)
	for _, s := range secrets {
		x.rememberCredential(s)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", sa.a, err)
	}
	return nil
}

// SourceNames lists the root document's source descriptions, sorted.
func (r *Runner) SourceNames() []string { return sortedKeys(r.bundle.Sources) }

// Bundle is the workflow document and sources the runner runs.
func (r *Runner) Bundle() *arazzo.Bundle { return r.bundle }

// SourceURL returns the base URL requests to the root document's source description name go to: the
// Servers override, else the description's first server with its variables expanded. trama serve uses
// it to give a connection the sources that point at its org.
func (r *Runner) SourceURL(name string) (string, error) {
	src := r.bundle.Sources[name]
	if src == nil {
		return "", fmt.Errorf("no source description %q", name)
	}
	if u, ok := r.opts.Servers[name]; ok {
		return strings.TrimSuffix(u, "/"), nil
	}
	if src.OpenAPI == nil || len(src.OpenAPI.Servers()) == 0 {
		return "", fmt.Errorf("source %q declares no servers", name)
	}
	u, err := src.OpenAPI.Servers()[0].Expand(r.opts.ServerVariables)
	if err != nil {
		return "", fmt.Errorf("source %q: %w", name, err)
	}
	return strings.TrimSuffix(u, "/"), nil
}

// explain says what a refusal of an authenticated request means, from the server's WWW-Authenticate
// challenge (RFC 6750 §3.1): a missing scope names the scope, an invalid token says so. "" for others.
func (sa *stepAuth) explain(resp *http.Response) string {
	if sa == nil || (resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden) {
		return ""
	}
	cs := oauth.Challenges(resp.Header)
	if c, ok := oauth.Find(cs, "insufficient_scope"); ok {
		scope := c.Params["scope"]
		if scope == "" {
			return fmt.Sprintf("the access token of %s lacks a scope this operation needs", sa.a)
		}
		return fmt.Sprintf("the access token of %s lacks the scope %s: grant it to the app (Okta: Applications > the app > Okta API Scopes)", sa.a, scope)
	}
	if c, ok := oauth.Find(cs, "invalid_token"); ok {
		msg := fmt.Sprintf("the server refused the access token of %s", sa.a)
		if d := c.Params["error_description"]; d != "" {
			msg += ": " + d
		}
		return msg
	}
	if _, ok := oauth.Find(cs, "invalid_dpop_proof"); ok {
		return fmt.Sprintf("the server refused the DPoP proof of %s", sa.a)
	}
	return ""
}

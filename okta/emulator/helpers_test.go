package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

const specPath = "../../../shared/okta/openapi/management-current.yaml"

// The OpenAPI description is 3.5 MB: load it once per test binary.
var (
	specOnce sync.Once
	specDoc  *openapi3.T
	specErr  error
)

func contractSpec(t testing.TB) *openapi3.T {
	t.Helper()
	specOnce.Do(func() {
		specDoc, specErr = openapi3.NewLoader().LoadFromFile(specPath)
	})
	if specErr != nil {
		t.Fatalf("load %s: %v", specPath, specErr)
	}
	return specDoc
}

// findRoute matches a request path against the description's path templates, preferring the template
// with the most literal segments ("/factors/catalog" over "/factors/{factorId}"). kin-openapi's
// routers refuse to build because the description fails its own structural validation in parts
// unrelated to the emulator, so matching is done here.
func findRoute(doc *openapi3.T, method, path string) (*routers.Route, map[string]string, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best *routers.Route
	var bestParams map[string]string
	bestLiterals := -1
	for tmpl, item := range doc.Paths.Map() {
		parts := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(parts) != len(segs) {
			continue
		}
		op := item.GetOperation(method)
		if op == nil {
			continue
		}
		params := map[string]string{}
		literals := 0
		ok := true
		for i, p := range parts {
			if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
				params[p[1:len(p)-1]] = segs[i]
				continue
			}
			if p != segs[i] {
				ok = false
				break
			}
			literals++
		}
		if ok && literals > bestLiterals {
			best = &routers.Route{Spec: doc, Path: tmpl, PathItem: item, Method: method, Operation: op}
			bestParams, bestLiterals = params, literals
		}
	}
	return best, bestParams, best != nil
}

// testOrg is an emulator behind a loopback server plus a client that checks every response of an
// Okta operation against the OpenAPI description.
type testOrg struct {
	t     testing.TB
	e     *Emulator
	srv   *httptest.Server
	token string
	// contract turns the OpenAPI response check on; the fuzz targets and benchmarks turn it off.
	contract bool
}

func newTestOrg(t testing.TB, opts Options) *testOrg {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = discardLogger()
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	if opts.BaseURL == "" {
		opts.BaseURL = srv.URL
	}
	e, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.Config.Handler = e
	t.Cleanup(func() {
		srv.Close()
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &testOrg{t: t, e: e, srv: srv, token: e.Token(), contract: true}
}

// response is a finished exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) obj(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.json(t, &m)
	return m
}

func (r response) errorCode(t testing.TB) string {
	t.Helper()
	var e struct {
		ErrorCode string `json:"errorCode"`
	}
	r.json(t, &e)
	return e.ErrorCode
}

func (o *testOrg) do(method, path string, body any) response {
	o.t.Helper()
	return o.doAuth(method, path, body, "SSWS "+o.token)
}

func (o *testOrg) doAuth(method, path string, body any, auth string) response {
	o.t.Helper()
	h := http.Header{}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	return o.doHeader(method, path, body, h)
}

// doHeader sends a request with the given headers (Authorization, DPoP, ...).
func (o *testOrg) doHeader(method, path string, body any, header http.Header) response {
	o.t.Helper()
	var reader io.Reader
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		raw, _ = json.Marshal(b)
	}
	if raw != nil {
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, o.srv.URL+path, reader)
	if err != nil {
		o.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := o.srv.Client().Do(req)
	if err != nil {
		o.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		o.t.Fatal(err)
	}
	out := response{status: res.StatusCode, header: res.Header, body: data}
	if o.contract && strings.HasPrefix(path, "/api/") {
		o.checkContract(req, raw, out)
	}
	return out
}

// checkContract validates one response against the description.
func (o *testOrg) checkContract(req *http.Request, body []byte, res response) {
	o.t.Helper()
	if strings.HasSuffix(req.URL.Path, "/lifecycle/activate/poll") {
		// Okta's push enrolment links to .../lifecycle/activate/poll (okta.md §1.3), which the description
		// does not list as an operation.
		return
	}
	if strings.HasPrefix(req.URL.Path, "/api/v1/authn") {
		// The Authentication API is not part of Okta's management API description; authn_test.go checks
		// its answers against the Authentication API reference.
		return
	}
	doc := contractSpec(o.t)
	method, path := req.Method, req.URL.Path
	if method == http.MethodPost && path == "/api/v1/sessions" {
		// Creating a session from a session token left the current description (it is in the older
		// one); its 200 is the same Session object getSession answers.
		if res.status != http.StatusOK {
			return
		}
		method, path = http.MethodGet, "/api/v1/sessions/"+res.obj(o.t)["id"].(string)
	}
	canon := req.Clone(context.Background())
	canon.URL = &url.URL{Scheme: "http", Host: "emulator.test", Path: path, RawQuery: req.URL.RawQuery}
	canon.Host = "emulator.test"
	if body != nil {
		canon.Body = io.NopCloser(bytes.NewReader(body))
	}
	canon.Method = method
	route, params, ok := findRoute(doc, method, path)
	if !ok {
		if res.status == http.StatusNotFound || res.status == http.StatusMethodNotAllowed {
			return // an unknown path or method has no operation to check against
		}
		o.t.Errorf("contract: no operation for %s %s", req.Method, req.URL.Path)
		return
	}
	if route.Operation.OperationID == "listAuthenticatorEnrollments" && res.status == http.StatusOK {
		// The description types this list as one AuthenticatorEnrollment; Okta answers an array, as its
		// own example AuthenticatorEnrollmentResponseListAll shows. Each element is checked as the
		// description's getAuthenticatorEnrollment answer.
		var list []json.RawMessage
		if err := json.Unmarshal(res.body, &list); err != nil {
			o.t.Errorf("contract: %s %s answered %s, not an array", req.Method, req.URL.Path, res.body)
			return
		}
		for _, item := range list {
			var head struct{ ID string }
			json.Unmarshal(item, &head)
			one := req.Clone(context.Background())
			one.URL = &url.URL{Path: req.URL.Path + "/" + head.ID}
			o.checkContract(one, nil, response{status: res.status, header: res.header, body: item})
		}
		return
	}
	if why := contractException(route.Operation.OperationID, res.body); why != "" {
		o.t.Logf("contract: %s %s answered as real Okta does, not as described: %s", req.Method, req.URL.Path, why)
		return
	}
	resBody := res.body
	switch route.Operation.OperationID {
	case "getSession", "refreshSession", "listPolicyRules", "getPolicyRule", "createPolicyRule", "replacePolicyRule":
		// Okta's Session object has lastFactorVerification null until a factor is verified, and an app
		// sign-in policy's catch-all rule has conditions null (Okta's Sessions API reference and the
		// description's own list-all-access-policy-rule-response example); the schemas do not say
		// nullable, so nulls are dropped before the rest is checked.
		resBody = withoutNulls(o.t, resBody)
	}
	if route.Operation.OperationID == "listLogEvents" {
		// Real System Log events carry JSON null where the description declares non-nullable fields
		// (detailEntry, client.id, geographicalContext.*, ipChain[].source, authenticationContext.*):
		// okta.md §3.1 and §3.4 show them in real payloads, and receivers decode them. Real behaviour
		// wins, so nulls are dropped before the rest of the event is checked.
		resBody = withoutNulls(o.t, resBody)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: canon, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: res.status,
		Header: res.header,
		Body:   io.NopCloser(bytes.NewReader(resBody)),
		Options: &openapi3filter.Options{
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			MultiError:         true,
		},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		o.t.Errorf("contract: %s %s -> %d does not match %s: %v\nbody: %.600s", req.Method, req.URL.Path,
			res.status, route.Operation.OperationID, err, res.body)
	}
}

// wantStatus fails unless r has the status; it names the body for diagnosis.
func wantStatus(t testing.TB, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
}

func wantError(t testing.TB, r response, status int, code string) {
	t.Helper()
	wantStatus(t, r, status)
	if got := r.errorCode(t); got != code {
		t.Fatalf("errorCode %s, want %s; body %s", got, code, r.body)
	}
}

// advance moves the emulator's clock through the affordance, as a test client would.
func (o *testOrg) advance(d time.Duration) {
	o.t.Helper()
	r := o.do("POST", "/emulator/v1/clock", map[string]string{"advance": d.String()})
	wantStatus(o.t, r, http.StatusOK)
}

// createUser creates an active user with a password and returns its id.
func (o *testOrg) createUser(login string) string {
	o.t.Helper()
	r := o.do("POST", "/api/v1/users?activate=true", map[string]any{
		"profile":     map[string]any{"login": login, "email": login, "firstName": "Test", "lastName": "User"},
		"credentials": map[string]any{"password": map[string]any{"value": "Tr4ma-test-pass!"}},
	})
	wantStatus(o.t, r, http.StatusOK)
	return r.obj(o.t)["id"].(string)
}

// passcode asks the affordance what the user's device shows now.
func (o *testOrg) passcode(userID, factorID string) string {
	o.t.Helper()
	r := o.do("GET", "/emulator/v1/users/"+userID+"/factors/"+factorID+"/passcode", nil)
	wantStatus(o.t, r, http.StatusOK)
	return r.obj(o.t)["passCode"].(string)
}

func (o *testOrg) enroll(userID string, body map[string]any, query string) map[string]any {
	o.t.Helper()
	r := o.do("POST", "/api/v1/users/"+userID+"/factors"+query, body)
	wantStatus(o.t, r, http.StatusOK)
	return r.obj(o.t)
}

// events returns the System Log events of a type, oldest first.
func (o *testOrg) events(eventType string) []map[string]any {
	o.t.Helper()
	r := o.do("GET", "/api/v1/logs?filter="+url.QueryEscape(`eventType eq "`+eventType+`"`)+"&limit=1000", nil)
	wantStatus(o.t, r, http.StatusOK)
	var out []map[string]any
	r.json(o.t, &out)
	return out
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// as returns o reporting to t, for subtests.
func (o *testOrg) as(t testing.TB) *testOrg {
	c := *o
	c.t = t
	return &c
}

// withoutNulls re-encodes a JSON document with every null member and element removed.
func withoutNulls(t testing.TB, data []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	var strip func(any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if e == nil {
					delete(x, k)
				} else {
					x[k] = strip(e)
				}
			}
		case []any:
			out := x[:0]
			for _, e := range x {
				if e != nil {
					out = append(out, strip(e))
				}
			}
			return out
		}
		return v
	}
	out, _ := json.Marshal(strip(v))
	return out
}

// contractException names the responses where real Okta and the description differ (okta.md) and the
// emulator follows Okta. It returns why, or "" when the response must match the description.
func contractException(operationID string, body []byte) string {
	if operationID == "listApplications" || operationID == "getApplication" {
		var v any
		json.Unmarshal(body, &v)
		apps, ok := v.([]any)
		if !ok {
			apps = []any{v}
		}
		for _, a := range apps {
			if m, ok := a.(map[string]any); ok && m["_embedded"] != nil {
				return "expand=user/{userId} embeds the AppUser in _embedded.user, as Okta's examples show; the description types each member of _embedded.user as an object"
			}
		}
	}
	switch operationID {
	case "listAuthenticators", "getAuthenticator", "createAuthenticator", "replaceAuthenticator",
		"activateAuthenticator", "deactivateAuthenticator":
		var v any
		json.Unmarshal(body, &v)
		list, ok := v.([]any)
		if !ok {
			list = []any{v}
		}
		for _, a := range list {
			if m, ok := a.(map[string]any); ok && m["key"] == "custom_otp" {
				return "real orgs answer custom_otp authenticators (recorded in okta/terraform-provider-okta's fixtures) and the " +
					"description's discriminator maps the key, but its AuthenticatorKeyEnum omits it"
			}
		}
	}
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	_, hasProfile := m["profile"]
	_, hasType := m["factorType"]
	profile, _ := m["profile"].(map[string]any)
	_, hasPhone := profile["phoneNumber"]
	switch {
	case operationID == "getAuthenticatorEnrollment" && hasProfile && !hasPhone:
		return "Okta's examples answer an email enrollment with profile {email}; the description's AuthenticatorProfile requires phoneNumber of every enrollment"
	case operationID == "activateFactor" && !hasType && m["factorResult"] != nil:
		return "a push activation answers with the activation result {expiresAt, factorResult, _links} (okta.md §1.4), not a factor"
	case (operationID == "verifyFactor" || operationID == "getFactorTransactionStatus") && hasProfile:
		return "challenge and push profiles carry strings such as phoneNumber and credentialId (okta.md §1.5); the description declares objects"
	}
	return ""
}

// list decodes a JSON array of objects.
func (r response) list(t testing.TB) []map[string]any {
	t.Helper()
	var l []map[string]any
	r.json(t, &l)
	return l
}

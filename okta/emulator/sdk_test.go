package emulator

// The tests in this file drive the emulator with Okta's official Go SDK (v6.0.3), the way a user's own
// automation would talk to a real org. The SDK is a large package; keeping every use of it in this one
// file keeps it out of the other tests' way.

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/okta/okta-sdk-golang/v6/okta"
	"github.com/pquerna/otp/totp"
)

// sdkClient returns an SDK client for the org that authenticates with its API token.
func sdkClient(t *testing.T, o *testOrg) *sdk.APIClient {
	t.Helper()
	return newSDKClient(t, o, sdk.WithToken(o.token), sdk.WithAuthorizationMode("SSWS"))
}

// newSDKClient configures the SDK for the org with auth, as a user would. HOME and the OKTA_CLIENT_*
// variables are isolated so no okta.yaml on the machine leaks in, and the host is set after
// NewConfiguration because the SDK drops the port of orgUrl (okta.md §6.1).
func newSDKClient(t *testing.T, o *testOrg, auth ...sdk.ConfigSetter) *sdk.APIClient {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	for _, v := range []string{"OKTA_CLIENT_ORGURL", "OKTA_CLIENT_TOKEN", "OKTA_CLIENT_AUTHORIZATIONMODE", "OKTA_CLIENT_CLIENTID",
		"OKTA_CLIENT_PRIVATEKEY", "OKTA_CLIENT_PRIVATEKEYID"} {
		t.Setenv(v, "")
	}
	setters := append([]sdk.ConfigSetter{sdk.WithOrgUrl(o.srv.URL)}, auth...)
	setters = append(setters, sdk.WithCache(false), sdk.WithRateLimitMaxRetries(3), sdk.WithRateLimitMaxBackOff(10),
		sdk.WithRequestTimeout(30))
	cfg, err := sdk.NewConfiguration(setters...)
	if err != nil {
		t.Fatalf("sdk configuration: %v", err)
	}
	cfg.Host = strings.TrimPrefix(o.srv.URL, "http://")
	cfg.HTTPClient = o.srv.Client()
	return sdk.NewAPIClient(cfg)
}

func sdkCreateUser(t *testing.T, c *sdk.APIClient, login string) string {
	t.Helper()
	profile := sdk.UserProfile{Login: sdk.PtrString(login), Email: sdk.PtrString(login)}
	profile.FirstName = *sdk.NewNullableString(sdk.PtrString("Sdk"))
	profile.LastName = *sdk.NewNullableString(sdk.PtrString("User"))
	u, _, err := c.UserAPI.CreateUser(context.Background()).Activate(true).Body(sdk.CreateUserRequest{
		Profile:     profile,
		Credentials: &sdk.UserCredentialsWritable{Password: &sdk.PasswordCredential{Value: sdk.PtrString("Tr4ma-test-pass!")}},
	}).Execute()
	if err != nil {
		t.Fatalf("create user: %v", sdkErr(err))
	}
	return u.GetId()
}

// sdkErr unwraps the SDK's error into the Okta error object it decoded, for messages and assertions.
func sdkErr(err error) error {
	var ge *sdk.GenericOpenAPIError
	if errors.As(err, &ge) {
		if m, ok := ge.Model().(sdk.Error); ok {
			return errors.New(m.GetErrorCode() + ": " + m.GetErrorSummary())
		}
		return errors.New(ge.Error() + ": " + string(ge.Body()))
	}
	return err
}

func sdkErrorCode(err error) string {
	var ge *sdk.GenericOpenAPIError
	if errors.As(err, &ge) {
		if m, ok := ge.Model().(sdk.Error); ok {
			return m.GetErrorCode()
		}
	}
	return ""
}

func TestSDKFactorLifecycle(t *testing.T) {
	o := newTestOrg(t, Options{})
	c := sdkClient(t, o)
	ctx := context.Background()
	uid := sdkCreateUser(t, c, "sdk.totp@example.com")

	// Enroll Okta Verify TOTP and read the secret from _embedded.activation.
	body := sdk.UserFactorTokenSoftwareTOTPAsListFactors200ResponseInner(&sdk.UserFactorTokenSoftwareTOTP{
		FactorType: "token:software:totp", Provider: sdk.PtrString("OKTA")})
	enrolled, _, err := c.UserFactorAPI.EnrollFactor(ctx, uid).Body(body).Execute()
	if err != nil {
		t.Fatalf("enroll: %v", sdkErr(err))
	}
	f := enrolled.UserFactorTokenSoftwareTOTP
	if f == nil || f.GetStatus() != "PENDING_ACTIVATION" {
		t.Fatalf("enroll decoded as %+v", enrolled)
	}
	secret, _ := f.Embedded["activation"]["sharedSecret"].(string)
	if len(secret) != 16 {
		t.Fatalf("shared secret %q", secret)
	}

	// A wrong passcode comes back as 403 E0000068, decoded by the SDK.
	_, res, err := c.UserFactorAPI.ActivateFactor(ctx, uid, f.GetId()).Body(sdk.UserFactorActivateRequest{
		TokenSoftwareTotp: &sdk.TokenSoftwareTotp{PassCode: sdk.PtrString("000000")}}).Execute()
	if sdkErrorCode(err) != "E0000068" || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("wrong passcode: %v", sdkErr(err))
	}

	code, _ := totp.GenerateCode(secret, o.e.Clock().Now())
	activated, _, err := c.UserFactorAPI.ActivateFactor(ctx, uid, f.GetId()).Body(sdk.UserFactorActivateRequest{
		TokenSoftwareTotp: &sdk.TokenSoftwareTotp{PassCode: sdk.PtrString(code)}}).Execute()
	if err != nil {
		t.Fatalf("activate: %v", sdkErr(err))
	}
	if a := activated.UserFactorTokenSoftwareTOTP; a == nil || a.GetStatus() != "ACTIVE" {
		t.Fatalf("activate decoded as %+v", activated)
	}

	next, _ := totp.GenerateCode(secret, o.e.Clock().Now().Add(30*time.Second))
	v, _, err := c.UserFactorAPI.VerifyFactor(ctx, uid, f.GetId()).Body(sdk.UserFactorVerifyRequest{
		TokenSoftwareTotp1: &sdk.TokenSoftwareTotp1{PassCode: sdk.PtrString(next)}}).Execute()
	if err != nil || v.GetFactorResult() != "SUCCESS" {
		t.Fatalf("verify: %v %+v", sdkErr(err), v)
	}

	// SMS: the code comes from the outbox, as a phone would receive it.
	smsBody := sdk.UserFactorSMSAsListFactors200ResponseInner(&sdk.UserFactorSMS{FactorType: "sms", Provider: sdk.PtrString("OKTA"),
		Profile: &sdk.UserFactorSMSProfile{PhoneNumber: sdk.PtrString("+15554151337")}})
	sms, _, err := c.UserFactorAPI.EnrollFactor(ctx, uid).Body(smsBody).Execute()
	if err != nil || sms.UserFactorSMS == nil {
		t.Fatalf("enroll sms: %v", sdkErr(err))
	}
	smsID := sms.UserFactorSMS.GetId()
	var outbox []message
	o.do("GET", "/emulator/v1/outbox?factorId="+smsID, nil).json(t, &outbox)
	if len(outbox) != 1 {
		t.Fatalf("outbox %+v", outbox)
	}
	_, _, err = c.UserFactorAPI.ActivateFactor(ctx, uid, smsID).Body(sdk.UserFactorActivateRequest{
		Sms: &sdk.Sms{PassCode: sdk.PtrString(outbox[0].Code)}}).Execute()
	if err != nil {
		t.Fatalf("activate sms: %v", sdkErr(err))
	}

	list, _, err := c.UserFactorAPI.ListFactors(ctx, uid).Execute()
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %v, %d factors", sdkErr(err), len(list))
	}
	for _, item := range list {
		inst := item.GetActualInstance()
		if inst == nil {
			t.Fatalf("list item not decoded: %+v", item)
		}
	}
	if _, err := c.UserLifecycleAPI.ResetFactors(ctx, uid).Execute(); err != nil {
		t.Fatalf("reset factors: %v", sdkErr(err))
	}
	list, _, err = c.UserFactorAPI.ListFactors(ctx, uid).Execute()
	if err != nil || len(list) != 0 {
		t.Fatalf("after reset: %v, %d factors", sdkErr(err), len(list))
	}

	// System Log through the SDK, paging a bounded query two events at a time.
	since := o.e.Clock().Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	until := o.e.Clock().Now().Add(time.Hour).UTC().Format(time.RFC3339)
	events, res, err := c.SystemLogAPI.ListLogEvents(ctx).Since(since).Until(until).Limit(2).Execute()
	if err != nil {
		t.Fatalf("logs: %v", sdkErr(err))
	}
	all := append([]sdk.LogEvent(nil), events...)
	for pages := 0; res.HasNextPage(); pages++ {
		if pages > 20 {
			t.Fatal("log pagination does not end")
		}
		var page []sdk.LogEvent
		res, err = res.Next(&page)
		if err != nil {
			t.Fatalf("next page: %v", sdkErr(err))
		}
		all = append(all, page...)
	}
	types := map[string]int{}
	for _, ev := range all {
		types[ev.GetEventType()]++
	}
	if types["user.mfa.factor.activate"] != 2 || types["user.mfa.factor.reset_all"] != 1 || types["user.lifecycle.create"] != 1 {
		t.Fatalf("logged event types %v", types)
	}
}

func TestSDKUserLifecycle(t *testing.T) {
	o := newTestOrg(t, Options{})
	c := sdkClient(t, o)
	ctx := context.Background()
	uid := sdkCreateUser(t, c, "sdk.life@example.com")
	status := func() string {
		u, _, err := c.UserAPI.GetUser(ctx, uid).Execute()
		if err != nil {
			t.Fatalf("get user: %v", sdkErr(err))
		}
		return u.GetStatus()
	}
	steps := []struct {
		name string
		call func() error
		want string
	}{
		{"suspend", func() error { _, err := c.UserLifecycleAPI.SuspendUser(ctx, uid).Execute(); return err }, "SUSPENDED"},
		{"unsuspend", func() error { _, err := c.UserLifecycleAPI.UnsuspendUser(ctx, uid).Execute(); return err }, "ACTIVE"},
		{"deactivate", func() error { _, err := c.UserLifecycleAPI.DeactivateUser(ctx, uid).Execute(); return err }, "DEPROVISIONED"},
		{"activate", func() error {
			_, _, err := c.UserLifecycleAPI.ActivateUser(ctx, uid).SendEmail(false).Execute()
			return err
		}, "ACTIVE"},
	}
	for _, s := range steps {
		if err := s.call(); err != nil {
			t.Fatalf("%s: %v", s.name, sdkErr(err))
		}
		if got := status(); got != s.want {
			t.Fatalf("after %s: %s, want %s", s.name, got, s.want)
		}
	}
	users, _, err := c.UserAPI.ListUsers(ctx).Q("sdk.life").Execute()
	if err != nil || len(users) != 1 {
		t.Fatalf("list users: %v %d", sdkErr(err), len(users))
	}
	if _, err := c.UserLifecycleAPI.DeactivateUser(ctx, uid).Execute(); err != nil {
		t.Fatal(sdkErr(err))
	}
	if _, err := c.UserAPI.DeleteUser(ctx, uid).Execute(); err != nil {
		t.Fatalf("delete: %v", sdkErr(err))
	}
	if _, _, err := c.UserAPI.GetUser(ctx, uid).Execute(); sdkErrorCode(err) != "E0000007" {
		t.Fatalf("deleted user still there: %v", err)
	}
}

// TestSDKRetries429 shows the SDK backing off on its own: with a two-request budget per one-second
// window, the third call is answered 429 with X-Rate-Limit-Reset and the SDK retries it after the reset.
func TestSDKRetries429(t *testing.T) {
	o := newTestOrg(t, Options{RateLimit: 2, RateLimitWindow: time.Second})
	c := sdkClient(t, o)
	ctx := context.Background()
	var retried bool
	o.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Okta-Retry-Count") != "" {
			retried = true
		}
		o.e.ServeHTTP(w, r)
	})
	for i := range 3 {
		if _, _, err := c.UserAPI.GetUser(ctx, "me").Execute(); err != nil {
			t.Fatalf("call %d: %v", i, sdkErr(err))
		}
	}
	if !retried {
		t.Fatal("the SDK never retried: no 429 was answered")
	}
}

func TestSDKEventHook(t *testing.T) {
	rc := &receiver{}
	hookSrv := newHookServer(t, rc)
	o := newTestOrg(t, Options{AllowHTTPHooks: true, HookBatchWindow: 20 * time.Millisecond})
	c := sdkClient(t, o)
	ctx := context.Background()

	hook, _, err := c.EventHookAPI.CreateEventHook(ctx).EventHook(sdk.EventHook{
		Name:   "sdk hook",
		Events: sdk.EventSubscriptions{Type: "EVENT_TYPE", Items: []string{"user.mfa.factor.activate"}},
		Channel: sdk.EventHookChannel{Type: "HTTP", Version: "1.0.0", Config: sdk.EventHookChannelConfig{
			Uri: hookSrv + "/hook",
			AuthScheme: &sdk.EventHookChannelConfigAuthScheme{Type: sdk.PtrString("HEADER"),
				Key: sdk.PtrString("Authorization"), Value: sdk.PtrString("sdk-secret")},
		}},
	}).Execute()
	if err != nil {
		t.Fatalf("create hook: %v", sdkErr(err))
	}
	verified, _, err := c.EventHookAPI.VerifyEventHook(ctx, hook.GetId()).Execute()
	if err != nil || verified.GetVerificationStatus() != "VERIFIED" {
		t.Fatalf("verify hook: %v %+v", sdkErr(err), verified)
	}

	uid := sdkCreateUser(t, c, "sdk.hook@example.com")
	for range 2 {
		body := sdk.UserFactorTokenSoftwareTOTPAsListFactors200ResponseInner(&sdk.UserFactorTokenSoftwareTOTP{
			FactorType: "token:software:totp", Provider: sdk.PtrString("GOOGLE")})
		enrolled, _, err := c.UserFactorAPI.EnrollFactor(ctx, uid).Body(body).Execute()
		if err != nil {
			t.Fatalf("enroll: %v", sdkErr(err))
		}
		fid := enrolled.UserFactorTokenSoftwareTOTP.GetId()
		_, _, err = c.UserFactorAPI.ActivateFactor(ctx, uid, fid).Body(sdk.UserFactorActivateRequest{
			TokenSoftwareTotp: &sdk.TokenSoftwareTotp{PassCode: sdk.PtrString(o.passcode(uid, fid))}}).Execute()
		if err != nil {
			t.Fatalf("activate: %v", sdkErr(err))
		}
		if _, err := c.UserLifecycleAPI.ResetFactors(ctx, uid).Execute(); err != nil {
			t.Fatal(sdkErr(err))
		}
	}
	flush(t, o)
	got := rc.events("user.mfa.factor.activate")
	if len(got) != 2 {
		t.Fatalf("receiver got %d user.mfa.factor.activate events, want 2", len(got))
	}
	for _, ev := range got {
		if ev.Target[0].ID != uid || ev.Outcome.Reason != "User set up GOOGLE_OTP factor" {
			t.Fatalf("delivered event %+v", ev)
		}
	}
}

// sdkServiceAppClient returns an SDK client in PrivateKey mode: it signs client assertions with the
// service app's private key, gets access tokens from the emulator's token endpoint (answering DPoP
// challenges by itself) and calls the API with them, exactly as against a real org.
func sdkServiceAppClient(t *testing.T, o *testOrg, clientID string, k clientKey, scopes ...string) *sdk.APIClient {
	t.Helper()
	return newSDKClient(t, o, sdk.WithAuthorizationMode("PrivateKey"), sdk.WithClientId(clientID), sdk.WithScopes(scopes),
		sdk.WithPrivateKey(privatePEM(k)), sdk.WithPrivateKeyId(k.kid))
}

// sdkTraffic counts what the SDK sends: token requests (and how many carried a DPoP proof) and API
// requests by Authorization scheme.
type sdkTraffic struct {
	mu                              sync.Mutex
	tokenRequests, tokenProofs      int
	bearerCalls, dpopCalls, proofed int
}

func (tr *sdkTraffic) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.mu.Lock()
		switch {
		case r.URL.Path == "/oauth2/v1/token":
			tr.tokenRequests++
			if r.Header.Get("DPoP") != "" {
				tr.tokenProofs++
			}
		case strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "):
			tr.bearerCalls++
		case strings.HasPrefix(r.Header.Get("Authorization"), "DPoP "):
			tr.dpopCalls++
			if r.Header.Get("DPoP") != "" {
				tr.proofed++
			}
		}
		tr.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// sdkUsersAndFactors drives users and factors through the SDK: create a user, enroll and activate
// Okta Verify TOTP, verify a code, list and reset factors, suspend and read the user back.
func sdkUsersAndFactors(t *testing.T, o *testOrg, c *sdk.APIClient) string {
	t.Helper()
	ctx := context.Background()
	uid := sdkCreateUser(t, c, "sdk.oauth@example.com")
	body := sdk.UserFactorTokenSoftwareTOTPAsListFactors200ResponseInner(&sdk.UserFactorTokenSoftwareTOTP{
		FactorType: "token:software:totp", Provider: sdk.PtrString("OKTA")})
	enrolled, _, err := c.UserFactorAPI.EnrollFactor(ctx, uid).Body(body).Execute()
	if err != nil {
		t.Fatalf("enroll: %v", sdkErr(err))
	}
	f := enrolled.UserFactorTokenSoftwareTOTP
	secret, _ := f.Embedded["activation"]["sharedSecret"].(string)
	code, _ := totp.GenerateCode(secret, o.e.Clock().Now())
	if _, _, err := c.UserFactorAPI.ActivateFactor(ctx, uid, f.GetId()).Body(sdk.UserFactorActivateRequest{
		TokenSoftwareTotp: &sdk.TokenSoftwareTotp{PassCode: sdk.PtrString(code)}}).Execute(); err != nil {
		t.Fatalf("activate: %v", sdkErr(err))
	}
	next, _ := totp.GenerateCode(secret, o.e.Clock().Now().Add(30*time.Second))
	v, _, err := c.UserFactorAPI.VerifyFactor(ctx, uid, f.GetId()).Body(sdk.UserFactorVerifyRequest{
		TokenSoftwareTotp1: &sdk.TokenSoftwareTotp1{PassCode: sdk.PtrString(next)}}).Execute()
	if err != nil || v.GetFactorResult() != "SUCCESS" {
		t.Fatalf("verify: %v %+v", sdkErr(err), v)
	}
	if list, _, err := c.UserFactorAPI.ListFactors(ctx, uid).Execute(); err != nil || len(list) != 1 {
		t.Fatalf("list factors: %v, %d", sdkErr(err), len(list))
	}
	if _, err := c.UserLifecycleAPI.ResetFactors(ctx, uid).Execute(); err != nil {
		t.Fatalf("reset factors: %v", sdkErr(err))
	}
	if _, err := c.UserLifecycleAPI.SuspendUser(ctx, uid).Execute(); err != nil {
		t.Fatalf("suspend: %v", sdkErr(err))
	}
	u, _, err := c.UserAPI.GetUser(ctx, uid).Execute()
	if err != nil || u.GetStatus() != "SUSPENDED" {
		t.Fatalf("get user: %v %+v", sdkErr(err), u)
	}
	// Scopes are enforced: the app was not granted okta.logs.read.
	if _, _, err := c.SystemLogAPI.ListLogEvents(ctx).Execute(); err == nil {
		t.Fatal("the SDK read the System Log without okta.logs.read")
	}
	return uid
}

// wantAppActor checks that the events the SDK caused name the service app.
func wantAppActor(t *testing.T, o *testOrg, clientID string) {
	t.Helper()
	for _, typ := range []string{"user.lifecycle.create", "user.mfa.factor.activate", "user.mfa.factor.reset_all", "user.lifecycle.suspend"} {
		evs := o.events(typ)
		if len(evs) != 1 {
			t.Fatalf("%d %s events", len(evs), typ)
		}
		if a := evs[0]["actor"].(map[string]any); a["id"] != clientID || a["type"] != "PublicClientApp" {
			t.Fatalf("%s actor %v", typ, a)
		}
	}
}

func TestSDKServiceAppPrivateKey(t *testing.T) {
	k := rsaClientKey(0, "sdk-key")
	o := newTestOrg(t, Options{ServiceApps: []ServiceApp{{ClientID: "0oasdkapp00000000001", Label: "SDK App",
		PublicJWKS: jwksOf(k), Scopes: []string{"okta.users.manage"}}}})
	var traffic sdkTraffic
	o.srv.Config.Handler = traffic.wrap(o.e)
	c := sdkServiceAppClient(t, o, "0oasdkapp00000000001", k, "okta.users.manage", "okta.logs.read")
	sdkUsersAndFactors(t, o, c)
	wantAppActor(t, o, "0oasdkapp00000000001")
	if traffic.tokenRequests == 0 || traffic.tokenProofs != 0 || traffic.bearerCalls < 8 || traffic.dpopCalls != 0 {
		t.Fatalf("traffic %+v: want Bearer calls without DPoP", &traffic)
	}
}

func TestSDKServiceAppPrivateKeyWithDPoP(t *testing.T) {
	k := rsaClientKey(1, "sdk-dpop-key")
	o := newTestOrg(t, Options{ServiceApps: []ServiceApp{{ClientID: "0oasdkdpop0000000001", Label: "SDK DPoP App",
		PublicJWKS: jwksOf(k), Scopes: []string{"okta.users.manage"}, RequireDPoP: true}}})
	var traffic sdkTraffic
	o.srv.Config.Handler = traffic.wrap(o.e)
	c := sdkServiceAppClient(t, o, "0oasdkdpop0000000001", k, "okta.users.manage")
	sdkUsersAndFactors(t, o, c)
	wantAppActor(t, o, "0oasdkdpop0000000001")
	// The SDK asked without a proof, then with one, then with the nonce; every API call carried a proof.
	if traffic.tokenRequests != 3 || traffic.tokenProofs != 2 || traffic.bearerCalls != 0 || traffic.dpopCalls < 8 ||
		traffic.proofed != traffic.dpopCalls {
		t.Fatalf("traffic %+v: want the nonce round trip and DPoP calls", &traffic)
	}
}

// sdkGroupName reads a group's name from the SDK's anyOf profile.
func sdkGroupName(g sdk.Group) string {
	p := g.GetProfile()
	if p.OktaUserGroupProfile != nil {
		return p.OktaUserGroupProfile.GetName()
	}
	if p.OktaActiveDirectoryGroupProfile != nil {
		return p.OktaActiveDirectoryGroupProfile.GetName()
	}
	return ""
}

// TestSDKGroupsAndRoles drives groups, memberships and admin role assignments with the official SDK,
// unchanged: create, page, replace and delete a group, add and remove members, list a user's groups,
// assign and unassign roles to a user and a group, and decode Okta's errors.
func TestSDKGroupsAndRoles(t *testing.T) {
	o := newTestOrg(t, Options{})
	c := sdkClient(t, o)
	ctx := context.Background()
	uid := sdkCreateUser(t, c, "sdk.groups@example.com")

	g, _, err := c.GroupAPI.AddGroup(ctx).Group(sdk.AddGroupRequest{Profile: &sdk.OktaUserGroupProfile{
		Name: sdk.PtrString("SDK Admins"), Description: sdk.PtrString("Made by the SDK")}}).Execute()
	if err != nil {
		t.Fatalf("add group: %v", sdkErr(err))
	}
	gid := g.GetId()
	if g.GetType() != "OKTA_GROUP" || sdkGroupName(*g) != "SDK Admins" || g.GetCreated().IsZero() {
		t.Fatalf("group decoded as %+v", g)
	}
	_, res, err := c.GroupAPI.AddGroup(ctx).Group(sdk.AddGroupRequest{Profile: &sdk.OktaUserGroupProfile{Name: sdk.PtrString("SDK Admins")}}).Execute()
	if sdkErrorCode(err) != "E0000001" || res == nil || res.StatusCode != http.StatusBadRequest {
		t.Fatalf("duplicate name: %v", sdkErr(err))
	}
	for _, name := range []string{"SDK Two", "SDK Three"} {
		if _, _, err := c.GroupAPI.AddGroup(ctx).Group(sdk.AddGroupRequest{Profile: &sdk.OktaUserGroupProfile{Name: sdk.PtrString(name)}}).Execute(); err != nil {
			t.Fatal(sdkErr(err))
		}
	}

	// Paging through Link headers, as the SDK follows them.
	page, res, err := c.GroupAPI.ListGroups(ctx).Limit(2).Execute()
	if err != nil || len(page) != 2 || !res.HasNextPage() {
		t.Fatalf("first page: %v %d", sdkErr(err), len(page))
	}
	var rest []sdk.Group
	if _, err := res.Next(&rest); err != nil || len(rest) != 2 {
		t.Fatalf("next page: %v %d", err, len(rest))
	}
	found, _, err := c.GroupAPI.ListGroups(ctx).Search(`profile.name sw "SDK A"`).Execute()
	if err != nil || len(found) != 1 || found[0].GetId() != gid {
		t.Fatalf("search: %v %v", sdkErr(err), found)
	}

	if _, err := c.GroupAPI.AssignUserToGroup(ctx, gid, uid).Execute(); err != nil {
		t.Fatalf("add member: %v", sdkErr(err))
	}
	users, _, err := c.GroupAPI.ListGroupUsers(ctx, gid).Execute()
	if err != nil || len(users) != 1 || users[0].GetId() != uid {
		t.Fatalf("members: %v %v", sdkErr(err), users)
	}
	mine, _, err := c.UserResourcesAPI.ListUserGroups(ctx, uid).Execute()
	if err != nil || len(mine) != 2 || mine[0].GetType() != "BUILT_IN" || mine[1].GetId() != gid {
		t.Fatalf("user groups: %v %v", sdkErr(err), mine)
	}
	// The description documents no 501, so the SDK hands back the body undecoded.
	if _, err := c.GroupAPI.AssignUserToGroup(ctx, mine[0].GetId(), uid).Execute(); err == nil || !strings.Contains(sdkErr(err).Error(), "E0000060") {
		t.Fatalf("adding to Everyone: %v", sdkErr(err))
	}

	replaced, _, err := c.GroupAPI.ReplaceGroup(ctx, gid).Group(sdk.AddGroupRequest{Profile: &sdk.OktaUserGroupProfile{
		Name: sdk.PtrString("SDK Administrators")}}).Execute()
	if err != nil || sdkGroupName(*replaced) != "SDK Administrators" {
		t.Fatalf("replace: %v", sdkErr(err))
	}

	// Roles: a direct assignment (201) and a group's (200), both decoded as StandardRole.
	ur, res, err := c.RoleAssignmentAUserAPI.AssignRoleToUser(ctx, uid).AssignRoleRequest(sdk.AssignRoleToUserRequest{
		StandardRoleAssignmentSchema: &sdk.StandardRoleAssignmentSchema{Type: "APP_ADMIN"}}).Execute()
	if err != nil || res.StatusCode != http.StatusCreated || ur.StandardRole == nil || ur.StandardRole.GetAssignmentType() != "USER" {
		t.Fatalf("assign to user: %v %+v", sdkErr(err), ur)
	}
	_, _, err = c.RoleAssignmentAUserAPI.AssignRoleToUser(ctx, uid).AssignRoleRequest(sdk.AssignRoleToUserRequest{
		StandardRoleAssignmentSchema: &sdk.StandardRoleAssignmentSchema{Type: "APP_ADMIN"}}).Execute()
	if err == nil || !strings.Contains(sdkErr(err).Error(), "E0000090") { // 409 is undocumented too
		t.Fatalf("duplicate role: %v", sdkErr(err))
	}
	gr, _, err := c.RoleAssignmentBGroupAPI.AssignRoleToGroup(ctx, gid).AssignRoleRequest(sdk.AssignRoleToGroupRequest{
		StandardRoleAssignmentSchema: &sdk.StandardRoleAssignmentSchema{Type: "USER_ADMIN"}}).Execute()
	if err != nil || gr.StandardRole == nil || gr.StandardRole.GetAssignmentType() != "GROUP" {
		t.Fatalf("assign to group: %v %+v", sdkErr(err), gr)
	}
	roles, _, err := c.RoleAssignmentAUserAPI.ListAssignedRolesForUser(ctx, uid).Execute()
	if err != nil || len(roles) != 2 || roles[0].StandardRole == nil || roles[1].StandardRole.GetId() != gr.StandardRole.GetId() {
		t.Fatalf("user roles: %v %+v", sdkErr(err), roles)
	}
	got, _, err := c.RoleAssignmentAUserAPI.GetUserAssignedRole(ctx, uid, ur.StandardRole.GetId()).Execute()
	if err != nil || got.StandardRole == nil || got.StandardRole.GetType() != "APP_ADMIN" {
		t.Fatalf("get user role: %v", sdkErr(err))
	}
	groupRoles, _, err := c.RoleAssignmentBGroupAPI.ListGroupAssignedRoles(ctx, gid).Execute()
	if err != nil || len(groupRoles) != 1 {
		t.Fatalf("group roles: %v %v", sdkErr(err), groupRoles)
	}
	if _, err := c.RoleAssignmentAUserAPI.UnassignRoleFromUser(ctx, uid, ur.StandardRole.GetId()).Execute(); err != nil {
		t.Fatalf("unassign from user: %v", sdkErr(err))
	}
	if _, err := c.RoleAssignmentBGroupAPI.UnassignRoleFromGroup(ctx, gid, gr.StandardRole.GetId()).Execute(); err != nil {
		t.Fatalf("unassign from group: %v", sdkErr(err))
	}

	if _, err := c.GroupAPI.UnassignUserFromGroup(ctx, gid, uid).Execute(); err != nil {
		t.Fatalf("remove member: %v", sdkErr(err))
	}
	if _, err := c.GroupAPI.DeleteGroup(ctx, gid).Execute(); err != nil {
		t.Fatalf("delete group: %v", sdkErr(err))
	}
	if _, _, err := c.GroupAPI.GetGroup(ctx, gid).Execute(); sdkErrorCode(err) != "E0000007" {
		t.Fatalf("deleted group: %v", sdkErr(err))
	}
}

// TestSDKGroupRulesAndApps drives group rules and the Applications API with the official SDK, as a
// user's automation would: a rule assigns engineers to a group, a bookmark app is assigned to a user
// directly and to the rule's group, its users are listed with their scopes, and then the app is
// deactivated and deleted and the rule deleted with its members.
func TestSDKGroupRulesAndApps(t *testing.T) {
	o := newTestOrg(t, Options{})
	c := sdkClient(t, o)
	ctx := context.Background()

	g, _, err := c.GroupAPI.AddGroup(ctx).Group(sdk.AddGroupRequest{Profile: &sdk.OktaUserGroupProfile{
		Name: sdk.PtrString("SDK Engineering")}}).Execute()
	if err != nil {
		t.Fatalf("add group: %v", sdkErr(err))
	}
	gid := g.GetId()
	profile := sdk.UserProfile{Login: sdk.PtrString("sdk.engineer@example.com"), Email: sdk.PtrString("sdk.engineer@example.com"),
		Department: sdk.PtrString("Engineering")}
	profile.FirstName = *sdk.NewNullableString(sdk.PtrString("Sdk"))
	profile.LastName = *sdk.NewNullableString(sdk.PtrString("Engineer"))
	engineer, _, err := c.UserAPI.CreateUser(ctx).Activate(true).Body(sdk.CreateUserRequest{Profile: profile}).Execute()
	if err != nil {
		t.Fatalf("create engineer: %v", sdkErr(err))
	}
	other := sdkCreateUser(t, c, "sdk.other@example.com")

	// Group rules.
	ruleReq := sdk.CreateGroupRuleRequest{Type: sdk.PtrString("group_rule"), Name: sdk.PtrString("SDK engineers"),
		Conditions: &sdk.GroupRuleConditions{Expression: &sdk.GroupRuleExpression{
			Type: sdk.PtrString("urn:okta:expression:1.0"), Value: sdk.PtrString(`user.department=="Engineering"`)}},
		Actions: &sdk.GroupRuleAction{AssignUserToGroups: &sdk.GroupRuleGroupAssignment{GroupIds: []string{gid}}}}
	rule, _, err := c.GroupRuleAPI.CreateGroupRule(ctx).GroupRule(ruleReq).Execute()
	if err != nil {
		t.Fatalf("create rule: %v", sdkErr(err))
	}
	rid := rule.GetId()
	if !strings.HasPrefix(rid, "0pr") || rule.GetStatus() != "INACTIVE" || rule.GetType() != "group_rule" || rule.GetCreated().IsZero() ||
		rule.Conditions.People.Users.Exclude == nil || rule.AdditionalProperties["allGroupsValid"] != true {
		t.Fatalf("rule decoded as %+v", rule)
	}
	if res, err := c.GroupRuleAPI.ActivateGroupRule(ctx, rid).Execute(); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("activate rule: %v", sdkErr(err))
	}
	members, _, err := c.GroupAPI.ListGroupUsers(ctx, gid).Execute()
	if err != nil || len(members) != 1 || members[0].GetId() != engineer.GetId() {
		t.Fatalf("the rule's group: %v %v", sdkErr(err), members)
	}
	rules, _, err := c.GroupRuleAPI.ListGroupRules(ctx).Search("SDK").Expand("groupIdToGroupNameMap").Execute()
	if err != nil || len(rules) != 1 || rules[0].GetStatus() != "ACTIVE" {
		t.Fatalf("list rules: %v %+v", sdkErr(err), rules)
	}
	if names, _ := rules[0].AdditionalProperties["_embedded"].(map[string]any)["groupIdToGroupNameMap"].(map[string]any); names[gid] != "SDK Engineering" {
		t.Errorf("expand: %v", rules[0].AdditionalProperties)
	}
	active, _, err := c.GroupRuleAPI.GetGroupRule(ctx, rid).Execute()
	if err != nil {
		t.Fatalf("get rule: %v", sdkErr(err))
	}
	active.Name = sdk.PtrString("Renamed")
	_, res, err := c.GroupRuleAPI.ReplaceGroupRule(ctx, rid).GroupRule(*active).Execute()
	if sdkErrorCode(err) != "E0000001" || res == nil || res.StatusCode != http.StatusBadRequest {
		t.Fatalf("replacing an ACTIVE rule: %v", sdkErr(err))
	}
	if _, err := c.GroupRuleAPI.DeactivateGroupRule(ctx, rid).Execute(); err != nil {
		t.Fatalf("deactivate rule: %v", sdkErr(err))
	}
	replaced, _, err := c.GroupRuleAPI.ReplaceGroupRule(ctx, rid).GroupRule(*active).Execute()
	if err != nil || replaced.GetName() != "Renamed" || replaced.GetStatus() != "INACTIVE" {
		t.Fatalf("replace rule: %v %+v", sdkErr(err), replaced)
	}

	// Apps: a bookmark, one user assigned directly, and the rule's group.
	bookmark := sdk.NewBookmarkApplication("bookmark", sdk.BookmarkApplicationSettings{
		App: &sdk.BookmarkApplicationSettingsApplication{Url: "https://wiki.example.com/"}}, "SDK Wiki", "BOOKMARK")
	created, _, err := c.ApplicationAPI.CreateApplication(ctx).Application(sdk.BookmarkApplicationAsListApplications200ResponseInner(bookmark)).Execute()
	if err != nil || created.BookmarkApplication == nil {
		t.Fatalf("create app: %v %+v", sdkErr(err), created)
	}
	app := created.BookmarkApplication
	aid := app.GetId()
	if !strings.HasPrefix(aid, "0oa") || app.GetStatus() != "ACTIVE" || app.Settings.App.Url != "https://wiki.example.com/" {
		t.Fatalf("app decoded as %+v", app)
	}
	au, _, err := c.ApplicationUsersAPI.AssignUserToApplication(ctx, aid).AppUser(sdk.AppUserAssignRequest{Id: sdk.PtrString(other)}).Execute()
	if err != nil || au.GetId() != other || au.GetScope() != "USER" {
		t.Fatalf("assign user: %v %+v", sdkErr(err), au)
	}
	ag, _, err := c.ApplicationGroupsAPI.AssignGroupToApplication(ctx, aid, gid).ApplicationGroupAssignment(sdk.ApplicationGroupAssignment{}).Execute()
	if err != nil || ag.GetId() != gid || ag.GetPriority() != 0 {
		t.Fatalf("assign group: %v %+v", sdkErr(err), ag)
	}
	appUsers, _, err := c.ApplicationUsersAPI.ListApplicationUsers(ctx, aid).Execute()
	if err != nil || len(appUsers) != 2 {
		t.Fatalf("app users: %v %+v", sdkErr(err), appUsers)
	}
	scopes := map[string]string{}
	for _, u := range appUsers {
		scopes[u.GetId()] = u.GetScope()
	}
	if scopes[other] != "USER" || scopes[engineer.GetId()] != "GROUP" {
		t.Errorf("app user scopes %v", scopes)
	}
	// An ACTIVE app cannot be deleted (403 E0000056); deactivated, it can.
	if _, err := c.ApplicationAPI.DeleteApplication(ctx, aid).Execute(); sdkErrorCode(err) != "E0000056" {
		t.Fatalf("deleting an ACTIVE app: %v", sdkErr(err))
	}
	if _, err := c.ApplicationAPI.DeactivateApplication(ctx, aid).Execute(); err != nil {
		t.Fatalf("deactivate app: %v", sdkErr(err))
	}
	got, _, err := c.ApplicationAPI.GetApplication(ctx, aid).Execute()
	if err != nil || got.BookmarkApplication == nil || got.BookmarkApplication.GetStatus() != "INACTIVE" {
		t.Fatalf("deactivated app: %v %+v", sdkErr(err), got)
	}
	if _, err := c.ApplicationAPI.DeleteApplication(ctx, aid).Execute(); err != nil {
		t.Fatalf("delete app: %v", sdkErr(err))
	}
	if _, res, err := c.ApplicationAPI.GetApplication(ctx, aid).Execute(); sdkErrorCode(err) != "E0000007" || res.StatusCode != http.StatusNotFound {
		t.Fatalf("deleted app: %v", sdkErr(err))
	}

	// Deleting the rule with removeUsers takes its members out of the group.
	if res, err := c.GroupRuleAPI.DeleteGroupRule(ctx, rid).RemoveUsers(true).Execute(); err != nil || res.StatusCode != http.StatusAccepted {
		t.Fatalf("delete rule: %v", sdkErr(err))
	}
	if members, _, err := c.GroupAPI.ListGroupUsers(ctx, gid).Execute(); err != nil || len(members) != 0 {
		t.Fatalf("the rule's group after the delete: %v %v", sdkErr(err), members)
	}
	if _, _, err := c.GroupRuleAPI.GetGroupRule(ctx, rid).Execute(); sdkErrorCode(err) != "E0000007" {
		t.Fatalf("deleted rule: %v", sdkErr(err))
	}
}

// TestSDKSessionsAndPolicies drives sessions and policies with the SDK. The SDK has no operation for
// primary authentication (the Authentication API is not in the management description) nor, since
// v5, for creating a session from a session token, so those two calls are plain HTTP, as an SDK user
// makes them; everything else is the SDK's.
func TestSDKSessionsAndPolicies(t *testing.T) {
	o := newTestOrg(t, Options{})
	c := sdkClient(t, o)
	ctx := context.Background()
	uid := sdkCreateUser(t, c, "sdk.sessions@example.com")
	newSession := func() string {
		t.Helper()
		r := o.do("POST", "/api/v1/sessions", map[string]any{"sessionToken": o.sessionToken("sdk.sessions@example.com")})
		wantStatus(t, r, http.StatusOK)
		return r.obj(t)["id"].(string)
	}

	t.Run("sessions", func(t *testing.T) {
		sid := newSession()
		s, _, err := c.SessionAPI.GetSession(ctx, sid).Execute()
		if err != nil {
			t.Fatalf("get session: %v", sdkErr(err))
		}
		if s.GetUserId() != uid || s.GetLogin() != "sdk.sessions@example.com" || s.GetStatus() != "ACTIVE" ||
			s.Idp.GetType() != "OKTA" || len(s.Amr) != 1 || s.Amr[0] != "pwd" || s.LastFactorVerification != nil ||
			s.AdditionalProperties["mfaActive"] != false {
			t.Fatalf("session decoded as %+v", s)
		}
		before := s.GetExpiresAt()
		o.advance(10 * time.Minute)
		r, _, err := c.SessionAPI.RefreshSession(ctx, sid).Execute()
		if err != nil || r.GetExpiresAt().Sub(before) < 9*time.Minute {
			t.Fatalf("refresh: %v, expiresAt %v then %v", sdkErr(err), before, r.GetExpiresAt())
		}
		if _, err := c.SessionAPI.RevokeSession(ctx, sid).Execute(); err != nil {
			t.Fatalf("revoke: %v", sdkErr(err))
		}
		// The description gives getSession's 404 no body schema, so the SDK reports it without decoding
		// Okta's error object.
		_, res, err := c.SessionAPI.GetSession(ctx, sid).Execute()
		if err == nil || res.StatusCode != http.StatusNotFound || !strings.Contains(sdkErr(err).Error(), "E0000007") {
			t.Fatalf("a closed session: %v", sdkErr(err))
		}
		a, b := newSession(), newSession()
		if _, err := c.UserSessionsAPI.RevokeUserSessions(ctx, uid).OauthTokens(true).ForgetDevices(false).Execute(); err != nil {
			t.Fatalf("revoke user sessions: %v", sdkErr(err))
		}
		for _, id := range []string{a, b} {
			if _, res, _ := c.SessionAPI.GetSession(ctx, id).Execute(); res == nil || res.StatusCode != http.StatusNotFound {
				t.Errorf("session %s after clearing: %v", id, res)
			}
		}
	})

	t.Run("policies", func(t *testing.T) {
		g, _, err := c.GroupAPI.AddGroup(ctx).Group(sdk.AddGroupRequest{Profile: &sdk.OktaUserGroupProfile{
			Name: sdk.PtrString("SDK Blocked")}}).Execute()
		if err != nil {
			t.Fatal(sdkErr(err))
		}
		if _, err := c.GroupAPI.AssignUserToGroup(ctx, g.GetId(), uid).Execute(); err != nil {
			t.Fatal(sdkErr(err))
		}
		pol := sdk.NewOktaSignOnPolicy("SDK Block", "OKTA_SIGN_ON")
		pol.Description = sdk.PtrString("Made by the SDK")
		pol.Conditions = &sdk.OktaSignOnPolicyConditions{People: &sdk.AuthenticatorEnrollmentPolicyConditionsAllOfPeople{
			Groups: &sdk.AuthenticatorEnrollmentPolicyConditionsAllOfPeopleGroups{Include: []string{g.GetId()}}}}
		created, _, err := c.PolicyAPI.CreatePolicy(ctx).Policy(sdk.OktaSignOnPolicyAsCreatePolicyRequest(pol)).Activate(false).Execute()
		if err != nil {
			t.Fatalf("create policy: %v", sdkErr(err))
		}
		p := created.OktaSignOnPolicy
		if p == nil || !strings.HasPrefix(p.GetId(), "00p") || p.GetStatus() != "INACTIVE" || p.GetPriority() != 1 ||
			p.Conditions.People.Groups.Include[0] != g.GetId() {
			t.Fatalf("policy decoded as %+v", created)
		}
		pid := p.GetId()

		// SDK v6.0.3 decodes a rule's people condition only when it has users and groups, each with
		// include and exclude; Okta omits the lists a rule does not set, so an SDK user names all four.
		breakGlass, _, err := c.GroupAPI.AddGroup(ctx).Group(sdk.AddGroupRequest{Profile: &sdk.OktaUserGroupProfile{
			Name: sdk.PtrString("SDK Break glass")}}).Execute()
		if err != nil {
			t.Fatal(sdkErr(err))
		}
		rule := sdk.NewOktaSignOnPolicyRule()
		rule.Name = sdk.PtrString("SDK deny")
		rule.Type = sdk.PtrString("SIGN_ON")
		rule.Conditions = &sdk.OktaSignOnPolicyRuleConditions{People: &sdk.PolicyPeopleCondition{
			Users:  sdk.UserCondition{Include: []string{uid}, Exclude: []string{o.e.adminID}},
			Groups: sdk.GroupCondition{Include: []string{g.GetId()}, Exclude: []string{breakGlass.GetId()}}}}
		rule.Actions = &sdk.OktaSignOnPolicyRuleActions{Signon: &sdk.OktaSignOnPolicyRuleSignonActions{Access: sdk.PtrString("DENY")}}
		rr, _, err := c.PolicyAPI.CreatePolicyRule(ctx, pid).PolicyRule(sdk.OktaSignOnPolicyRuleAsListPolicyRules200ResponseInner(rule)).Execute()
		if err != nil {
			t.Fatalf("create rule: %v", sdkErr(err))
		}
		r := rr.OktaSignOnPolicyRule
		if r == nil || !strings.HasPrefix(r.GetId(), "0pr") || r.Actions.Signon.GetAccess() != "DENY" ||
			r.Actions.Signon.Session.GetMaxSessionIdleMinutes() != 120 || r.Conditions.Network.GetConnection() != "ANYWHERE" {
			t.Fatalf("rule decoded as %+v", rr)
		}
		rid := r.GetId()

		// Inactive, the policy does not apply; active, it denies the group's members.
		wantStatus(t, o.signIn("sdk.sessions@example.com", testPassword), http.StatusOK)
		if _, err := c.PolicyAPI.ActivatePolicy(ctx, pid).Execute(); err != nil {
			t.Fatalf("activate: %v", sdkErr(err))
		}
		wantError(t, o.signIn("sdk.sessions@example.com", testPassword), http.StatusUnauthorized, "E0000004")

		list, _, err := c.PolicyAPI.ListPolicies(ctx).Type_("OKTA_SIGN_ON").Execute()
		if err != nil || len(list) != 2 || list[0].OktaSignOnPolicy.GetName() != "SDK Block" || !list[1].OktaSignOnPolicy.GetSystem() {
			t.Fatalf("list: %v %+v", sdkErr(err), list)
		}
		rules, _, err := c.PolicyAPI.ListPolicyRules(ctx, pid).Execute()
		if err != nil || len(rules) != 1 || rules[0].OktaSignOnPolicyRule.GetName() != "SDK deny" {
			t.Fatalf("list rules: %v %+v", sdkErr(err), rules)
		}
		rule.Name = sdk.PtrString("SDK allow")
		rule.Actions.Signon.Access = sdk.PtrString("ALLOW")
		if _, _, err := c.PolicyAPI.ReplacePolicyRule(ctx, pid, rid).PolicyRule(sdk.OktaSignOnPolicyRuleAsListPolicyRules200ResponseInner(rule)).Execute(); err != nil {
			t.Fatalf("replace rule: %v", sdkErr(err))
		}
		wantStatus(t, o.signIn("sdk.sessions@example.com", testPassword), http.StatusOK)
		if _, err := c.PolicyAPI.DeactivatePolicyRule(ctx, pid, rid).Execute(); err != nil {
			t.Fatal(sdkErr(err))
		}
		got, _, err := c.PolicyAPI.GetPolicyRule(ctx, pid, rid).Execute()
		if err != nil || got.OktaSignOnPolicyRule.GetStatus() != "INACTIVE" {
			t.Fatalf("get rule: %v %+v", sdkErr(err), got)
		}
		if _, err := c.PolicyAPI.ActivatePolicyRule(ctx, pid, rid).Execute(); err != nil {
			t.Fatal(sdkErr(err))
		}

		pw := sdk.NewPasswordPolicy("SDK passwords", "PASSWORD")
		pw.Settings = &sdk.PasswordPolicySettings{Password: &sdk.PasswordPolicyPasswordSettings{
			Lockout: &sdk.PasswordPolicyPasswordSettingsLockout{MaxAttempts: sdk.PtrInt32(4)}}}
		pc, _, err := c.PolicyAPI.CreatePolicy(ctx).Policy(sdk.PasswordPolicyAsCreatePolicyRequest(pw)).Execute()
		if err != nil {
			t.Fatalf("create password policy: %v", sdkErr(err))
		}
		if s := pc.PasswordPolicy.Settings.Password; s.Lockout.GetMaxAttempts() != 4 || s.Complexity.GetMinLength() != 8 {
			t.Fatalf("password settings %+v", s)
		}
		pw.Name = "SDK passwords, renamed"
		rp, _, err := c.PolicyAPI.ReplacePolicy(ctx, pc.PasswordPolicy.GetId()).Policy(sdk.PasswordPolicyAsCreatePolicyRequest(pw)).Execute()
		if err != nil || rp.PasswordPolicy.GetName() != "SDK passwords, renamed" {
			t.Fatalf("replace policy: %v", sdkErr(err))
		}

		// The default policy stays.
		def := list[1].OktaSignOnPolicy.GetId()
		res, err := c.PolicyAPI.DeletePolicy(ctx, def).Execute()
		if sdkErrorCode(err) != "E0000006" || res.StatusCode != http.StatusForbidden {
			t.Fatalf("delete the default policy: %v", sdkErr(err))
		}

		if _, err := c.PolicyAPI.DeletePolicyRule(ctx, pid, rid).Execute(); err != nil {
			t.Fatal(sdkErr(err))
		}
		if _, err := c.PolicyAPI.DeactivatePolicy(ctx, pid).Execute(); err != nil {
			t.Fatal(sdkErr(err))
		}
		if _, err := c.PolicyAPI.DeletePolicy(ctx, pid).Execute(); err != nil {
			t.Fatal(sdkErr(err))
		}
		if _, _, err := c.PolicyAPI.GetPolicy(ctx, pid).Execute(); sdkErrorCode(err) != "E0000007" {
			t.Fatalf("deleted policy: %v", sdkErr(err))
		}
	})
}

// TestSDKAuthenticators drives the Authenticators API and a user's enrollments with the SDK: the new
// org's authenticators decode into their typed models, an authenticator is created inactive, activated
// and its methods toggled, and Okta's refusals reach the caller with Okta's error codes.
func TestSDKAuthenticators(t *testing.T) {
	o := newTestOrg(t, Options{})
	c := sdkClient(t, o)
	ctx := context.Background()

	list, _, err := c.AuthenticatorAPI.ListAuthenticators(ctx).Execute()
	if err != nil || len(list) != 5 {
		t.Fatalf("list: %v %d", sdkErr(err), len(list))
	}
	email, ov, phone := list[0].AuthenticatorKeyEmail, list[1].AuthenticatorKeyOktaVerify, list[3].AuthenticatorKeyPhone
	if email == nil || email.Settings.GetAllowedFor() != "any" || email.Settings.GetTokenLifetimeInMinutes() != 5 {
		t.Fatalf("Email decoded as %+v", list[0])
	}
	if ov == nil || ov.Settings.ChannelBinding.GetStyle() != "NUMBER_CHALLENGE" || ov.Settings.GetUserVerification() != "PREFERRED" {
		t.Fatalf("Okta Verify decoded as %+v", list[1])
	}
	if phone == nil || phone.GetStatus() != "INACTIVE" || list[2].AuthenticatorKeyPassword == nil || list[4].AuthenticatorKeySecurityQuestion == nil {
		t.Fatalf("Password, Phone, Security Question decoded as %+v %+v %+v", list[2], list[3], list[4])
	}

	created, _, err := c.AuthenticatorAPI.CreateAuthenticator(ctx).Activate(false).
		Authenticator(sdk.AuthenticatorBase{Key: sdk.PtrString("google_otp"), Name: sdk.PtrString("Google Authenticator")}).Execute()
	if err != nil || created.GetStatus() != "INACTIVE" || !strings.HasPrefix(created.GetId(), "aut") || created.GetType() != "app" {
		t.Fatalf("create: %v %+v", sdkErr(err), created)
	}
	activated, _, err := c.AuthenticatorAPI.ActivateAuthenticator(ctx, created.GetId()).Execute()
	if err != nil || activated.GetStatus() != "ACTIVE" {
		t.Fatalf("activate: %v %+v", sdkErr(err), activated)
	}
	got, _, err := c.AuthenticatorAPI.GetAuthenticator(ctx, created.GetId()).Execute()
	if err != nil || got.GetName() != "Google Authenticator" || got.GetCreated().IsZero() {
		t.Fatalf("get: %v %+v", sdkErr(err), got)
	}

	// 403 is documented, so the SDK decodes Okta's error; 409 is not, so its body stays raw.
	_, _, err = c.AuthenticatorAPI.DeactivateAuthenticator(ctx, ov.GetId()).Execute()
	if sdkErrorCode(err) != "E0000148" {
		t.Fatalf("deactivate Okta Verify: %v", sdkErr(err))
	}
	_, res, err := c.AuthenticatorAPI.CreateAuthenticator(ctx).
		Authenticator(sdk.AuthenticatorBase{Key: sdk.PtrString("okta_email"), Name: sdk.PtrString("Email")}).Execute()
	if err == nil || res.StatusCode != http.StatusConflict || !strings.Contains(sdkErr(err).Error(), "E0000157") {
		t.Fatalf("second Email authenticator: %v", sdkErr(err))
	}

	replaced, _, err := c.AuthenticatorAPI.ReplaceAuthenticator(ctx, phone.GetId()).Authenticator(sdk.AuthenticatorBase{
		Name: sdk.PtrString("Phone"), AdditionalProperties: map[string]any{"settings": map[string]any{"allowedFor": "recovery"}}}).Execute()
	if err != nil || replaced.AdditionalProperties["settings"].(map[string]any)["allowedFor"] != "recovery" {
		t.Fatalf("replace: %v %+v", sdkErr(err), replaced)
	}
	if _, _, err := c.AuthenticatorAPI.ActivateAuthenticator(ctx, phone.GetId()).Execute(); err != nil {
		t.Fatal(sdkErr(err))
	}
	methods, _, err := c.AuthenticatorAPI.ListAuthenticatorMethods(ctx, phone.GetId()).Execute()
	if err != nil || len(methods) != 2 || methods[1].AuthenticatorMethodSimple == nil || methods[1].AuthenticatorMethodSimple.GetStatus() != "INACTIVE" {
		t.Fatalf("phone methods: %v %+v", sdkErr(err), methods)
	}
	voice, _, err := c.AuthenticatorAPI.ActivateAuthenticatorMethod(ctx, phone.GetId(), "voice").Execute()
	if err != nil || voice.AuthenticatorMethodSimple.GetStatus() != "ACTIVE" {
		t.Fatalf("activate voice: %v %+v", sdkErr(err), voice)
	}
	ovMethods, _, err := c.AuthenticatorAPI.ListAuthenticatorMethods(ctx, ov.GetId()).Execute()
	if err != nil || len(ovMethods) != 3 || ovMethods[0].AuthenticatorMethodPush == nil || ovMethods[1].AuthenticatorMethodTotp == nil ||
		ovMethods[2].AuthenticatorMethodSignedNonce == nil {
		t.Fatalf("Okta Verify methods: %v %+v", sdkErr(err), ovMethods)
	}

	// A user's phone enrollment, read by the SDK with the number disclosed.
	uid := sdkCreateUser(t, c, "sdk.enrollments@example.com")
	body := sdk.UserFactorSMSAsListFactors200ResponseInner(&sdk.UserFactorSMS{FactorType: sdk.PtrString("sms"),
		Provider: sdk.PtrString("OKTA"), Profile: &sdk.UserFactorSMSProfile{PhoneNumber: sdk.PtrString("+15554151337")}})
	sms, _, err := c.UserFactorAPI.EnrollFactor(ctx, uid).Body(body).Activate(true).Execute()
	if err != nil {
		t.Fatalf("enroll sms: %v", sdkErr(err))
	}
	fid := sms.UserFactorSMS.GetId()
	en, _, err := c.UserAuthenticatorEnrollmentsAPI.GetAuthenticatorEnrollment(ctx, uid, fid).DiscloseIdentifiers([]string{"phone"}).Execute()
	if err != nil || en.GetKey() != "phone_number" || en.GetProfile().PhoneNumber != "+15554151337" {
		t.Fatalf("phone enrollment: %v %+v", sdkErr(err), en)
	}
	// The description (and so the SDK) types the list as one enrollment; Okta answers an array, so the
	// SDK cannot decode it. Users of the SDK read enrollments one by one.
	if _, _, err := c.UserAuthenticatorEnrollmentsAPI.ListAuthenticatorEnrollments(ctx, uid).Execute(); err == nil {
		t.Fatal("the SDK decoded an array into one AuthenticatorEnrollment")
	}
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trama-dev/trama/okta/emulator"
)

func init() { subcommands = append(subcommands, newEmulatorCmd) }

type emulatorFlags struct {
	addr        string
	token       string
	seedFile    string
	users       []string
	groups      []string
	serviceApps []string
	state       string
	httpsHooks  bool
	rateLimit   int
	batch       time.Duration
}

func newEmulatorCmd() *cobra.Command {
	var f emulatorFlags
	cmd := &cobra.Command{
		Use:   "okta-emulator",
		Short: "Run a local Okta org: users, MFA factors, System Log, event hooks, OAuth 2.0 service apps",
		Long: `okta-emulator serves a local Okta org that Okta's SDKs and trama's workflows cannot tell from Okta for
the operations it covers: users and their lifecycle, MFA factors (SMS, call, email, TOTP with real RFC 6238
checks, push, security questions, custom HOTP), the System Log with Okta's query API, event hooks that
are verified and delivered like Okta's, and the org authorization server for OAuth 2.0 service apps.

Clients authenticate with "Authorization: SSWS <token>". The token belongs to a seeded super admin, so
events show an admin actor. Service apps (--service-app FILE, or POST /api/v1/apps) get access tokens at
/oauth2/v1/token with a private_key_jwt client assertion, optionally DPoP-bound, and call the API with
"Authorization: Bearer <token>" or "DPoP <token>"; every route checks the token's Okta scopes. A service
app file is JSON or YAML:

  clientId: my-automation        # optional; default a generated 0oa... id
  label: Automation              # optional
  publicKey: automation.pub.pem  # a PEM public key (path or inline), or "jwks": a JWK Set
  scopes: [okta.users.read, okta.users.manage]
  dpop: true                     # require DPoP-bound tokens

The emulator never holds a private key: give it public keys only.

A seed file (--seed) makes a realistic org at start and after every reset, through the emulator's own
API, so whatever Okta would refuse stops the start with Okta's error:

  users:
    - {login: ada@example.com, firstName: Ada, lastName: Lovelace}
    - {login: alan@example.com, status: STAGED}
  groups:
    - {name: Engineering, description: Ships code, members: [ada@example.com]}
  groupRules:                        # ACTIVE rules assign matching users (inactive: true to hold one)
    - {name: Engineers, expression: 'user.department=="Engineering"', groups: [Engineering]}
  apps:
    - app: {name: bookmark, label: Wiki, signOnMode: BOOKMARK, settings: {app: {url: "https://wiki.example.com/"}}}
      groups: [Engineering]          # group assignments; users: [login, ...] assigns directly
      inactive: false                # true creates it with activate=false

With --state, a saved org wins over the seed; POST /emulator/v1/reset seeds it again.

Test affordances live under /emulator/v1/ (outbox of SMS/email codes, the passcode a user's device would
show, push approval, a clock you can advance, reset, delivery log); see docs/emulator.md.

Event hooks on http:// URIs are allowed for loopback hosts (trama serve on your machine); pass
--https-hooks-only to require https:// as Okta does.`,
		Example: `  trama okta-emulator --addr 127.0.0.1:8080 --token 00test-token
  curl -H 'Authorization: SSWS 00test-token' http://127.0.0.1:8080/api/v1/users/me
  trama okta-emulator --seed org.yaml --state org.json
  trama okta-emulator --user ann@example.com --group Engineering
  trama okta-emulator --service-app automation.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runEmulator(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free one)")
	fl.StringVar(&f.token, "token", emulator.DefaultToken, "SSWS API token clients must send")
	fl.StringVar(&f.seedFile, "seed", "", "seed users, groups, group rules and apps from a JSON or YAML file (see above)")
	fl.StringVar(&f.seedFile, "users", "", "seed file")
	_ = fl.MarkDeprecated("users", "use --seed; the file is the same")
	fl.StringArrayVar(&f.users, "user", nil, "seed a user by login, e.g. --user ann@example.com (repeatable)")
	fl.StringArrayVar(&f.groups, "group", nil, "seed an empty group by name, e.g. --group Engineering (repeatable)")
	fl.StringArrayVar(&f.serviceApps, "service-app", nil, "seed an OAuth 2.0 service app from a JSON or YAML file (repeatable)")
	fl.StringVar(&f.state, "state", "", "keep the org in this JSON file across restarts (default: in memory)")
	fl.BoolVar(&f.httpsHooks, "https-hooks-only", false, "refuse event-hook URIs that are not https://, as Okta does")
	fl.IntVar(&f.rateLimit, "rate-limit", 600, "requests per endpoint per minute before 429 E0000047 (negative: off)")
	fl.DurationVar(&f.batch, "hook-batch-window", 0, "how long events wait to share one event-hook delivery (0: the default)")
	return cmd
}

func runEmulator(cmd *cobra.Command, f emulatorFlags) error {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	var seed emulator.Seed
	if f.seedFile != "" {
		s, err := emulator.LoadSeedFile(f.seedFile)
		if err != nil {
			return usageErr("--seed: %v", err)
		}
		seed = s
	}
	for _, login := range f.users {
		seed.Users = append(seed.Users, emulator.SeedUser{Login: login, Email: login})
	}
	for _, name := range f.groups {
		seed.Groups = append(seed.Groups, emulator.SeedGroup{Name: name})
	}
	var apps []emulator.ServiceApp
	for _, path := range f.serviceApps {
		app, err := emulator.LoadServiceAppFile(path)
		if err != nil {
			return usageErr("--service-app: %v", err)
		}
		apps = append(apps, app)
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return usageErr("--addr %s: %v", f.addr, err)
	}
	baseURL := "http://" + ln.Addr().String()
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelInfo}))
	emu, err := emulator.New(emulator.Options{
		BaseURL:         baseURL,
		Token:           f.token,
		Users:           seed.Users,
		Groups:          seed.Groups,
		Apps:            seed.Apps,
		GroupRules:      seed.GroupRules,
		ServiceApps:     apps,
		StatePath:       f.state,
		Logger:          logger,
		AllowHTTPHooks:  !f.httpsHooks,
		RateLimit:       f.rateLimit,
		HookBatchWindow: f.batch,
	})
	if err != nil {
		ln.Close()
		return usageErr("%v", err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	fmt.Fprintf(out, "Okta emulator listening\n  org URL: %s\n  token:   %s   (Authorization: SSWS %s)\n", baseURL, f.token, f.token)
	if err := printSeededOrg(ctx, out, baseURL, f.token); err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "trama: listing the seeded org: %v\n", err)
	}
	printServiceApps(out, baseURL, emu.ServiceApps())
	fmt.Fprintf(out, "  test affordances: %s/emulator/v1/ (see docs/emulator.md)\nPress Ctrl+C to stop.\n", baseURL)

	select {
	case <-ctx.Done():
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			emu.Close()
			return &exitError{code: exitInternal, err: err}
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdownCtx)
	return emu.Close()
}

// printSeededUsers lists the org's users the way a client sees them, through the API.
func printSeededOrg(ctx context.Context, w io.Writer, baseURL, token string) error {
	var users []struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Profile struct {
			Login string `json:"login"`
		} `json:"profile"`
	}
	if err := getJSON(ctx, baseURL, token, "/api/v1/users?limit=200", &users); err != nil {
		return err
	}
	fmt.Fprintf(w, "  users:\n")
	for _, u := range users {
		fmt.Fprintf(w, "    %s  %-32s %s\n", u.ID, u.Profile.Login, strings.ToLower(u.Status))
	}
	var groups []struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Profile struct {
			Name string `json:"name"`
		} `json:"profile"`
	}
	if err := getJSON(ctx, baseURL, token, "/api/v1/groups?limit=200", &groups); err != nil {
		return err
	}
	if len(groups) > 1 { // Everyone is always there
		fmt.Fprintf(w, "  groups:\n")
		for _, g := range groups {
			if g.Type == "OKTA_GROUP" {
				fmt.Fprintf(w, "    %s  %s\n", g.ID, g.Profile.Name)
			}
		}
	}
	var apps []struct {
		ID         string `json:"id"`
		Label      string `json:"label"`
		SignOnMode string `json:"signOnMode"`
		Status     string `json:"status"`
	}
	if err := getJSON(ctx, baseURL, token, "/api/v1/apps?limit=200", &apps); err != nil {
		return err
	}
	if len(apps) > 0 {
		fmt.Fprintf(w, "  apps:\n")
		for _, a := range apps {
			fmt.Fprintf(w, "    %s  %-32s %s, %s\n", a.ID, a.Label, a.SignOnMode, strings.ToLower(a.Status))
		}
	}
	return nil
}

// getJSON reads one page of the emulator's API as the admin, as any client would.
func getJSON(ctx context.Context, baseURL, token, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "SSWS "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

// printServiceApps lists the service apps with the client id a client must be configured with.
func printServiceApps(w io.Writer, baseURL string, apps []emulator.ServiceApp) {
	if len(apps) == 0 {
		return
	}
	fmt.Fprintf(w, "  service apps (token endpoint %s/oauth2/v1/token):\n", baseURL)
	for _, a := range apps {
		dpop := ""
		if a.RequireDPoP {
			dpop = "  DPoP required"
		}
		scopes := strings.Join(a.Scopes, " ")
		if scopes == "" {
			scopes = "(no scopes granted)"
		}
		fmt.Fprintf(w, "    %s  %-24s scopes: %s%s\n", a.ClientID, a.Label, scopes, dpop)
	}
}

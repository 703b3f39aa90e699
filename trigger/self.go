package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/trama-dev/trama/credential"
	"github.com/trama-dev/trama/okta"
)

// maxSelfBody bounds the /users/me response trama reads; a user object is a few kilobytes.
const maxSelfBody = 1 << 20

// OktaIdentity returns the SelfActor function for trama's Okta connection: a service app is the actor of
// the events its calls cause (Okta writes the app's client id as actor.id), so its identity is known
// without asking; an API token's owner is asked with OktaSelf.
func OktaIdentity(client *http.Client, c *credential.Credential) func(ctx context.Context) (string, error) {
	if c.ClientID != "" {
		id := c.ClientID
		return func(context.Context) (string, error) { return id, nil }
	}
	return OktaSelf(client, c.OrgURL, c.Token)
}

// OktaSelf returns a SelfActor function that asks GET {orgURL}/api/v1/users/me who owns token, the
// identity trama's workflows call Okta with, and caches the answer for the life of the process. Events
// those calls cause carry that user as their actor, which is what ignoreActor: self compares against.
//
// token is sent as "SSWS <token>", or as is when it already carries a scheme ("Bearer …"). A failed
// lookup is not cached, so the next event tries again. The error names the status and Okta's error code,
// never the token. An OAuth service app has no user: use its client id as ignoreActor instead.
func OktaSelf(client *http.Client, orgURL, token string) func(ctx context.Context) (string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	endpoint := strings.TrimRight(orgURL, "/") + "/api/v1/users/me"
	auth := token
	if !strings.HasPrefix(token, "SSWS ") && !strings.HasPrefix(token, "Bearer ") {
		auth = "SSWS " + token
	}
	var (
		mu sync.Mutex
		id string
	)
	return func(ctx context.Context) (string, error) {
		// Holding the lock during the request makes concurrent first callers wait for one lookup
		// instead of each sending their own.
		mu.Lock()
		defer mu.Unlock()
		if id != "" {
			return id, nil
		}
		got, err := usersMe(ctx, client, endpoint, auth)
		if err != nil {
			return "", err
		}
		id = got
		return id, nil
	}
}

func usersMe(ctx context.Context, client *http.Client, endpoint, auth string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return "", fmt.Errorf("okta users/me: %w", err)
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("okta users/me: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSelfBody))
	if err != nil {
		return "", fmt.Errorf("okta users/me: read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var oe okta.Error
		if json.Unmarshal(body, &oe) == nil && oe.ErrorCode != "" {
			return "", fmt.Errorf("okta users/me: %s: %w", resp.Status, &oe)
		}
		return "", fmt.Errorf("okta users/me: %s", resp.Status)
	}
	var user struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &user); err != nil {
		return "", fmt.Errorf("okta users/me: decode user: %w", err)
	}
	if user.ID == "" {
		return "", errors.New("okta users/me: the response has no id")
	}
	return user.ID, nil
}

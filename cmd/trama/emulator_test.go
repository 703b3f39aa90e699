package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/oauth"

	"github.com/trama-dev/trama/internal/syncbuf"
)

// syncBuffer is a buffer a test may read while the command writes.
type syncBuffer = syncbuf.Buffer

func TestOktaEmulatorCommandServesTheAPI(t *testing.T) {
	// A service app from a file: its public key in PEM, the private half kept here, as trama would.
	dir := t.TempDir()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	os.WriteFile(filepath.Join(dir, "app.pub.pem"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644)
	appFile := filepath.Join(dir, "app.yaml")
	os.WriteFile(appFile, []byte("clientId: 0oaCommandTest000001\npublicKey: app.pub.pem\nkid: k1\nscopes: [okta.users.read]\ndpop: true\n"), 0o644)
	// A seed file with a group and an app assigned to it, and one more group from a flag.
	seedFile := filepath.Join(dir, "org.yaml")
	os.WriteFile(seedFile, []byte("users: [{login: bob@example.com}]\ngroups: [{name: Engineering, members: [bob@example.com]}]\n"+
		"apps:\n- app: {name: bookmark, label: Team Wiki, signOnMode: BOOKMARK, settings: {app: {url: 'https://wiki.example.com/'}}}\n"+
		"  groups: [Engineering]\n"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"okta-emulator", "--addr", "127.0.0.1:0", "--token", "tok-123456", "--user", "ann@example.com",
			"--service-app", appFile, "--seed", seedFile, "--group", "Finance"}, strings.NewReader(""), &out, &errOut)
	}()
	var base string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := regexp.MustCompile(`org URL: (\S+)`).FindStringSubmatch(out.String()); m != nil && strings.Contains(out.String(), "Press Ctrl+C") {
			base = m[1]
			break
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("no banner:\n%s\n%s", out.String(), errOut.String())
	}
	for _, want := range []string{"ann@example.com", "bob@example.com", "0oaCommandTest000001", "Engineering", "Finance", "Team Wiki"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the banner does not list %q among the seeded users, groups, apps and service apps:\n%s", want, out.String())
		}
	}
	// The app gets a DPoP-bound token and reads users with it.
	der, _ := x509.MarshalECPrivateKey(k)
	key, err := oauth.ParseKey(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), "k1")
	if err != nil {
		t.Fatal(err)
	}
	client := &oauth.Client{TokenURL: base + "/oauth2/v1/token", ClientID: "0oaCommandTest000001", Key: key, Scopes: []string{"okta.users.read"}}
	areq, _ := http.NewRequest("GET", base+"/api/v1/users", nil)
	if err := client.Authorize(ctx, areq); err != nil {
		t.Fatalf("token: %v", err)
	}
	if resp, err := http.DefaultClient.Do(areq); err != nil || resp.StatusCode != 200 || !strings.HasPrefix(areq.Header.Get("Authorization"), "DPoP ") {
		t.Errorf("GET /api/v1/users as the app: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/users/me", nil)
	req.Header.Set("Authorization", "SSWS tok-123456")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /api/v1/users/me: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d after Ctrl+C\n%s", code, errOut.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("okta-emulator did not stop on cancellation")
	}
}

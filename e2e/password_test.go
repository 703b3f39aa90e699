package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeHidesDatabasePassword starts `trama serve` and `trama migrate` on a PostgreSQL URL with a
// password that nothing answers: both fail, name the database, and print no password.
func TestServeHidesDatabasePassword(t *testing.T) {
	if testing.Short() {
		t.Skip("builds trama")
	}
	bin, err := buildTrama()
	if err != nil {
		t.Fatal(err)
	}
	const pw = "Pg-pa55word-n0t-for-logs"
	dir := t.TempDir()
	cfg := "store: ${STORE_URL}\nlisten: 127.0.0.1:0\nhooks:\n  okta:\n    auth: {value: \"${HOOK_SECRET}\"}\n"
	if err := os.WriteFile(filepath.Join(dir, "trama.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	storeURL := "postgres://trama:" + pw + "@127.0.0.1:1/tramadb?sslmode=disable&connect_timeout=2"
	for _, args := range [][]string{
		{"serve", "--config", filepath.Join(dir, "trama.yaml"), "--log-level", "debug"},
		{"migrate", "--config", filepath.Join(dir, "trama.yaml")},
		{"migrate", "--db", storeURL},
		{"runs", "list", "--db", storeURL},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "STORE_URL="+storeURL, "HOOK_SECRET=hook-secret-value")
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("trama %s succeeded without a database", args[0])
		}
		if strings.Contains(string(out), pw) {
			t.Errorf("trama %s printed the database password:\n%s", args[0], out)
		}
		if !strings.Contains(string(out), "127.0.0.1:1/tramadb") {
			t.Errorf("trama %s does not name the database:\n%s", args[0], out)
		}
	}
}

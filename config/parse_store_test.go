package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trama-dev/trama/config"
)

func TestLoadStoreNeedsOnlyTheStore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "trama.yaml")
	os.WriteFile(path, []byte(`store: sqlite:${DB_FILE:-./history.db}
hooks:
  okta: {path: /hooks/okta, auth: {header: Authorization, value: "${UNSET_SECRET}"}}
okta: {orgUrl: "${UNSET_ORG}", token: "${UNSET_TOKEN}"}
`), 0o600)
	st, err := config.LoadStore(path, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("the history commands must not need the hook secret or the Okta token: %v", err)
	}
	if st.Driver != "sqlite" || st.DSN != filepath.Join(dir, "history.db") {
		t.Errorf("store = %+v", st)
	}
	if _, err := config.Load(path, func(string) (string, bool) { return "", false }); err == nil || !strings.Contains(err.Error(), "UNSET_SECRET") {
		t.Errorf("serve still requires every variable: %v", err)
	}
	os.WriteFile(path, []byte("store: mysql://x\n"), 0o600)
	if _, err := config.LoadStore(path, nil); err == nil || !strings.Contains(err.Error(), "trama.yaml:1:") {
		t.Errorf("a bad store says where: %v", err)
	}
}

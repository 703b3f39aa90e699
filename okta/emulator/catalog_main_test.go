package emulator

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestMain runs the package's tests and, when all of them ran, checks that every document in the
// catalog was run by one: the emulator's promise is the whole catalog, not the part someone remembered.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && flag.Lookup("test.skip").Value.String() == "" {
		files, err := filepath.Glob(filepath.Join(catalogDir, "*.yml"))
		if err != nil || len(files) == 0 {
			fmt.Fprintf(os.Stderr, "catalog: no documents in %s: %v\n", catalogDir, err)
			code = 1
		}
		for _, f := range files {
			if _, ok := catalogRan.Load(filepath.Base(f)); !ok {
				fmt.Fprintf(os.Stderr, "catalog: no test runs %s against the emulator\n", filepath.Base(f))
				code = 1
			}
		}
	}
	os.Exit(code)
}

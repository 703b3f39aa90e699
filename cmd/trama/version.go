package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newVersionCmd) }

// version is the module version from the build info ("v1.2.3" when installed with go install at a
// version), or "devel" for a build from a checkout; a release build may set it with
// -ldflags "-X main.version=…".
var version = moduleVersion()

func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return "devel"
	}
	return bi.Main.Version
}

// versionText is what `trama version` and `trama --version` print: the version, the commit it was built
// from (with "+dirty" when the checkout had changes) and its time, and the Go version.
func versionText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "trama %s\n", version)
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b.String()
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += "+dirty"
		}
		fmt.Fprintf(&b, "commit %s", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, " (%s)", t)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "go %s %s/%s\n", strings.TrimPrefix(bi.GoVersion, "go"), settings["GOOS"], settings["GOARCH"])
	return b.String()
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print trama's version, the commit it was built from and the Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprint(cmd.OutOrStdout(), versionText())
			return nil
		},
	}
}

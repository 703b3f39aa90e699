// Package examples holds trama's example workflows, their OpenAPI description and a trama serve
// configuration, embedded so that `trama demo` runs them from any directory.
package examples

import "embed"

// FS holds every file of this directory except Go sources.
//
//go:embed *.yaml flows/*.yaml
var FS embed.FS

// Package pins holds the module versions the project builds with while packages that import them are being
// written. It is removed once every pinned module is imported by real code.
package pins

import (
	_ "github.com/antchfx/xmlquery"
	_ "github.com/antchfx/xpath"
	_ "github.com/getkin/kin-openapi/openapi3"
	_ "github.com/getkin/kin-openapi/openapi3filter"
	_ "github.com/google/uuid"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/pquerna/otp/totp"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/riverqueue/river"
	_ "github.com/riverqueue/river/riverdriver/riverpgxv5"
	_ "github.com/riverqueue/river/riverdriver/riversqlite"
	_ "github.com/riverqueue/river/rivermigrate"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/speakeasy-api/jsonpath/pkg/jsonpath"
	_ "github.com/spf13/cobra"
	_ "golang.org/x/term"
	_ "gopkg.in/yaml.v3"
	_ "modernc.org/sqlite"
	_ "github.com/okta/okta-sdk-golang/v6/okta"
)

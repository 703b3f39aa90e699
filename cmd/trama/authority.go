package main

import (
	"strings"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/openapi"
)

// oktaAuthority tells validation what Okta's current management API description documents for an
// operation, when the source describes Okta: the catalog's workflows point at an older description
// that still documents statuses Okta no longer sends (202 for deleting a user, which Okta answers 204)
// and bodies Okta refuses (a policy rule without its type).
func oktaAuthority(src *arazzo.Source, op *openapi.Operation) arazzo.AuthorityFacts {
	if src.OpenAPI == nil || !describesOkta(src.OpenAPI) {
		return arazzo.AuthorityFacts{}
	}
	statuses := okta.Statuses(op.Method, op.Path)
	if statuses == nil {
		return arazzo.AuthorityFacts{}
	}
	return arazzo.AuthorityFacts{Who: "Okta's management API description " + okta.ManagementRelease, Statuses: statuses,
		BodyDiscriminator: okta.BodyDiscriminator(op.Method, op.Path)}
}

// describesOkta reports whether a description's servers are an Okta org: okta.com, oktapreview.com or
// the {yourOktaDomain} placeholder Okta's own descriptions use.
func describesOkta(d *openapi.Document) bool {
	for _, s := range d.Servers() {
		if strings.Contains(strings.ToLower(s.URL), "okta") {
			return true
		}
	}
	return false
}

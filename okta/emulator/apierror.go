package emulator

import (
	"net/http"
	"strconv"

	"github.com/trama-dev/trama/okta"
)

// apiError is an Okta error response: the HTTP status and the error object. Handlers return it and the
// router writes it, adding the errorId.
type apiError struct {
	status int
	body   okta.Error
	// challenge, when set, is sent as WWW-Authenticate: OAuth callers learn from it why their access
	// token was refused.
	challenge string
}

func (e *apiError) Error() string { return e.body.Error() }

func newAPIError(status int, code, summary string, causes ...string) *apiError {
	e := &apiError{status: status, body: okta.Error{
		ErrorCode:    code,
		ErrorSummary: summary,
		ErrorLink:    code,
		ErrorCauses:  make([]okta.ErrorCause, 0, len(causes)),
	}}
	for _, c := range causes {
		e.body.ErrorCauses = append(e.body.ErrorCauses, okta.ErrorCause{ErrorSummary: c})
	}
	return e
}

// The codes below carry the HTTP status and summary Okta documents for them (error-codes.json).

func errValidation(what string, causes ...string) *apiError {
	return newAPIError(http.StatusBadRequest, "E0000001", "Api validation failed: "+what, causes...)
}

func errMalformed() *apiError {
	return newAPIError(http.StatusBadRequest, "E0000003", "The request body was not well-formed.")
}

func errInvalidSession() *apiError {
	return newAPIError(http.StatusForbidden, "E0000005", "Invalid session")
}

func errNotFound(id, typ string) *apiError {
	return newAPIError(http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id+" ("+typ+")")
}

func errPathNotFound() *apiError {
	return newAPIError(http.StatusNotFound, "E0000008", "The requested path was not found")
}

func errInvalidToken() *apiError {
	return newAPIError(http.StatusUnauthorized, "E0000011", "Invalid token provided")
}

func errAccessDenied() *apiError {
	return newAPIError(http.StatusForbidden, "E0000006", "You do not have permission to perform the requested action")
}

func errActivationFailed() *apiError {
	return newAPIError(http.StatusForbidden, "E0000016", "Activation failed because the user is already active")
}

func errMethodNotAllowed() *apiError {
	return newAPIError(http.StatusMethodNotAllowed, "E0000022", "The endpoint does not support the provided HTTP method")
}

func errUserStatus() *apiError {
	return newAPIError(http.StatusForbidden, "E0000038", "This operation is not allowed in the user's current status.")
}

func errRateLimit() *apiError {
	return newAPIError(http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
}

func errInvalidPasscode(cause string) *apiError {
	return newAPIError(http.StatusForbidden, "E0000068", "Invalid Passcode/Answer", cause)
}

func errReplayed() *apiError {
	return newAPIError(http.StatusForbidden, "E0000082", "Each code can only be used once. Please wait for a new code and try again.")
}

func errSMSRecentlySent() *apiError {
	return newAPIError(http.StatusTooManyRequests, "E0000109", "An SMS message was recently sent. Please wait 30 seconds before trying again.")
}

func errEmailRecentlySent() *apiError {
	return newAPIError(http.StatusTooManyRequests, "E0000118", "An email was recently sent. Please wait 5 seconds before trying again.")
}

func errCallRecentlyMade() *apiError {
	return newAPIError(http.StatusTooManyRequests, "E0000133", "A phone call was recently made. Please wait 30 seconds before trying again.")
}

func errPhoneInvalid() *apiError {
	return newAPIError(http.StatusBadRequest, "E0000098", "This phone number is invalid.")
}

func errFactorNotActive() *apiError {
	return newAPIError(http.StatusGone, "E0000154", "Invalid factor id, it is not currently active.")
}

// errFromOkta turns an *okta.Error from the System Log or event-hook packages into a response, mapping
// the code to the status Okta uses for it.
func errFromOkta(e *okta.Error) *apiError {
	status := http.StatusBadRequest
	switch e.ErrorCode {
	case "E0000007":
		status = http.StatusNotFound
	case "E0000038", "E0000005", "E0000006":
		status = http.StatusForbidden
	case "E0000047":
		status = http.StatusTooManyRequests
	case "E0000009":
		status = http.StatusInternalServerError
	}
	out := &apiError{status: status, body: *e}
	if out.body.ErrorLink == "" {
		out.body.ErrorLink = e.ErrorCode
	}
	if out.body.ErrorCauses == nil {
		out.body.ErrorCauses = []okta.ErrorCause{}
	}
	return out
}

func errDuplicateRole() *apiError {
	return newAPIError(http.StatusConflict, "E0000090", "The role specified is already assigned to the user.")
}

// errUnsupportedOperation is Okta's answer to a membership change of the built-in Everyone group.
func errUnsupportedOperation() *apiError {
	return newAPIError(http.StatusNotImplemented, "E0000060", "Unsupported operation.")
}

func errBuiltInGroupRole(name string) *apiError {
	return newAPIError(http.StatusBadRequest, "E0000211", "Roles cannot be granted to built-in groups: "+name)
}

// The app codes carry the texts of Okta's Apps API reference and of answers recorded from real orgs.

// errDeleteActiveApp is Okta's answer to deleting an app that is still ACTIVE.
func errDeleteActiveApp() *apiError {
	return newAPIError(http.StatusForbidden, "E0000056", "Delete application forbidden.",
		"The application must be deactivated before deletion.")
}

// errDeactivateAppUser refuses to unassign a user a group assigned to the app still grants it to
// (okta/terraform-provider-okta#120).
func errDeactivateAppUser() *apiError {
	return newAPIError(http.StatusForbidden, "E0000046", "Deactivate application for user forbidden.",
		"The application cannot be unassigned from the user while their group memberships grant them access")
}

// errCredentialsScheme refuses user credentials the app's authentication scheme does not take.
func errCredentialsScheme() *apiError {
	return newAPIError(http.StatusBadRequest, "E0000041", "Credentials should not be set on this resource based on the scheme.",
		"User level credentials should not be provided for this scheme.")
}

// errInactiveUser refuses to assign an app to, or update the app profile of, a deactivated user.
func errInactiveUser() *apiError {
	return newAPIError(http.StatusForbidden, "E0000117", "Cannot assign apps or update app profiles for an inactive user.")
}

// errDuplicateAppLabel refuses a second instance of an app definition with the same label.
func errDuplicateAppLabel() *apiError {
	return newAPIError(http.StatusBadRequest, "E0000040", "Application label must not be the same as an existing application label.")
}

// Group rule refusals. The statuses are Okta's (okta-sdk-dotnet's GroupRuleApiTests, run against real
// orgs, expect 400 for replacing or deleting an ACTIVE rule); the texts are the emulator's unless noted.

// errInvalidRuleExpression refuses a condition Okta's validation rejects. Okta names the failed check
// validateRule in the summary (a real answer quoted in articulate/terraform-provider-okta#148); the
// cause names the expression and what is wrong with it.
func errInvalidRuleExpression(value string, reason error) *apiError {
	return newAPIError(http.StatusBadRequest, "E0000001", "Api validation failed: validateRule",
		"Invalid expression "+strconv.Quote(value)+": "+reason.Error())
}

// errRuleNotInactive refuses to replace or delete a rule that is not INACTIVE.
func errRuleNotInactive(status, what string) *apiError {
	if status == ruleInvalid {
		return errValidation("status", "status: A group rule with the status INVALID can only be read or deleted")
	}
	return errValidation("status", "status: A group rule can be "+what+" only while its status is INACTIVE; deactivate it first")
}

// errRuleInvalidLifecycle refuses to activate or deactivate an INVALID rule, with the text Okta answers
// (okta/terraform-provider-okta matches it to let such rules be deleted).
func errRuleInvalidLifecycle() *apiError {
	return errValidation("status", "Cannot activate or deactivate a Group Rule with the status INVALID")
}

// errAuthFailed is the Authentication API's answer to wrong credentials, a locked-out user whose
// password policy hides lockouts, and a sign-on policy that denies access (Okta's Authentication API
// reference, "Primary authentication").
func errAuthFailed() *apiError {
	return newAPIError(http.StatusUnauthorized, "E0000004", "Authentication failed")
}

// The authenticator codes carry the texts recorded from a real Identity Engine org
// (okta/terraform-provider-okta fixtures) and error-codes.json.

// errAuthenticatorInPolicy refuses to deactivate an authenticator a policy enables. Okta names the
// policies in the causes; for Okta Verify it adds the FastPass sentence.
func errAuthenticatorInPolicy(key string) *apiError {
	summary := "Cannot modify/disable this authenticator because it is enabled in one or more policies. " +
		"To continue, disable the authenticator in these policies."
	if key == "okta_verify" {
		summary += ` Additionally, if disabling Okta Verify when Fastpass is active, the "Device state" must not be set to "registered" in app assurance policies.`
	}
	return newAPIError(http.StatusForbidden, "E0000148", summary, "Authenticator Enrollment Policies: Default Policy")
}

// errAuthenticatorNotActive is Okta's answer to deactivating an authenticator that is not active.
func errAuthenticatorNotActive() *apiError {
	return newAPIError(http.StatusBadRequest, "E0000001", "Api validation failed: api.authenticator.error.unsupported.active.deactivate")
}

// errAuthenticatorExists refuses a second authenticator of a key an org has one of.
func errAuthenticatorExists(key string) *apiError {
	return newAPIError(http.StatusConflict, "E0000157", "Another authenticator with key: "+key+" is already active.")
}

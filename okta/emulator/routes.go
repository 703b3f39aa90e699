package emulator

import (
	"net/http"
	"strings"

	"github.com/trama-dev/trama/okta"
)

// routes registers every operation. Paths use Okta's spelling; {id} in user paths also accepts a login
// and "me" as Okta does. Each API route's pattern is the path template its OAuth scopes are looked up
// by (okta.Scopes), so an access token is checked against the operation it calls; see register.
func (e *Emulator) routes() {
	e.mux = http.NewServeMux()

	e.route("GET /api/v1/users", e.listUsers)
	e.route("POST /api/v1/users", e.createUser)
	e.route("GET /api/v1/users/{id}", e.getUser)
	e.route("POST /api/v1/users/{id}", e.updateUser)
	e.route("PUT /api/v1/users/{id}", e.replaceUser)
	e.route("DELETE /api/v1/users/{id}", e.deleteUser)
	e.route("POST /api/v1/users/{id}/lifecycle/activate", e.activateUser)
	e.route("POST /api/v1/users/{id}/lifecycle/deactivate", e.deactivateUser)
	e.route("POST /api/v1/users/{id}/lifecycle/suspend", e.suspendUser)
	e.route("POST /api/v1/users/{id}/lifecycle/unsuspend", e.unsuspendUser)
	e.route("POST /api/v1/users/{id}/lifecycle/reset_factors", e.resetFactors)

	e.route("GET /api/v1/users/{id}/factors", e.listFactors)
	e.route("POST /api/v1/users/{id}/factors", e.enrollFactor)
	e.route("GET /api/v1/users/{id}/factors/catalog", e.factorCatalog)
	// Okta's description gives this operation no OAuth 2.0 scope: it takes an API token only.
	e.routeAPITokenOnly("GET /api/v1/users/{id}/factors/questions", e.securityQuestions)
	e.route("GET /api/v1/users/{id}/factors/{factorId}", e.getFactor)
	e.route("DELETE /api/v1/users/{id}/factors/{factorId}", e.deleteFactor)
	e.route("POST /api/v1/users/{id}/factors/{factorId}/lifecycle/activate", e.activateFactor)
	// Okta links pending push enrolments to .../activate/poll, which its description does not list; it is
	// the activate operation and needs its scopes.
	e.routeAs("POST /api/v1/users/{id}/factors/{factorId}/lifecycle/activate/poll",
		"POST /api/v1/users/{id}/factors/{factorId}/lifecycle/activate", e.activateFactor)
	e.route("POST /api/v1/users/{id}/factors/{factorId}/resend", e.resendFactor)
	e.route("POST /api/v1/users/{id}/factors/{factorId}/verify", e.verifyFactor)
	e.route("GET /api/v1/users/{id}/factors/{factorId}/transactions/{transactionId}", e.factorTransaction)

	e.route("GET /api/v1/users/{userId}/authenticator-enrollments", e.listAuthenticatorEnrollments)
	e.route("GET /api/v1/users/{userId}/authenticator-enrollments/{enrollmentId}", e.getAuthenticatorEnrollment)
	e.route("DELETE /api/v1/users/{userId}/authenticator-enrollments/{enrollmentId}", e.deleteAuthenticatorEnrollment)

	e.route("GET /api/v1/users/{id}/groups", e.listUserGroups)
	e.route("GET /api/v1/users/{id}/roles", e.listUserRoles)
	e.route("POST /api/v1/users/{id}/roles", e.assignUserRole)
	e.route("GET /api/v1/users/{id}/roles/{roleAssignmentId}", e.getUserRole)
	e.route("DELETE /api/v1/users/{id}/roles/{roleAssignmentId}", e.unassignUserRole)

	e.route("GET /api/v1/groups", e.listGroups)
	e.route("POST /api/v1/groups", e.createGroup)
	e.route("GET /api/v1/groups/{groupId}", e.getGroup)
	e.route("PUT /api/v1/groups/{groupId}", e.replaceGroup)
	e.route("DELETE /api/v1/groups/{groupId}", e.deleteGroup)
	e.route("GET /api/v1/groups/{groupId}/users", e.listGroupUsers)
	e.route("PUT /api/v1/groups/{groupId}/users/{userId}", e.addGroupMember)
	e.route("DELETE /api/v1/groups/{groupId}/users/{userId}", e.removeGroupMember)
	e.route("GET /api/v1/groups/{groupId}/roles", e.listGroupRoles)
	e.route("POST /api/v1/groups/{groupId}/roles", e.assignGroupRole)
	e.route("GET /api/v1/groups/{groupId}/roles/{roleAssignmentId}", e.getGroupRole)
	e.route("DELETE /api/v1/groups/{groupId}/roles/{roleAssignmentId}", e.unassignGroupRole)

	e.route("GET /api/v1/groups/rules", e.listGroupRules)
	e.route("POST /api/v1/groups/rules", e.createGroupRule)
	e.routeGroupChild("GET /api/v1/groups/rules/{groupRuleId}", e.getGroupRule)
	e.route("PUT /api/v1/groups/rules/{groupRuleId}", e.replaceGroupRule)
	e.route("DELETE /api/v1/groups/rules/{groupRuleId}", e.deleteGroupRule)
	e.route("POST /api/v1/groups/rules/{groupRuleId}/lifecycle/activate", e.activateGroupRule)
	e.route("POST /api/v1/groups/rules/{groupRuleId}/lifecycle/deactivate", e.deactivateGroupRule)
	e.route("GET /api/v1/authenticators", e.listAuthenticators)
	e.route("POST /api/v1/authenticators", e.createAuthenticator)
	e.route("GET /api/v1/authenticators/{authenticatorId}", e.getAuthenticator)
	e.route("PUT /api/v1/authenticators/{authenticatorId}", e.replaceAuthenticator)
	e.route("POST /api/v1/authenticators/{authenticatorId}/lifecycle/activate", e.activateAuthenticator)
	e.route("POST /api/v1/authenticators/{authenticatorId}/lifecycle/deactivate", e.deactivateAuthenticator)
	e.route("GET /api/v1/authenticators/{authenticatorId}/methods", e.listAuthenticatorMethods)
	e.route("GET /api/v1/authenticators/{authenticatorId}/methods/{methodType}", e.getAuthenticatorMethod)
	e.route("PUT /api/v1/authenticators/{authenticatorId}/methods/{methodType}", e.replaceAuthenticatorMethod)
	e.route("POST /api/v1/authenticators/{authenticatorId}/methods/{methodType}/lifecycle/activate", e.activateAuthenticatorMethod)
	e.route("POST /api/v1/authenticators/{authenticatorId}/methods/{methodType}/lifecycle/deactivate", e.deactivateAuthenticatorMethod)

	e.route("GET /api/v1/logs", e.listLogs)

	e.route("GET /api/v1/eventHooks", e.listEventHooks)
	e.route("POST /api/v1/eventHooks", e.createEventHook)
	e.route("GET /api/v1/eventHooks/{hookId}", e.getEventHook)
	e.route("PUT /api/v1/eventHooks/{hookId}", e.replaceEventHook)
	e.route("DELETE /api/v1/eventHooks/{hookId}", e.deleteEventHook)
	e.route("POST /api/v1/eventHooks/{hookId}/lifecycle/activate", e.activateEventHook)
	e.route("POST /api/v1/eventHooks/{hookId}/lifecycle/deactivate", e.deactivateEventHook)
	e.route("POST /api/v1/eventHooks/{hookId}/lifecycle/verify", e.verifyEventHook)

	e.route("GET /api/v1/users/{id}/appLinks", e.listAppLinks)
	e.route("DELETE /api/v1/users/{id}/sessions", e.revokeUserSessions)
	e.route("POST /api/v1/users/{id}/lifecycle/unlock", e.unlockUser)

	// The Authentication API, and creating a session from its session token, take no credentials.
	e.public("POST /api/v1/authn", e.primaryAuthn)
	e.public("POST /api/v1/authn/factors/{factorId}/verify", e.verifyAuthnFactor)
	e.public("POST /api/v1/sessions", e.createSession)
	e.route("GET /api/v1/sessions/{sessionId}", e.getSession)
	e.route("DELETE /api/v1/sessions/{sessionId}", e.revokeSession)
	e.route("POST /api/v1/sessions/{sessionId}/lifecycle/refresh", e.refreshSession)

	e.route("GET /api/v1/policies", e.listPolicies)
	e.route("POST /api/v1/policies", e.createPolicy)
	e.route("GET /api/v1/policies/{policyId}", e.getPolicy)
	e.route("PUT /api/v1/policies/{policyId}", e.replacePolicy)
	e.route("DELETE /api/v1/policies/{policyId}", e.deletePolicy)
	e.route("POST /api/v1/policies/{policyId}/lifecycle/activate", e.activatePolicy)
	e.route("POST /api/v1/policies/{policyId}/lifecycle/deactivate", e.deactivatePolicy)
	e.route("GET /api/v1/policies/{policyId}/rules", e.listPolicyRules)
	e.route("POST /api/v1/policies/{policyId}/rules", e.createPolicyRule)
	e.route("GET /api/v1/policies/{policyId}/rules/{ruleId}", e.getPolicyRule)
	e.route("PUT /api/v1/policies/{policyId}/rules/{ruleId}", e.replacePolicyRule)
	e.route("DELETE /api/v1/policies/{policyId}/rules/{ruleId}", e.deletePolicyRule)
	e.route("POST /api/v1/policies/{policyId}/rules/{ruleId}/lifecycle/activate", e.activatePolicyRule)
	e.route("POST /api/v1/policies/{policyId}/rules/{ruleId}/lifecycle/deactivate", e.deactivatePolicyRule)

	e.route("GET /api/v1/apps", e.listApps)
	e.route("POST /api/v1/apps", e.createApp)
	e.route("GET /api/v1/apps/{appId}", e.getApp)
	e.route("PUT /api/v1/apps/{appId}", e.replaceApp)
	e.route("DELETE /api/v1/apps/{appId}", e.deleteApp)
	e.route("POST /api/v1/apps/{appId}/lifecycle/activate", e.activateApp)
	e.route("POST /api/v1/apps/{appId}/lifecycle/deactivate", e.deactivateApp)
	e.route("GET /api/v1/apps/{appId}/users", e.listAppUsers)
	e.route("POST /api/v1/apps/{appId}/users", e.assignAppUser)
	e.route("GET /api/v1/apps/{appId}/users/{userId}", e.getAppUser)
	e.route("POST /api/v1/apps/{appId}/users/{userId}", e.updateAppUser)
	e.route("DELETE /api/v1/apps/{appId}/users/{userId}", e.unassignAppUser)
	e.route("GET /api/v1/apps/{appId}/groups", e.listAppGroups)
	e.route("GET /api/v1/apps/{appId}/groups/{groupId}", e.getAppGroup)
	e.route("PUT /api/v1/apps/{appId}/groups/{groupId}", e.assignAppGroup)
	e.route("DELETE /api/v1/apps/{appId}/groups/{groupId}", e.unassignAppGroup)
	e.route("GET /api/v1/apps/{appId}/grants", e.listGrants)
	e.route("POST /api/v1/apps/{appId}/grants", e.createGrant)
	e.route("GET /api/v1/apps/{appId}/grants/{grantId}", e.getGrant)
	e.route("DELETE /api/v1/apps/{appId}/grants/{grantId}", e.deleteGrant)

	// The org authorization server.
	e.tokenRoute("POST /oauth2/v1/token")
	e.open("GET /oauth2/v1/keys", e.orgKeys)
	e.open("GET /.well-known/oauth-authorization-server", e.authServerMetadata)
	e.open("GET /.well-known/openid-configuration", e.authServerMetadata)

	e.open("GET /emulator/v1/outbox", e.getOutbox)
	e.open("GET /emulator/v1/users/{id}/factors/{factorId}/passcode", e.getPasscode)
	e.open("POST /emulator/v1/push/{transactionId}", e.answerPush)
	e.open("GET /emulator/v1/clock", e.getClock)
	e.open("POST /emulator/v1/clock", e.advanceClock)
	e.open("POST /emulator/v1/reset", e.reset)
	e.open("GET /emulator/v1/deliveries", e.getDeliveries)

	e.mux.HandleFunc("/", e.unrouted)
}

// groupChildPattern is the pattern the mux serves GET /api/v1/groups/rules/{groupRuleId} under. That
// operation and GET /api/v1/groups/{groupId}/users (or .../roles) each match paths the other does not,
// so ServeMux refuses the two patterns side by side; this wider one loses to the member routes, and
// only its /rules/ paths are the rule operation.
const groupChildPattern = "GET /api/v1/groups/{groupId}/{child}"

// routeGroupChild registers GET /api/v1/groups/rules/{groupRuleId} (pattern) under groupChildPattern.
// Any other path the wide pattern catches is answered as an unknown path.
func (e *Emulator) routeGroupChild(pattern string, h handler) {
	method, path, _ := strings.Cut(pattern, " ")
	serve := e.api(pattern, pattern, okta.Scopes(method, path), h)
	e.mux.HandleFunc(groupChildPattern, func(w http.ResponseWriter, r *http.Request) {
		if !servesPath(groupChildPattern, r.URL.Path) {
			e.unrouted(w, r)
			return
		}
		r.SetPathValue("groupRuleId", r.PathValue("child"))
		serve(w, r)
	})
}

// servesPath reports whether the route registered under pattern serves path: false only for the paths
// groupChildPattern catches that are not a group rule's.
func servesPath(pattern, path string) bool {
	return pattern != groupChildPattern || strings.HasPrefix(path, "/api/v1/groups/rules/")
}

package okta

import (
	"slices"
	"testing"
)

func TestScopes(t *testing.T) {
	for _, tt := range []struct {
		method, path string
		want         []string
	}{
		{"GET", "/api/v1/users/00u1abc/factors", []string{"okta.users.read"}},
		{"POST", "/api/v1/users/{userId}/factors", []string{"okta.users.manage"}},
		{"POST", "/api/v1/users/{userId}/lifecycle/reset_factors", []string{"okta.users.manage"}},
		{"GET", "/api/v1/logs", []string{"okta.logs.read"}},
		{"POST", "/api/v1/eventHooks/who0/lifecycle/verify", []string{"okta.eventHooks.manage"}},
		{"GET", "/api/v1/apps/0oa1/group-push/mappings", []string{"okta.apps.read", "okta.groups.read"}},
		{"GET", "/api/v1/no-such-thing", nil},
		{"GET", "/oauth2/v1/keys", nil},
	} {
		if got := Scopes(tt.method, tt.path); !slices.Equal(got, tt.want) {
			t.Errorf("Scopes(%s %s) = %v, want %v", tt.method, tt.path, got, tt.want)
		}
	}
	if ManagementRelease == "" || len(operations) < 700 {
		t.Errorf("the table holds %d operations from %q", len(operations), ManagementRelease)
	}
	if got := Statuses("DELETE", "/api/v1/users/{userId}"); !slices.Contains(got, "204") || slices.Contains(got, "202") {
		t.Errorf("Statuses(DELETE user) = %v, want 204 and not 202", got)
	}
}

func TestMissingScopes(t *testing.T) {
	for _, tt := range []struct {
		granted, required, want []string
	}{
		{[]string{"okta.users.read"}, []string{"okta.users.read"}, nil},
		{[]string{"okta.users.manage"}, []string{"okta.users.read"}, nil},
		{[]string{"okta.users.read"}, []string{"okta.users.manage"}, []string{"okta.users.manage"}},
		{[]string{"okta.apps.read"}, []string{"okta.apps.read", "okta.groups.read"}, []string{"okta.groups.read"}},
		{nil, nil, nil},
	} {
		if got := MissingScopes(tt.granted, tt.required); !slices.Equal(got, tt.want) {
			t.Errorf("MissingScopes(%v, %v) = %v, want %v", tt.granted, tt.required, got, tt.want)
		}
	}
}

package openapi

import (
	"strings"
	"testing"
)

func TestServerExpand(t *testing.T) {
	okta := Server{URL: "https://{yourOktaDomain}", Variables: map[string]ServerVariable{
		"yourOktaDomain": {Default: "subdomain.okta.com"},
	}}
	regional := Server{URL: "https://{region}.api.example.com/{version}/", Variables: map[string]ServerVariable{
		"region":  {Default: "us", Enum: []string{"us", "eu"}},
		"version": {Default: "v1"},
	}}
	for _, tc := range []struct {
		name   string
		server Server
		values map[string]string
		want   string
		err    string
	}{
		{"okta default", okta, nil, "https://subdomain.okta.com", ""},
		{"okta override", okta, map[string]string{"yourOktaDomain": "127.0.0.1:8080"}, "https://127.0.0.1:8080", ""},
		{"enum default and override", regional, map[string]string{"region": "eu"}, "https://eu.api.example.com/v1/", ""},
		{"enum violation names the variable", regional, map[string]string{"region": "apac"}, "", `variable "region": value "apac" is not one of`},
		{"undeclared placeholder", Server{URL: "https://{host}/"}, nil, "", `variable "host" has no value`},
		{"undeclared but given", Server{URL: "https://{host}/"}, map[string]string{"host": "h"}, "https://h/", ""},
		{"unclosed brace", Server{URL: "https://{host/"}, nil, "", "unclosed"},
		{"no variables", Server{URL: "/api"}, map[string]string{"x": "y"}, "/api", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.server.Expand(tc.values)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Expand = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestOktaServers expands the real management description's server.
func TestOktaServers(t *testing.T) {
	d, err := Load(readOkta(t, "management-current.yaml"), "management-current.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := d.Servers()
	if len(s) != 1 {
		t.Fatalf("servers = %+v", s)
	}
	for _, tc := range []struct {
		values map[string]string
		want   string
	}{
		{nil, "https://subdomain.okta.com"},
		{map[string]string{"yourOktaDomain": "dev-123.okta.com"}, "https://dev-123.okta.com"},
	} {
		if got, err := s[0].Expand(tc.values); err != nil || got != tc.want {
			t.Errorf("Expand(%v) = %q, %v; want %q", tc.values, got, err, tc.want)
		}
	}
}

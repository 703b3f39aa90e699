// Package report writes what a trama run did in formats other tools read: HAR 1.2 for the HTTP traffic
// (browser developer tools, HAR viewers) and JUnit XML for step results (CI servers).
//
// Both writers redact as they write: values in their secret.Set, secret-named headers, query
// parameters, cookies and JSON or form fields are replaced by secret.Mask, so a report can be attached
// to a ticket or kept as a CI artifact.
package report

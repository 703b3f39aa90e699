// Package trigger decides, for each Okta event, which of the configured triggers (package config) fire
// and with which inputs.
//
// A Matcher takes one event as its okta.Card (the Okta Workflows event-card shape) and returns the
// triggers it fires, in configuration order, with their inputs evaluated, plus the triggers it skipped and
// why: the loop guard (ignoreActor), a false when, or an expression that could not be evaluated. A batch
// delivery is matched one card at a time, so one bad event or trigger never holds back the others.
//
// docs/triggers.md is the user-facing reference.
package trigger

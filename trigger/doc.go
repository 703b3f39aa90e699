// Package trigger reads the configuration of `trama serve` and decides, for each Okta event, which
// workflows to run and with which inputs.
//
// Load and Parse read the YAML file: the store, the listen address, the event-hook endpoints, the API
// token, trama's own Okta identity, System Log backfill and the triggers. Every error carries the file,
// line and column and says what to write instead; unknown keys are errors, because a misspelt key that is
// silently ignored is a trigger that never fires. ${NAME} and ${NAME:-default} are expanded from the
// environment at load time everywhere except in a trigger's when and inputs, which read $env.NAME on every
// run instead. Values that came from the environment never appear in error messages.
//
// A Matcher takes one event as its okta.Card (the Okta Workflows event-card shape) and returns the
// triggers it fires, in configuration order, with their inputs evaluated, plus the triggers it skipped and
// why: the loop guard (ignoreActor), a false when, or an expression that could not be evaluated. A batch
// delivery is matched one card at a time, so one bad event or trigger never holds back the others.
//
// docs/triggers.md is the user-facing reference for all of this.
package trigger

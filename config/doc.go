// Package config reads the configuration of `trama serve`: the store, the listen address, the
// event-hook endpoints, the API token, trama's own Okta identity, System Log backfill, how runs are held
// and retried, and the triggers. One file per section.
//
// Every error carries the file, line and column and says what to write instead; unknown keys are
// errors, because a misspelt key that is silently ignored is a trigger that never fires. ${NAME} and
// ${NAME:-default} are expanded from the environment at load time everywhere except in a trigger's when
// and inputs, which read $env.NAME on every run instead. Values that came from the environment never
// appear in error messages.
//
// docs/triggers.md is the user-facing reference.
package config

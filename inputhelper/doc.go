// Package inputhelper holds the input helpers: runner.InputProviders that supply an input a run needs
// now (a passcode that exists only after an enrollment) without a person at a terminal. A helper is
// named by a spec string, as `trama run --input-helper SPEC` and the configuration take it:
//
//   - "totp": computes the current code of the TOTP factor an earlier step enrolled, from the shared
//     secret in the enrollment response (a service account that holds its own factor).
//   - "okta-emulator=URL": asks the Okta emulator at URL for the code the user's virtual device shows.
//   - anything else: a command run by the shell, with the request as JSON on stdin, that prints the
//     value, in the manner of git's credential helpers and ssh-askpass.
//
// Several helpers are tried in order; the first that answers wins.
package inputhelper

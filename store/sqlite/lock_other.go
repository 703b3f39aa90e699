//go:build !unix

package sqlite

// lockFile is a no-op where flock is unavailable: there, running two workers on one file is the
// operator's responsibility.
func lockFile(string) (func(), error) { return func() {}, nil }

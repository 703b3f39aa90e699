package main

import (
	"os"
	"os/user"
)

// operator names the person running a command that changes the history (a replay, a resolution), for
// the audit trail: the login name, as the system knows it.
func operator() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "unknown"
}

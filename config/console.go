package config

import (
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Console configures the web console `trama serve` serves at /console/: a person signs in with
// api.token and reads and acts on the same history as the API.
type Console struct {
	// Disabled turns the console off while the API stays on (console.enabled: false). Without api.token
	// there is no console either: it signs in with that token.
	Disabled bool
	// User is the name the audit trail records for what is done through the console (a replay, a
	// resolution, a supplied input); DefaultConsoleUser by default.
	User string
	// Session is how long a sign-in lasts; DefaultConsoleSession by default.
	Session time.Duration
}

const (
	// DefaultConsoleUser names console actions in the audit trail when console.user is not set.
	DefaultConsoleUser = "console"
	// DefaultConsoleSession is a working day: long enough not to interrupt one, short enough that a
	// forgotten browser does not stay signed in for days.
	DefaultConsoleSession = 12 * time.Hour
)

// ConsoleEnabled reports whether /console/ is served: it needs the API token to sign in with.
func (c *Config) ConsoleEnabled() bool { return c.API.Enabled() && !c.Console.Disabled }

// maxConsoleUser bounds console.user, which every audit entry the console writes repeats.
const maxConsoleUser = 64

func (p *parser) console(n *yaml.Node) {
	fields, _ := p.mapping(n, "console", "enabled", "user", "session")
	for _, f := range fields {
		path := "console." + f.Key
		switch f.Key {
		case "enabled":
			if b, ok := p.boolean(f.Value, path); ok {
				p.cfg.Console.Disabled = !b
			}
		case "user":
			s, ok := p.scalar(f.Value, path)
			if !ok {
				continue
			}
			if s == "" || len(s) > maxConsoleUser || !utf8.ValidString(s) || hasControl(s) {
				p.errorf(f.Value, path, "%s must be 1 to %d printable characters (the name the audit trail records)", p.show(f.Value, s), maxConsoleUser)
				continue
			}
			p.cfg.Console.User = s
		case "session":
			if d, ok := p.duration(f.Value, path, time.Minute, 30*24*time.Hour); ok {
				p.cfg.Console.Session = d
			}
		}
	}
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

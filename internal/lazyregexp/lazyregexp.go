// Package lazyregexp holds regular expressions that compile on first use.
//
// A package-level regexp.MustCompile runs when the program starts, whatever the command: trama's
// packages held about forty, which every `trama --version` compiled and none of its commands needs all
// of. A Regexp from New compiles the first time it is used, once, from any goroutine.
package lazyregexp

import (
	"errors"
	"fmt"
	"regexp"
	"sync"
)

// Regexp is a regular expression compiled on first use. Its methods are those of regexp.Regexp that
// trama uses; Get returns the compiled expression for the others.
type Regexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

// New returns expr, to be compiled on first use. Like regexp.MustCompile it panics if expr does not
// compile, but only then: Check compiles every expression made with New, so that a test of the program
// finds a bad one before a user's rare input does. New is for package-level variables: every Regexp it
// makes stays listed for Check, so one made per call would never be freed.
func New(expr string) *Regexp {
	r := &Regexp{expr: expr}
	registry.Lock()
	registry.all = append(registry.all, r)
	registry.Unlock()
	return r
}

// registry lists every Regexp made with New, for Check.
var registry struct {
	sync.Mutex
	all []*Regexp
}

// Check compiles every expression made with New so far (all the package-level ones of the packages
// linked into the program) and returns an error naming each that does not compile.
func Check() error {
	registry.Lock()
	all := append([]*Regexp(nil), registry.all...)
	registry.Unlock()
	var errs []error
	for _, r := range all {
		if _, err := regexp.Compile(r.expr); err != nil {
			errs = append(errs, fmt.Errorf("lazyregexp: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Get returns the compiled expression, compiling it on the first call.
func (r *Regexp) Get() *regexp.Regexp {
	r.once.Do(func() { r.re = regexp.MustCompile(r.expr) })
	return r.re
}

// MatchString reports whether s contains a match of the expression.
func (r *Regexp) MatchString(s string) bool { return r.Get().MatchString(s) }

// Match reports whether b contains a match of the expression.
func (r *Regexp) Match(b []byte) bool { return r.Get().Match(b) }

// FindStringSubmatch is regexp.Regexp.FindStringSubmatch.
func (r *Regexp) FindStringSubmatch(s string) []string { return r.Get().FindStringSubmatch(s) }

// FindAllStringIndex is regexp.Regexp.FindAllStringIndex.
func (r *Regexp) FindAllStringIndex(s string, n int) [][]int { return r.Get().FindAllStringIndex(s, n) }

// FindStringIndex is regexp.Regexp.FindStringIndex.
func (r *Regexp) FindStringIndex(s string) []int { return r.Get().FindStringIndex(s) }

// FindAllStringSubmatch is regexp.Regexp.FindAllStringSubmatch.
func (r *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	return r.Get().FindAllStringSubmatch(s, n)
}

// FindAllStringSubmatchIndex is regexp.Regexp.FindAllStringSubmatchIndex.
func (r *Regexp) FindAllStringSubmatchIndex(s string, n int) [][]int {
	return r.Get().FindAllStringSubmatchIndex(s, n)
}

// ReplaceAllStringFunc is regexp.Regexp.ReplaceAllStringFunc.
func (r *Regexp) ReplaceAllStringFunc(src string, repl func(string) string) string {
	return r.Get().ReplaceAllStringFunc(src, repl)
}

package criterion

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/trama-dev/trama/internal/lazyregexp"
)

// compileRegex compiles a regex condition with Go's RE2 engine. The Arazzo specification does not name
// a regex flavour; RE2 guarantees linear-time matching, so a hostile pattern or response body cannot
// stall a run, at the price of the backtracking-only constructs unsupportedRegex names.
func compileRegex(version, condition string) (*regexp.Regexp, error) {
	if version != "" {
		return nil, &Problem{Kind: Regex, Version: version, Condition: condition,
			Message: fmt.Sprintf("regex conditions take no version, got %q", version)}
	}
	re, err := regexp.Compile(condition)
	if err == nil {
		return re, nil
	}
	if construct, fix := unsupportedRegex(condition); construct != "" {
		return nil, &Problem{Kind: Regex, Condition: condition, Err: ErrUnsupported,
			Message: fmt.Sprintf("RE2 (Go regexp) does not support %s; %s", construct, fix)}
	}
	return nil, &Problem{Kind: Regex, Condition: condition, Err: err,
		Message: fmt.Sprintf("invalid RE2 regular expression: %v", err)}
}

// regexConstructs are the backtracking-engine constructs users bring from PCRE, Java or JavaScript,
// in the order they are looked for.
var regexConstructs = []struct {
	re        *lazyregexp.Regexp
	construct string
	fix       string
}{
	{lazyregexp.New(`\(\?<[=!]`), "lookbehind `(?<=…)`/`(?<!…)`",
		"match the preceding text too, or split the check into two criteria"},
	{lazyregexp.New(`\(\?[=!]`), "lookahead `(?=…)`/`(?!…)`",
		"use several criteria (all must pass) instead of stacked lookaheads"},
	{lazyregexp.New(`\(\?>`), "atomic groups `(?>…)`", "use a plain group `(?:…)`"},
	{lazyregexp.New(`\\[1-9]|\\k[<'{]|\\g\{?-?[0-9]`), "backreferences (`\\1`, `\\k<name>`)",
		"compare the captured value in a separate criterion"},
	{lazyregexp.New(`[*+?}][+]`), "possessive quantifiers (`*+`, `++`, `?+`, `{n}+`)",
		"drop the trailing `+`; RE2 never backtracks, so the plain quantifier behaves the same"},
	{lazyregexp.New(`\(\?\(`), "conditionals `(?(…)…)`", "use separate criteria"},
	{lazyregexp.New(`\(\?(R|[0-9]|&|P>)`), "recursion `(?R)`", "use a JSONPath or XPath criterion instead"},
	{lazyregexp.New(`\\Z`), "`\\Z`", "use `\\z` or `$`"},
}

// unsupportedRegex names the first unsupported construct in a pattern that failed to compile, ignoring
// escaped characters, and says how to rewrite it.
func unsupportedRegex(pattern string) (construct, fix string) {
	for _, c := range regexConstructs {
		for _, loc := range c.re.FindAllStringIndex(pattern, -1) {
			if !escaped(pattern, loc[0]) {
				return c.construct, c.fix
			}
		}
	}
	return "", ""
}

// escaped reports whether pattern[i] is preceded by an odd number of backslashes. A match that itself
// starts with a backslash is escaped when that backslash is.
func escaped(pattern string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && pattern[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// regexSubject is the string a regex condition is matched against.
func regexSubject(context any) (string, error) {
	switch v := context.(type) {
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case json.Number:
		return v.String(), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case bool:
		return strconv.FormatBool(v), nil
	case fmt.Stringer:
		return v.String(), nil
	}
	b, err := json.Marshal(context)
	if err != nil {
		return "", fmt.Errorf("regex context of type %T has no string form: %w", context, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Package suggest finds what a user probably meant: the known name closest to a misspelt one, for the
// "did you mean" of configuration errors, document diagnostics and expression errors.
package suggest

import "strings"

// Closest returns the candidate closest to w within a small edit distance — one edit for words of up to
// four letters, two for longer ones, three beyond eight — ignoring case; failing that, the only candidate
// that w of three letters or more begins ("okta" for "oktaApi"); or "". A transposition ("inptus")
// counts as one edit.
func Closest(w string, cands []string) string {
	if w == "" {
		return ""
	}
	limit := 2
	switch {
	case len(w) <= 4:
		limit = 1
	case len(w) > 8:
		limit = 3
	}
	best, bestD := "", limit+1
	lw := strings.ToLower(w)
	for _, c := range cands {
		if d := Distance(lw, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if best != "" || len(w) < 3 {
		return best
	}
	for _, c := range cands {
		if strings.HasPrefix(strings.ToLower(c), lw) {
			if best != "" {
				return "" // more than one: no guess
			}
			best = c
		}
	}
	return best
}

// Distance is the optimal-string-alignment edit distance between a and b. Strings over 64 bytes are
// never close: the answer is then larger than any limit.
func Distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	la, lb := len(a), len(b)
	d := make([][]int, la+1)
	for i := range d {
		d[i] = make([]int, lb+1)
		d[i][0] = i
	}
	for j := 0; j <= lb; j++ {
		d[0][j] = j
	}
	for i := 1; i <= la; i++ {
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[la][lb]
}

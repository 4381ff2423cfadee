// Package suggest finds what a user probably meant when a name they typed
// (a flag, a rule ID, a config section or option) is not one fakegraf knows:
// the known names nearest to it by edit distance, or, failing that, the
// ones it is the start of. It does not know where the names come from.
package suggest

import (
	"sort"
	"strings"
)

// Distance is the optimal string alignment distance between a and b: the
// fewest insertions, deletions, substitutions and transpositions of two
// adjacent characters that turn one into the other, case ignored. A
// transposition counts once, so "fromat" is one edit from "format".
func Distance(a, b string) int {
	ra, rb := []rune(strings.ToLower(a)), []rune(strings.ToLower(b))
	// d[i][j] is the distance between ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// maxDistance is how far a name may be from what was typed and still be a
// likely typo: one edit in a short word, up to three in a long one.
func maxDistance(word string) int {
	switch n := len([]rune(word)); {
	case n <= 4:
		return 1
	case n <= 8:
		return 2
	default:
		return 3
	}
}

// Closest returns the candidates word is probably a typo of, sorted: those
// at the smallest edit distance if it is small for word's length, else those
// that start with word (for a word of at least three characters: "timestamp"
// for timestamp-unit and timestamp-skew). It returns nil when none is close
// and never word itself.
func Closest(word string, candidates []string) []string {
	best, limit := -1, maxDistance(word)
	var out []string
	for _, c := range candidates {
		if strings.EqualFold(c, word) {
			continue
		}
		d := Distance(word, c)
		if d > limit {
			continue
		}
		switch {
		case best < 0 || d < best:
			best, out = d, []string{c}
		case d == best:
			out = append(out, c)
		}
	}
	if out == nil && len([]rune(word)) >= 3 {
		for _, c := range candidates {
			if len(c) > len(word) && strings.HasPrefix(strings.ToLower(c), strings.ToLower(word)) {
				out = append(out, c)
			}
		}
	}
	sort.Strings(out)
	return dedup(out)
}

func dedup(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Or joins names as a reader expects: "a", "a or b", "a, b or c".
func Or(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

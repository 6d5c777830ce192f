// Package suggest names the known word closest to a mistyped one, for
// messages such as "unknown key max_sesions; did you mean max_sessions?".
package suggest

import "strings"

// Closest returns the word of known nearest to s by edit distance
// (insertions, deletions, substitutions and swaps of neighbours, letter
// case ignored), or "" when known is empty or nothing is near: the
// distance must not exceed half the length of the longer word.
func Closest(s string, known []string) string {
	best, bestD := "", -1
	ls := strings.ToLower(s)
	for _, k := range known {
		d := Distance(ls, strings.ToLower(k))
		if bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	if longer := max(len(s), len(best)); 2*bestD > longer {
		return ""
	}
	return best
}

// Distance is the optimal string alignment distance between a and b, in
// bytes.
func Distance(a, b string) int {
	if len(a) > 256 || len(b) > 256 {
		// Bounded work on hostile input: such a word is near nothing.
		return max(len(a), len(b))
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

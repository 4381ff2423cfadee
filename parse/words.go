package parse

import (
	"fmt"
	"strings"
	"time"
)

// Wording the rules' messages and fixes share.

// formatTitle names a data_format in prose.
func formatTitle(f string) string {
	switch f {
	case "json":
		return "JSON"
	case "influx":
		return "influx line protocol"
	case "wavefront":
		return "Wavefront"
	}
	return f
}

func shortRaw(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

func mergeKeys(have []string, add []string) []string {
	out := append([]string{}, have...)
	for _, k := range add {
		found := false
		for _, h := range out {
			if h == k {
				found = true
			}
		}
		if !found {
			out = append(out, k)
		}
	}
	return out
}

// andList joins items as "a", "a and b" or "a, b and c".
func andList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// tomlList renders a TOML array of strings.
func tomlList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = tomlString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// ago says how far t is from now in words: "56 years before", "3h0m0s after".
func ago(t, now time.Time) string {
	d := t.Sub(now)
	dir := "after"
	if d < 0 {
		d, dir = -d, "before"
	}
	const year = 365*24*time.Hour + 6*time.Hour
	switch {
	case d >= 2*year:
		return fmt.Sprintf("%d years %s", int(d/year), dir)
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days %s", int(d/(24*time.Hour)), dir)
	}
	return fmt.Sprintf("%s %s", d.Round(time.Second), dir)
}

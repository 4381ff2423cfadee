package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestPairedRatio holds pairedRatio to a median of the rounds' own ratios,
// which differs from the ratio of the two medians when a slow spell hits
// both programs of a round.
func TestPairedRatio(t *testing.T) {
	runs := func(cpus ...float64) []measurement {
		var ms []measurement
		for _, c := range cpus {
			ms = append(ms, measurement{cpu: time.Duration(c * float64(time.Second))})
		}
		return ms
	}
	for _, tc := range []struct {
		name     string
		ms, base []measurement
		want     float64
	}{
		// The rounds' ratios are 0.5, 0.9 and 0.8; the medians' is 4/6.
		{"odd", runs(3, 9, 4), runs(6, 10, 5), 0.8},
		{"even: the middle two averaged", runs(1, 2, 3, 4), runs(4, 4, 4, 4), 0.625},
		{"a round without a base run is left out", runs(5, 1, 3), runs(10, 0, 10), 0.4},
		{"the shorter list bounds the rounds", runs(1, 2, 9), runs(2, 2), 0.75},
		{"no rounds", nil, runs(1), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.InDelta(t, tc.want, pairedRatio(tc.ms, tc.base), 1e-9)
		})
	}
}

// TestFmtRunsMarksOnlyRunsThatStoppedEarly: a statsd run stores fewer
// metrics than it was sent lines (the gauges count nothing), and is not
// marked for it; the first version marked every statsd run.
func TestFmtRunsMarksOnlyRunsThatStoppedEarly(t *testing.T) {
	const lines = 200000
	want := statsdWant(lines)
	assert.Equal(t, 133333, want, "statsdLine sends a gauge every third line")
	whole := measurement{cpu: 4 * time.Second, peakRSS: 55 << 10, metrics: want}
	lost := measurement{cpu: 4 * time.Second, peakRSS: 55 << 10, metrics: want - 10, drops: 10}
	stopped := measurement{cpu: 2 * time.Second, peakRSS: 55 << 10, metrics: 50000}
	out := fmtRuns([]measurement{whole, lost, stopped}, lines, want)
	assert.Equal(t, "   runs (CPU s/1M/peak RSS...): 20.00/55Mi 20.00/55Mi 10.00/55Mi(stopped at 50000)", out)
}

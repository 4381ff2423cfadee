package main

import "testing"

func TestGCPercentKeepsTheHeapFloor(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name        string
		live, roots uint64
		want        int
	}{
		// fakegraf listen's steady state: 2 MiB live, 5 MiB of globals.
		{"small live heap", 2 * mib, 5 * mib, 428},
		{"nothing measured yet", 0, 5 * mib, 640},
		// From here on Go's default already waits for 32 MiB or more.
		{"at the floor", 13 * mib, 6 * mib, 100},
		{"a run that keeps everything", 200 * mib, 5 * mib, 100},
		{"no figures", 0, 0, 100},
	} {
		got := gcPercent(c.live, c.roots)
		if got != c.want {
			t.Errorf("%s: gcPercent(%d MiB, %d MiB) = %d, want %d", c.name, c.live/mib, c.roots/mib, got, c.want)
		}
		if c.live+c.roots > 0 && got > 100 {
			if goal := c.live + (c.live+c.roots)*uint64(got)/100; goal > heapFloor || goal < heapFloor-mib {
				t.Errorf("%s: the goal is %d bytes, want about %d", c.name, goal, heapFloor)
			}
		}
	}
}

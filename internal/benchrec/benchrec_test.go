package benchrec

import (
	"slices"
	"testing"
)

func TestAlternateRotatesThePaths(t *testing.T) {
	var order []int
	var took [][]float64
	testing.Benchmark(func(b *testing.B) {
		order = order[:0] // the last of testing.Benchmark's runs counts
		took = Alternate(b, 3, func() { order = append(order, 0) }, func() { order = append(order, 1) })
	})
	rounds := len(took[0])
	if rounds < 2 || len(took[1]) != rounds {
		t.Fatalf("want two or more rounds for each path, got %d and %d", len(took[0]), len(took[1]))
	}
	if len(order) != 2*3*rounds {
		t.Fatalf("%d runs in %d rounds, want 3 of each path a round", len(order), rounds)
	}
	// Each round runs one path's batch, then the other's; the first path
	// alternates.
	for r := range rounds {
		got := order[6*r : 6*r+6]
		first := r % 2
		want := []int{first, first, first, 1 - first, 1 - first, 1 - first}
		if !slices.Equal(got, want) {
			t.Fatalf("round %d ran %v, want %v", r, got, want)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		in := slices.Clone(tc.in)
		if got := Median(tc.in); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
		}
		if !slices.Equal(in, tc.in) {
			t.Errorf("Median sorted its argument: %v", tc.in)
		}
	}
	if got := Diff([]float64{5, 7}, []float64{2, 10}); !slices.Equal(got, []float64{3, -3}) {
		t.Errorf("Diff = %v, want [3 -3]", got)
	}
}

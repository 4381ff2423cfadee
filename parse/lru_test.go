package parse

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLRUEvictsTheLeastRecentlyUsed(t *testing.T) {
	c := newLRU[string, int](2)
	c.Put("a", 1)
	c.Put("b", 2)
	c.Get("a") // b is now the oldest
	c.Put("c", 3)
	var got []string
	for _, k := range []string{"a", "b", "c"} {
		if v, ok := c.Get(k); ok {
			got = append(got, fmt.Sprintf("%s=%d", k, v))
		}
	}
	if diff := cmp.Diff([]string{"a=1", "c=3"}, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if c.Len() != 2 {
		t.Errorf("Len() = %d, want 2", c.Len())
	}
}

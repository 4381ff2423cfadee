package listener

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSlabCopies: every copy keeps its bytes while the scanner's buffer is
// reused and later records are copied, an append to one copy leaves the
// next alone, an empty record is an empty (not nil) slice, and a record
// larger than slabMax gets a block of its own.
func TestSlabCopies(t *testing.T) {
	var s slab
	buf := make([]byte, 0, 64*1024) // the scanner's buffer, reused for every token
	var copies [][]byte
	var want []string
	for i := range 500 {
		line := fmt.Sprintf("cpu,host=web%d value=%d", i, i*i)
		if i%97 == 0 {
			line = ""
		}
		if i == 300 {
			line = string(bytes.Repeat([]byte("x"), 3*slabMax))
		}
		buf = append(buf[:0], line...)
		c := s.copy(buf)
		require.NotNil(t, c)
		require.Equal(t, len(c), cap(c), "a copy's capacity is its length")
		copies, want = append(copies, c), append(want, line)
		for j := range buf {
			buf[j] = '#' // the next Scan overwrites the buffer
		}
	}
	_ = append(copies[10], '\n') // as Telegraf's wavefront parser does
	for i, c := range copies {
		require.Equal(t, want[i], string(c), "record %d", i)
	}
	require.Equal(t, slabMax, s.next, "blocks grew to slabMax")
}

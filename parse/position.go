package parse

import "bytes"

// offsetPosition turns a byte offset into a position with line and column.
func offsetPosition(data []byte, off int) Position {
	off = min(max(off, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - (bytes.LastIndexByte(data[:off], '\n') + 1) + 1
	return Position{Offset: off, Line: line, Column: col}
}

// linePosition turns a line and column into a position with a byte offset.
func linePosition(data []byte, line, col int) Position {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
	}
	return Position{Offset: min(off+max(col-1, 0), len(data)), Line: line, Column: col}
}

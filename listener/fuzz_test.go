package listener_test

import (
	"bytes"
	"testing"

	"github.com/influxdata/telegraf/plugins/common/socket"

	"github.com/fakegraf/fakegraf/listener"
)

// FuzzReadStream frames arbitrary bytes with each of Telegraf's splitters and
// checks the accounting promise: every byte is in a record or pending, and
// only the last record can lack its terminator.
func FuzzReadStream(f *testing.F) {
	f.Add([]byte("cpu v=1\nmem v=2\r\n\nlast v=3"), uint8(0), uint8(1))
	f.Add([]byte("a\x00b\x00c"), uint8(1), uint8(1))
	f.Add([]byte("ab\xbe\xefcd\xbe\xef"), uint8(2), uint8(3))
	f.Add([]byte("abcdefgh"), uint8(3), uint8(3))
	f.Add([]byte("\x00\x03abc\x00\x01d"), uint8(4), uint8(2))
	// A line longer than the scanner's 64 KiB: Telegraf's scanner gives up
	// and the connection ends with bytes still unread.
	f.Add(append(bytes.Repeat([]byte("a"), 70000), '\n'), uint8(0), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, strategy, size uint8) {
		cfgs := []socket.SplitConfig{
			{SplittingStrategy: "newline"},
			{SplittingStrategy: "null"},
			{SplittingStrategy: "delimiter", SplittingDelimiter: "0xBE 0xEF"},
			{SplittingStrategy: "fixed length", SplittingLength: int(size%8) + 1},
			{SplittingStrategy: "variable length"},
		}
		cfg := cfgs[int(strategy)%len(cfgs)]
		if cfg.SplittingStrategy == "variable length" {
			cfg.SplittingLengthField.Offset = 0
			cfg.SplittingLengthField.Bytes = 2
			cfg.SplittingLengthField.HeaderLength = 2
		}
		split, err := cfg.NewSplitter()
		if err != nil {
			t.Fatal(err)
		}
		var recs []listener.Record
		ev := listener.ReadStream(bytes.NewReader(data), listener.StreamOptions{Splitter: split},
			func(r listener.Record) { recs = append(recs, r) })
		var sum int64
		for i, r := range recs {
			sum += int64(r.Size)
			if !r.Terminated && i != len(recs)-1 {
				t.Fatalf("record %d of %d has no terminator but is not the last", i+1, len(recs))
			}
			if len(r.Data) > r.Size {
				t.Fatalf("record %d: %d data bytes from %d wire bytes", i+1, len(r.Data), r.Size)
			}
		}
		// Without a scanner error the stream is read to its end; with one
		// (a token over 64 KiB), Telegraf stops reading, and so does
		// ReadStream: what was never read was never received.
		if ev.Err == nil && ev.Bytes != int64(len(data)) || ev.Bytes > int64(len(data)) {
			t.Fatalf("read %d of %d bytes (scanner error: %v)", ev.Bytes, len(data), ev.Err)
		}
		if ev.Bytes != sum+ev.PendingBytes {
			t.Fatalf("bytes %d != records %d + pending %d", ev.Bytes, sum, ev.PendingBytes)
		}
	})
}

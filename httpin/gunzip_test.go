package httpin

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGunzippedIsWhatThePluginReads holds the rules' gunzip (klauspost's
// first) to what the plugins' compress/gzip reads of the same body, for
// bodies whole and broken: the bytes up to an error are the parser's.
func TestGunzippedIsWhatThePluginReads(t *testing.T) {
	member := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write([]byte(s))
		_ = zw.Close()
		return b.Bytes()
	}
	lines := bytes.Repeat([]byte("cpu,host=a usage_idle=1.5 1732860000000000000\n"), 2000)
	whole := member(string(lines))
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 0xff
		return c
	}
	for name, raw := range map[string][]byte{
		"whole":              whole,
		"empty":              member(""),
		"two members":        append(member("cpu v=1\n"), member("cpu v=2\n")...),
		"cut in the middle":  whole[:len(whole)/2],
		"cut in the trailer": whole[:len(whole)-3],
		"bad checksum":       flip(whole, len(whole)-6),
		"bad data":           flip(whole, len(whole)/3),
		"trailing zeros":     append(bytes.Clone(whole), 0, 0, 0, 0),
		"trailing garbage":   append(bytes.Clone(whole), "cpu v=3\n"...),
		"not gzip":           []byte("cpu v=1\n"),
		"no bytes":           {},
		"header only":        whole[:10],
	} {
		t.Run(name, func(t *testing.T) {
			want := raw
			if zr, err := gzip.NewReader(bytes.NewReader(raw)); err == nil {
				want, _ = io.ReadAll(zr)
			}
			if diff := cmp.Diff(want, gunzipped(raw), cmp.Comparer(bytes.Equal)); diff != "" {
				t.Errorf("gunzipped differs from compress/gzip (-want +got):\n%.2000s", diff)
			}
		})
	}
}

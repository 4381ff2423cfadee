package httpin

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"testing"
)

// BenchmarkDecodedGzip is the rules' second gunzip of a gzipped write: a
// batch of 5,000 lines of line protocol, as bench/loopback's
// http-influx-gzip sends it.
func BenchmarkDecodedGzip(b *testing.B) {
	var body bytes.Buffer
	for i := range 5000 {
		fmt.Fprintf(&body, "cpu,host=web%d,region=eu usage_idle=%d.5,usage_user=1.25 %d\n", i%16, i%100, 1732860000000000000+int64(i))
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(body.Bytes())
	_ = zw.Close()
	r, _ := http.NewRequest(http.MethodPost, "/api/v2/write", nil)
	r.Header.Set("Content-Encoding", "gzip")
	b.SetBytes(int64(body.Len()))
	for b.Loop() {
		if out := decoded(gz.Bytes(), r, false); len(out) != body.Len() {
			b.Fatalf("decoded %d bytes, want %d", len(out), body.Len())
		}
	}
}

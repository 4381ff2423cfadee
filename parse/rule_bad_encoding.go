package parse

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

const ruleBadEncoding = "bad-encoding"

func init() {
	Register(&Rule{
		ID:       ruleBadEncoding,
		Severity: Error,
		Title:    "the bytes are not plain UTF-8 text: BOM, UTF-16, NUL bytes, invalid UTF-8 or compressed data",
		Doc: "Telegraf's parsers read UTF-8 text. A UTF-16 payload fails with \"invalid character 'ÿ'\" " +
			"(telegraf#8540). A UTF-8 byte-order mark is trimmed by the json parser but becomes part of the " +
			"measurement name in line protocol (\"\\ufeffcpu\", a different series) and fails Wavefront. NUL bytes, " +
			"often a C string terminator, end up inside names and values or fail the parse. Invalid UTF-8 is " +
			"stored as raw bytes by the influx parser, rejected by influx_upstream and replaced with U+FFFD by " +
			"the json parser. Compressed data (gzip, zlib, zstd) without content_encoding is parsed as text " +
			"and rejected (plugins/common/socket/socket.go decoders). In every case data is lost or corrupted.",
		Bad:   `sock.send(line.encode("utf-16"))`,
		Good:  `sock.send(line.encode("utf-8"))`,
		Check: checkBadEncoding,
		Cases: []Case{
			{Name: "utf-16 json", Config: caseJSONOverride, Records: []Rec{{Data: "∑\xff\xfe{\x00\"\x00a\x00\"\x00:\x001\x00}\x00"}}, Want: []Want{{"bad-encoding", Error, 1}, {"parse-error", Error, anyPos}}},
			{Name: "gzip without content_encoding", Config: caseInfluxUDP, Records: []Rec{{Data: "∑\x1f\x8b\x08\x00\x00\x00\x00\x00"}}, Want: []Want{{"bad-encoding", Error, 1}, {"parse-error", Error, anyPos}}},
			{Name: "byte-order mark in line protocol", Config: caseInfluxUDP, Records: []Rec{{Data: "∑\xef\xbb\xbfcpu v=1\n"}}, Want: []Want{{"bad-encoding", Error, 1}}},
			{Name: "nul terminator", Config: caseInfluxTCP, Records: []Rec{{Data: "cpu v=1∑\x00"}}, Want: []Want{{"bad-encoding", Error, 1}, {"parse-error", Error, anyPos}}},
			{Name: "latin-1", Config: caseJSONOverride + "\n" + `tag_keys = ["city"]`, Records: []Rec{{Data: "{\"city\": \"M∑\xfcnchen\", \"v\": 1}"}}, Want: []Want{{"bad-encoding", Error, 1}}},
			{Name: "near miss: byte-order mark in json", Config: caseJSONOverride, Records: []Rec{{Data: "\xef\xbb\xbf{\"v\": 1}"}}},
			{Name: "near miss: utf-8 text", Config: caseJSONOverride + "\n" + `tag_keys = ["city"]`, Records: []Rec{{Data: `{"city": "München", "v": 1}`}}},
		},
	})
}

var gzipMagic = []byte("\x1f\x8b")

var zstdMagic = []byte("\x28\xb5\x2f\xfd")

func looksUTF16(data []byte) bool {
	if bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		return true
	}
	if len(data) < 4 {
		return false
	}
	n := min(len(data), 64) &^ 1
	if bytes.IndexByte(data[:n], 0) < 0 {
		return false // UTF-16 without a BOM has NULs in ASCII text; most records have none
	}
	zeroEven, zeroOdd := 0, 0
	for i := 0; i < n; i += 2 {
		if data[i] == 0 {
			zeroEven++
		}
		if data[i+1] == 0 {
			zeroOdd++
		}
	}
	half := n / 2
	return (zeroOdd*4 >= half*3 && zeroEven == 0) || (zeroEven*4 >= half*3 && zeroOdd == 0)
}

func isZlib(data []byte) bool {
	return len(data) >= 2 && data[0]&0x0f == 8 && data[0]>>4 <= 7 && (uint16(data[0])<<8|uint16(data[1]))%31 == 0
}

// plainText says that no finding of this rule but the zlib one can apply:
// every other needs a NUL byte, invalid UTF-8 (the UTF-16 byte-order marks,
// gzip's and zstd's magic numbers are) or a UTF-8 byte-order mark.
func plainText(data []byte) bool {
	if asciiWithoutNUL(data) {
		return true // no NUL, and a byte-order mark is not ASCII
	}
	return bytes.IndexByte(data, 0) < 0 && !bytes.HasPrefix(data, utf8BOM) && utf8.Valid(data)
}

// asciiWithoutNUL says that every byte of data is between 0x01 and 0x7f, in
// one pass of sixteen bytes at a time (the last sixteen read again where
// they overlap), so that on the usual record it answers plainText for about
// half of what utf8.Valid and bytes.IndexByte cost together.
func asciiWithoutNUL(data []byte) bool {
	if len(data) < 16 {
		for _, c := range data {
			if c == 0 || c >= 0x80 {
				return false
			}
		}
		return true
	}
	last := data[len(data)-16:]
	for len(data) >= 16 {
		if !ascii16(data[:16]) {
			return false
		}
		data = data[16:]
	}
	return ascii16(last)
}

// ascii16 says that each of the sixteen bytes of b is between 0x01 and
// 0x7f. In each 64-bit word, v-0x01…01 sets a byte's high bit where the
// byte is zero (a borrow into the next byte comes only from a zero byte,
// which is already caught), and v's own high bits are the bytes above 0x7f.
func ascii16(b []byte) bool {
	v, w := binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:16])
	return ((v-wordOnes)|v|(w-wordOnes)|w)&wordHighs == 0
}

// wordOnes and wordHighs are a 64-bit word of bytes 0x01 and of bytes 0x80,
// for ascii16 and quoteOrBackslash, which look at 8 bytes at a time.
const wordOnes, wordHighs = 0x0101010101010101, 0x8080808080808080

func checkBadEncoding(ctx *Context) {
	data := ctx.Record.Data
	rec := ctx.Record
	if plainText(data) && (rec.Stream || ctx.Err == nil || !isZlib(data)) {
		return // the common case, decided in two fast passes over the record
	}
	switch {
	case len(data) == 0:
		return
	case looksUTF16(data):
		ctx.Report("the record is UTF-16 text: Telegraf's parsers read UTF-8 and reject it", Position{Offset: 0, Line: 1, Column: 1},
			`encode the text as UTF-8 (Python: s.encode("utf-8"), not "utf-16")`)
		return
	case bytes.HasPrefix(data, gzipMagic) && rec.HTTP != nil:
		return // the request's Content-Encoding decides: http-content-encoding
	case bytes.HasPrefix(data, gzipMagic):
		fix := ctx.settings().set(opt{"content_encoding", "gzip"})
		ctx.Report("the record is gzip-compressed but content_encoding is not set: Telegraf parses the compressed bytes as text",
			Position{Offset: 0, Line: 1, Column: 1}, fix, "or send it uncompressed")
		return
	case !rec.Stream && ctx.Err != nil && (bytes.HasPrefix(data, zstdMagic) || isZlib(data)):
		enc := "zlib"
		if bytes.HasPrefix(data, zstdMagic) {
			enc = "zstd"
		}
		ctx.Report(fmt.Sprintf("the datagram is %s-compressed but content_encoding is not set: Telegraf parses the compressed bytes as text", enc),
			Position{Offset: 0, Line: 1, Column: 1}, ctx.settings().set(opt{"content_encoding", enc}), "or send it uncompressed")
		return
	case bytes.HasPrefix(data, utf8BOM) && ctx.Format != "json":
		effect := "Telegraf rejects the record"
		if isInflux(ctx.Format) && ctx.Err == nil {
			effect = "Telegraf keeps it as part of the measurement name (\"\\ufeff...\"), a series of its own"
		}
		ctx.Report("the record starts with a UTF-8 byte-order mark: "+effect, Position{Offset: 0, Line: 1, Column: 1},
			`write UTF-8 without a byte-order mark (Python: encoding="utf-8", not "utf-8-sig")`)
		return
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		fixes := []string{`remove the NUL byte: send the text without a C string terminator`}
		if rec.Stream && i == len(data)-1 {
			fixes = append(fixes, `or, if every record ends in NUL instead of "\n", `+ctx.settings().set(opt{"splitting_strategy", "null"}))
		}
		ctx.Report(fmt.Sprintf("a NUL byte at offset %d: it ends up inside a name or value, or fails the parse", i), offsetPosition(data, i), fixes...)
		return
	}
	if utf8.Valid(data) {
		return
	}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			effect := "the influx parser stores the raw bytes, which InfluxDB and other outputs may refuse"
			switch ctx.Format {
			case "json":
				effect = "the json parser replaces it with U+FFFD"
			case "influx_upstream":
				effect = "Telegraf rejects the record"
			case "wavefront":
				effect = "Telegraf's wavefront parser rejects the record"
			}
			ctx.Report(fmt.Sprintf("invalid UTF-8 byte 0x%02x at offset %d: %s", data[i], i, effect), offsetPosition(data, i),
				`encode text as UTF-8 (Python: s.encode("utf-8"); a Latin-1 'é' is the byte 0xe9, in UTF-8 it is 0xc3 0xa9)`)
			return
		}
		i += size
	}
}

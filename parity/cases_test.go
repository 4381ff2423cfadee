//go:build parity

package parity

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// socketKinds are every socket kind socket_listener serves but vsock and
// ip (raw sockets need privileges and are not what senders use).
var socketKinds = []string{"udp", "udp4", "udp6", "tcp", "tcp4", "tcp6", "unix", "unixpacket", "unixgram"}

// A sender timestamp and neighbours (2023-11-14T22:13:20Z).
const (
	ts0 = "1700000000000000000"
	ts1 = "1700000000000000001"
	ts2 = "1700000000000000002"
	ts3 = "1700000000000000003"
)

// payload is what the matrix sends in one format: good records and broken
// ones, played identically on every socket kind.
type payload struct {
	format       string
	good, broken []step
	time         timeMode
}

var payloads = []payload{
	{
		format: "influx",
		good: []step{
			send(lines(
				`cpu,cpu=cpu0,region=eu usage_idle=98.5,usage_user=1.25,procs=42i,uptime=7u,up=true,state="ok" `+ts0,
				`mem,region=eu free=1024i,used_percent=37.5 `+ts1)),
			send(lines(
				`weather,location=us\ midwest,season=summer temperature=82,note="a \"quoted\" word" `+ts2,
				`disk,path=/home used=2i `+ts3)),
		},
		broken: []step{
			// a bad line among good ones: one datagram loses all three,
			// a stream loses the bad line only
			send(lines(`good,n=1 v=1i `+ts0, `wild boyz`, `good,n=2 v=2i `+ts1)),
			send(lines(`good,n=3 v=3i ` + ts2)),
			send(lines(`bad,n=4 v=`)),
		},
		time: timeSender,
	},
	{
		format: "json",
		good: []step{
			send(`{"value":1.5,"count":3,"nested":{"a":1,"b":2.5},"list":[1,2],"ok":true,"name":"x"}` + "\n"),
			send(`[{"value":1},{"value":2,"extra":-7}]` + "\n"),
		},
		broken: []step{
			send(`{"value":1}{"value":2}` + "\n"), // glued
			send(`{"value": oops}` + "\n"),
			send(`{"value":4}` + "\n"),
			send(`{"value":5` + "\n"), // cut short
		},
		time: timeNow,
	},
	{
		format: "wavefront",
		good: []step{
			send("system.cpu.usage 12.5 1700000000 source=host1 region=eu\n"),
			send("system.mem.free 1024 1700000001 source=host1\nsystem.mem.used -2048.5 1700000001 source=\"host 2\" \"dc\"=\"x y\"\n"),
		},
		broken: []step{
			send("system.cpu.usage notanumber 1700000000 source=host1\n"),
			send("system.cpu.usage 1 1700000000 source=host1\n"),
			send("system.cpu.usage 2 1700000000 source=host1 =broken\n"),
		},
		time: timeSender,
	},
}

func matrixCases() []pcase {
	var out []pcase
	for _, kind := range socketKinds {
		for _, p := range payloads {
			out = append(out,
				pcase{name: fmt.Sprintf("matrix/%s/%s/good", kind, p.format), scheme: kind, conf: listener(p.format), steps: p.good, time: p.time},
				pcase{name: fmt.Sprintf("matrix/%s/%s/broken", kind, p.format), scheme: kind, conf: listener(p.format), steps: p.broken, time: p.time},
			)
		}
	}
	return out
}

// garbage is deterministic binary junk (a linear congruential sequence),
// newlines and NULs included.
func garbage(n int) []byte {
	b := make([]byte, n)
	x := uint32(12345)
	for i := range b {
		x = x*1103515245 + 12345
		b[i] = byte(x >> 16)
	}
	return b
}

func gzipped(s string) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write([]byte(s))
	w.Close()
	return buf.Bytes()
}

// frame prefixes a record with a 2-byte big-endian length.
func frame(s string) []byte {
	b := make([]byte, 2, 2+len(s))
	binary.BigEndian.PutUint16(b, uint16(len(s)))
	return append(b, s...)
}

func senderCases() []pcase {
	long := `big,t=x s="` + repeat("x", 70*1024) + `" ` + ts1 + "\n"
	bom := "\xef\xbb\xbf"
	var out []pcase
	add := func(c pcase) { out = append(out, c) }

	// influx
	add(pcase{name: "influx/bad-line-among-good/udp", scheme: "udp", conf: listener("influx"),
		steps: []step{send(lines(`a v=1i `+ts0, `a v=`, `a v=3i `+ts1))}})
	add(pcase{name: "influx/bad-line-among-good/tcp", scheme: "tcp", conf: listener("influx"),
		steps: []step{send(lines(`a v=1i `+ts0, `a v=`, `a v=3i `+ts1))}})
	// A line that is a name ending in an escaping backslash: Telegraf's
	// influx parser stores the metric it made last again
	// (name-ends-in-escape), here the previous record's, with the input's
	// name_prefix applied to that metric a second time. Telegraf changes
	// the metric object it stored before, so that when its output has not
	// written it yet (flush_interval) it writes the doubled name twice; the
	// pause lets the first flush go first, which fakegraf, showing each
	// record's metrics as they were stored, always matches.
	add(pcase{name: "influx/name-ends-in-escape/tcp", scheme: "tcp", conf: listener("influx"),
		steps: []step{send(lines(`cpu v=1i `+ts0, `a\`, `mem v=2i `+ts1, `a\`))}})
	add(pcase{name: "influx/name-ends-in-escape/udp", scheme: "udp", conf: listener("influx"),
		steps: []step{send("cpu v=1i " + ts0 + "\na\\")}})
	add(pcase{name: "influx/name-ends-in-escape-with-name_prefix/tcp", scheme: "tcp", conf: listener("influx", `name_prefix = "p_"`),
		steps: []step{send(lines(`cpu v=1i ` + ts0)), pause(500 * time.Millisecond), send(lines(`a\`))}})
	add(pcase{name: "influx/ms-timestamp-lands-in-1970/tcp", scheme: "tcp", conf: listener("influx"),
		steps: []step{send(lines(`cpu v=1 1700000000000`, `cpu v=2 1700000000`))}})
	add(pcase{name: "influx/no-timestamp/udp", scheme: "udp", conf: listener("influx"), time: timeNow,
		steps: []step{send(lines(`cpu v=1`, `cpu v=2,w="x"`))}})
	add(pcase{name: "influx/line-over-64KiB/tcp", scheme: "tcp", conf: listener("influx"),
		steps: []step{send(lines(`before v=1i ` + ts0)), pause(50 * time.Millisecond), send(long), pause(50 * time.Millisecond), send(lines(`after v=2i ` + ts2))}})
	add(pcase{name: "influx/line-over-64KiB/unix", scheme: "unix", conf: listener("influx"),
		steps: []step{send(lines(`before v=1i ` + ts0)), pause(50 * time.Millisecond), send(long), pause(50 * time.Millisecond), send(lines(`after v=2i ` + ts2))}})
	add(pcase{name: "influx/line-over-64KiB-with-read_buffer_size/tcp", scheme: "tcp", conf: listener("influx", `read_buffer_size = "1MiB"`),
		steps: []step{send(lines(`before v=1i ` + ts0)), send(long), send(lines(`after v=2i ` + ts2))}})
	add(pcase{name: "influx/last-record-without-newline/tcp", scheme: "tcp", conf: listener("influx"),
		steps: []step{send("a v=1i " + ts0 + "\nb v=2i " + ts1)}})
	add(pcase{name: "influx/last-record-without-newline/unix", scheme: "unix", conf: listener("influx"),
		steps: []step{send("a v=1i " + ts0 + "\nb v=2i " + ts1)}})
	add(pcase{name: "influx/crlf/tcp", scheme: "tcp", conf: listener("influx"),
		steps: []step{send("a v=1i " + ts0 + "\r\nb,t=x v=2i " + ts1 + "\r\n")}})
	add(pcase{name: "influx/crlf/udp", scheme: "udp", conf: listener("influx"),
		steps: []step{send("a v=1i " + ts0 + "\r\nb,t=x v=2i " + ts1 + "\r\n")}})
	add(pcase{name: "influx/bom/tcp", scheme: "tcp", conf: listener("influx"),
		steps: []step{send(bom + "a v=1i " + ts0 + "\n"), send("b v=2i " + ts1 + "\n")}})
	add(pcase{name: "influx/bom/udp", scheme: "udp", conf: listener("influx"),
		steps: []step{send(bom + "a v=1i " + ts0 + "\n"), send("b v=2i " + ts1 + "\n")}})
	add(pcase{name: "influx/binary-garbage/tcp", scheme: "tcp", conf: listener("influx"),
		steps: []step{sendBytes(garbage(400)), send("\nok v=1i " + ts0 + "\n")}})
	add(pcase{name: "influx/binary-garbage/udp", scheme: "udp", conf: listener("influx"),
		steps: []step{sendBytes(garbage(400)), send("ok v=1i " + ts0 + "\n")}})
	add(pcase{name: "influx/blank-records/tcp", scheme: "tcp", conf: listener("influx"),
		steps: []step{send("\n\n   \n\t\n"), send("ok v=1i " + ts0 + "\n\n")}})
	add(pcase{name: "influx/blank-datagram/udp", scheme: "udp", conf: listener("influx"), silent: true,
		steps: []step{send("\n"), send("   ")}})
	add(pcase{name: "influx/utf8-and-escapes/tcp", scheme: "tcp", conf: listener("influx"),
		steps: []step{send(lines(`température,ville=Zürich\,CH,k\=v=x\ y °C=21.5,s="ü\\n" `+ts0, `"quoted\ name" v=1i `+ts1))}})
	add(pcase{name: "influx/datagram-near-64KiB/udp", scheme: "udp", conf: listener("influx"),
		steps: []step{send(repeat("cpu,host=h,core=c0 usage_idle=98.25,usage_user=1.5 "+ts0+"\n", 1000)[:60000] + "\n")}})
	add(pcase{name: "influx/datagram-over-64KiB/unixgram", scheme: "unixgram", conf: listener("influx"),
		steps: []step{send(repeat("cpu,host=h,core=c0 usage_idle=98.25,usage_user=1.5 "+ts0+"\n", 1500)), send("ok v=1i " + ts0 + "\n")}})
	add(pcase{name: "influx/upstream-parser/tcp", scheme: "tcp", conf: listener("influx", `influx_parser_type = "upstream"`),
		steps: []step{send(lines(`a,t=1 v=1i `+ts0, `a v=`, `b f=1.5,s="x",u=3u `+ts1, `wild boyz`))}})
	add(pcase{name: "influx/upstream-parser/udp", scheme: "udp", conf: listener("influx", `influx_parser_type = "upstream"`),
		steps: []step{send(lines(`a,t=1 v=1i `+ts0, `b f=1.5 `+ts1)), send(lines(`a v=1i `+ts0, `wild boyz`))}})

	add(pcase{name: "influx/line-at-64KiB-limit/tcp", scheme: "tcp", conf: listener("influx"),
		steps: []step{
			// 65 536 bytes with its newline: fits the scanner's buffer
			sendOn(0, `fits s="`+repeat("x", 65536-len(`fits s="" `+ts0+"\n"))+`" `+ts0+"\n"), closeConn(0),
			// one byte more: token too long
			sendOn(1, `over s="`+repeat("x", 65537-len(`over s="" `+ts0+"\n"))+`" `+ts0+"\n"), closeConn(1),
			sendOn(2, "after v=1i "+ts1+"\n")}})
	// Above 64 KiB, read_buffer_size is the longest line a tcp connection
	// takes: Telegraf allocates the whole buffer at once, fakegraf grows it
	// up to that size (listener.ReadStream), and the limit must not move.
	add(pcase{name: "influx/line-at-read_buffer_size-limit/tcp", scheme: "tcp", conf: listener("influx", `read_buffer_size = "256KiB"`),
		steps: []step{
			sendOn(0, `fits s="`+repeat("x", 262144-len(`fits s="" `+ts0+"\n"))+`" `+ts0+"\n"), closeConn(0),
			sendOn(1, `over s="`+repeat("x", 262145-len(`over s="" `+ts0+"\n"))+`" `+ts0+"\n"), closeConn(1),
			sendOn(2, "after v=1i "+ts1+"\n")}})
	// read_buffer_size on udp sets SO_RCVBUF only: a datagram larger than
	// it still arrives whole. With so small a kernel buffer a second
	// datagram sent at once may be dropped by the kernel, on either side
	// at random: the pause lets the reader drain it first.
	add(pcase{name: "influx/read_buffer_size-small/udp", scheme: "udp", conf: listener("influx", `read_buffer_size = "1KiB"`),
		steps: []step{send(repeat("cpu,host=h usage_idle=98.25 "+ts0+"\n", 60)), pause(100 * time.Millisecond), send("ok v=1i " + ts0 + "\n")}})
	add(pcase{name: "influx/extreme-timestamps/tcp", scheme: "tcp", conf: listener("influx"),
		steps: []step{send(lines("a v=1i -1000", "b v=1i 9223372036854775807", "c v=1i 9223372036854775808", "d v=1i 0", "e v=1i 1.5"))}})
	add(pcase{name: "influx/inf-and-nan/udp", scheme: "udp", conf: listener("influx"),
		steps: []step{send(lines("a v=+Inf " + ts0)), send(lines("b v=NaN " + ts0)), send(lines("c v=1e400 " + ts0)), send(lines("d v=1,w=inf " + ts0))}})
	add(pcase{name: "influx/field-types/tcp", scheme: "tcp", conf: listener("influx"),
		steps: []step{send(lines(`a i=-9223372036854775808i,u=18446744073709551615u,f=1e-300,t=T,F=false,s="",e=1E5 `+ts0, `b i=9223372036854775808i `+ts0, `c u=-1u `+ts0))}})

	// json
	add(pcase{name: "json/several-documents-in-one-datagram/udp", scheme: "udp", conf: listener("json"), time: timeNow,
		steps: []step{send(`{"a":1}` + "\n" + `{"a":2}` + "\n"), send(`{"a":3}` + "\n")}})
	add(pcase{name: "json/big-numbers/tcp", scheme: "tcp", conf: listener("json"), time: timeNow,
		steps: []step{send(`{"a":1e400}` + "\n"), send(`{"b":12345678901234567890,"c":-0.0,"d":1e-400}` + "\n")}})
	add(pcase{name: "json/glued-without-newline/tcp", scheme: "tcp", conf: listener("json"), time: timeNow,
		steps: []step{send(`{"a":1}{"a":2}{"a":3}`), send("\n" + `{"a":4}` + "\n")}})
	add(pcase{name: "json/glued-without-newline/udp", scheme: "udp", conf: listener("json"), time: timeNow,
		steps: []step{send(`{"a":1}{"a":2}`), send(`{"a":4}`)}})
	add(pcase{name: "json/array/udp", scheme: "udp", conf: listener("json"), time: timeNow,
		steps: []step{send(`[{"a":1,"b":{"c":2}},{"a":3},[{"a":5}]]`), send(`[]`)}})
	add(pcase{name: "json/array/tcp", scheme: "tcp", conf: listener("json"), time: timeNow,
		steps: []step{send(`[{"a":1,"b":{"c":2}},{"a":3}]` + "\n" + `[1,2,3]` + "\n")}})
	add(pcase{name: "json/strings-dropped/tcp", scheme: "tcp", conf: listener("json"), time: timeNow,
		steps: []step{send(`{"a":1,"s":"text","n":{"x":"y","z":2},"b":false,"nul":null}` + "\n")}})
	add(pcase{name: "json/json_string_fields/tcp", scheme: "tcp", conf: listener("json", `json_string_fields = ["s", "n_*"]`), time: timeNow,
		steps: []step{send(`{"a":1,"s":"text","n":{"x":"y","z":2}}` + "\n"), send(`{"s":"only a string field"}` + "\n")}})
	add(pcase{name: "json/no-numeric-field-dropped-silently/tcp", scheme: "tcp", conf: listener("json"), time: timeNow, silent: true,
		steps: []step{send(`{"s":"only strings","t":"x"}` + "\n"), send(`{}` + "\n")}})
	add(pcase{name: "json/no-numeric-field-dropped-silently/udp", scheme: "udp", conf: listener("json"), time: timeNow, silent: true,
		steps: []step{send(`{"s":"only strings"}`)}})
	add(pcase{name: "json/pretty-printed/tcp", scheme: "tcp", conf: listener("json"), time: timeNow,
		steps: []step{send("{\n  \"a\": 1,\n  \"b\": 2\n}\n")}})
	add(pcase{name: "json/pretty-printed/udp", scheme: "udp", conf: listener("json"), time: timeNow,
		steps: []step{send("{\n  \"a\": 1,\n  \"b\": 2\n}\n")}})
	add(pcase{name: "json/crlf/tcp", scheme: "tcp", conf: listener("json"), time: timeNow,
		steps: []step{send(`{"a":1}` + "\r\n" + `{"a":2}` + "\r\n")}})
	add(pcase{name: "json/bom/tcp", scheme: "tcp", conf: listener("json"), time: timeNow,
		steps: []step{send(bom + `{"a":1}` + "\n"), send(`{"a":2}` + "\n")}})
	add(pcase{name: "json/bom/udp", scheme: "udp", conf: listener("json"), time: timeNow,
		steps: []step{send(bom + `{"a":1}`), send(`{"a":2}`)}})
	add(pcase{name: "json/binary-garbage/tcp", scheme: "tcp", conf: listener("json"), time: timeNow,
		steps: []step{sendBytes(garbage(400)), send("\n" + `{"a":1}` + "\n")}})
	add(pcase{name: "json/binary-garbage/udp", scheme: "udp", conf: listener("json"), time: timeNow,
		steps: []step{sendBytes(garbage(400)), send(`{"a":1}`)}})
	add(pcase{name: "json/blank-records/tcp", scheme: "tcp", conf: listener("json"), time: timeNow,
		steps: []step{send("\n \n"), send(`{"a":1}` + "\n")}})
	add(pcase{name: "json/scalar-and-null/tcp", scheme: "tcp", conf: listener("json"), time: timeNow,
		steps: []step{send("42\nnull\n\"s\"\ntrue\n" + `{"a":1}` + "\n")}})
	add(pcase{name: "json/last-record-without-newline/tcp", scheme: "tcp", conf: listener("json"), time: timeNow,
		steps: []step{send(`{"a":1}` + "\n" + `{"a":2}`)}})

	// wavefront
	add(pcase{name: "wavefront/no-source/tcp", scheme: "tcp", conf: listener("wavefront"),
		steps: []step{send("cpu.load 1.5 1700000000\n"), send("cpu.load 2.5 1700000000 region=eu\n")}})
	add(pcase{name: "wavefront/no-source/udp", scheme: "udp", conf: listener("wavefront"),
		steps: []step{send("cpu.load 1.5 1700000000\n")}})
	add(pcase{name: "wavefront/ms-timestamp/tcp", scheme: "tcp", conf: listener("wavefront"),
		steps: []step{send("cpu.load 1.5 1700000000123 source=h\n"), send("cpu.load 1.5 1700000000123456 source=h\n")}})
	add(pcase{name: "wavefront/no-timestamp/udp", scheme: "udp", conf: listener("wavefront"), time: timeNow,
		steps: []step{send("cpu.load 1.5 source=h\n"), send("cpu.load 3 source=h region=\"eu west\"\n")}})
	add(pcase{name: "wavefront/bad-line-in-datagram/udp", scheme: "udp", conf: listener("wavefront"),
		steps: []step{send("a.b 1 1700000000 source=h\na.c x 1700000000 source=h\n"), send("a.d 1 1700000000 source=h\n")}})
	add(pcase{name: "wavefront/nan-and-inf/tcp", scheme: "tcp", conf: listener("wavefront"),
		steps: []step{send("a.b NaN 1700000000 source=h\n"), send("a.c +Inf 1700000000 source=h\n"), send("a.d 1e400 1700000000 source=h\n"), send("a.e 1 1700000000 source=h\n")}})
	add(pcase{name: "wavefront/crlf/tcp", scheme: "tcp", conf: listener("wavefront"),
		steps: []step{send("a.b 1 1700000000 source=h\r\na.c 2 1700000000 source=h\r\n")}})
	add(pcase{name: "wavefront/bom/tcp", scheme: "tcp", conf: listener("wavefront"),
		steps: []step{send(bom + "a.b 1 1700000000 source=h\n"), send("a.c 2 1700000000 source=h\n")}})
	add(pcase{name: "wavefront/binary-garbage/udp", scheme: "udp", conf: listener("wavefront"),
		steps: []step{sendBytes(garbage(400)), send("a.b 1 1700000000 source=h\n")}})
	add(pcase{name: "wavefront/binary-garbage/tcp", scheme: "tcp", conf: listener("wavefront"),
		steps: []step{sendBytes(garbage(400)), send("\na.b 1 1700000000 source=h\n")}})
	add(pcase{name: "wavefront/influx-sent-by-mistake/tcp", scheme: "tcp", conf: listener("wavefront"),
		steps: []step{send("cpu,host=a usage=1 " + ts0 + "\n"), send("a.b 1 1700000000 source=h\n")}})
	add(pcase{name: "influx/wavefront-sent-by-mistake/tcp", scheme: "tcp", conf: listener("influx"),
		steps: []step{send("a.b 1 1700000000 source=h\n"), send("ok v=1i " + ts0 + "\n")}})
	add(pcase{name: "influx/json-sent-by-mistake/udp", scheme: "udp", conf: listener("influx"),
		steps: []step{send(`{"a":1}`), send("ok v=1i " + ts0 + "\n")}})

	// value
	add(pcase{name: "value/integer/tcp", scheme: "tcp", conf: listener("value", `data_type = "integer"`, `value_field_name = "count"`), time: timeNow,
		steps: []step{send("42\n"), send("not a number\n"), send("7\n")}})
	add(pcase{name: "value/float/udp", scheme: "udp", conf: listener("value", `data_type = "float"`), time: timeNow,
		steps: []step{send("1.5"), send("1.5\n2.5\n"), send("x")}})

	// stream framing and connections
	add(pcase{name: "stream/interleaved-connections/tcp", scheme: "tcp", conf: listener("influx"),
		steps: []step{sendOn(0, "a,c=0 v=1i "), sendOn(1, "b,c=1 v=2i "+ts0+"\n"), pause(50 * time.Millisecond), sendOn(0, ts0+"\n"), closeConn(1), sendOn(2, "c,c=2 v=3i "+ts1)}})
	add(pcase{name: "stream/interleaved-connections/unix", scheme: "unix", conf: listener("influx"),
		steps: []step{sendOn(0, "a,c=0 v=1i "), sendOn(1, "b,c=1 v=2i "+ts0+"\n"), pause(50 * time.Millisecond), sendOn(0, ts0+"\n"), closeConn(1), sendOn(2, "c,c=2 v=3i "+ts1)}})
	add(pcase{name: "stream/max_connections/tcp", scheme: "tcp", conf: listener("influx", `max_connections = 1`),
		steps: []step{sendOn(0, "a v=1i "+ts0+"\n"), pause(200 * time.Millisecond), sendOn(1, "b v=2i "+ts1+"\n"), pause(200 * time.Millisecond), sendOn(0, "c v=3i "+ts2+"\n")}})
	add(pcase{name: "stream/max_connections/unix", scheme: "unix", conf: listener("influx", `max_connections = 1`),
		steps: []step{sendOn(0, "a v=1i "+ts0+"\n"), pause(200 * time.Millisecond), sendOn(1, "b v=2i "+ts1+"\n"), pause(200 * time.Millisecond), sendOn(0, "c v=3i "+ts2+"\n")}})
	// allowed_sources: Telegraf drops data from other senders silently (a
	// finding in fakegraf, outside the compared rules) and refuses every
	// unix connection with an error.
	for _, scheme := range []string{"tcp", "udp"} {
		add(pcase{name: "allowed_sources-other-sender/" + scheme, scheme: scheme, conf: listener("influx", `allowed_sources = ["10.0.0.5"]`), silent: true,
			steps: []step{send("a v=1i " + ts0 + "\n")}})
		add(pcase{name: "allowed_sources-listed-sender/" + scheme, scheme: scheme, conf: listener("influx", `allowed_sources = ["127.0.0.1"]`),
			steps: []step{send("a v=1i " + ts0 + "\n")}})
	}
	add(pcase{name: "allowed_sources/unix", scheme: "unix", conf: listener("influx", `allowed_sources = ["127.0.0.1"]`),
		steps: []step{send("a v=1i " + ts0 + "\n")}})
	add(pcase{name: "stream/read_timeout/tcp", scheme: "tcp", conf: listener("influx", `read_timeout = "200ms"`),
		steps: []step{send("a v=1i " + ts0 + "\n"), pause(700 * time.Millisecond), send("b v=2i " + ts1 + "\n")}})
	add(pcase{name: "stream/read_timeout-cuts-unterminated/tcp", scheme: "tcp", conf: listener("influx", `read_timeout = "200ms"`),
		steps: []step{send("a v=1i " + ts0 + "\nb v=2i,w="), pause(700 * time.Millisecond), send("3i " + ts1 + "\n")}})
	// Telegraf sets the read deadline once per record (before each Scan),
	// so a record that trickles in for longer than read_timeout is cut
	// even though bytes keep arriving.
	add(pcase{name: "stream/read_timeout-trickled-record/tcp", scheme: "tcp", conf: listener("influx", `read_timeout = "500ms"`),
		steps: []step{send("a v="), pause(350 * time.Millisecond), send("1i,b="), pause(350 * time.Millisecond), send("2i " + ts0 + "\n")}})
	add(pcase{name: "stream/unixpacket-packet-over-4KiB", scheme: "unixpacket", conf: listener("influx"),
		steps: []step{send(`big,t=x s="` + repeat("y", 10000) + `" ` + ts0 + "\n"), send("after v=1i " + ts1 + "\n")}})
	add(pcase{name: "stream/unixpacket-record-split-across-packets", scheme: "unixpacket", conf: listener("influx"),
		steps: func() []step {
			var all strings.Builder
			for i := 0; i < 150; i++ {
				fmt.Fprintf(&all, "m,i=%03d v=%di %s\n", i, i, ts0)
			}
			s := all.String()
			// 3000-byte packets, cut mid-record
			var out []step
			for len(s) > 0 {
				n := min(3000, len(s))
				out = append(out, send(s[:n]))
				s = s[n:]
			}
			return out
		}()})
	// A record cut across two packets, the first 3000 bytes long: Telegraf's
	// scanner reads the socket into what is left of its 4 KiB buffer, and a
	// seqpacket read discards the rest of a packet that does not fit.
	add(pcase{name: "stream/unixpacket-partial-record-then-packet", scheme: "unixpacket", conf: listener("influx"),
		steps: func() []step {
			rec := `big s="` + repeat("z", 6000) + `" ` + ts0 + "\n"
			return []step{send(rec[:3000]), send(rec[3000:]), send("after v=1i " + ts1 + "\n")}
		}()})
	// The same above 64 KiB: with read_buffer_size = "160KiB" the first
	// 100,000-byte packet fits whole and the second is cut to what is
	// left. fakegraf must read into Telegraf's whole buffer from the start
	// here, where a tcp stream's buffer may grow (listener.ReadStream).
	add(pcase{name: "stream/unixpacket-long-packets-read_buffer_size", scheme: "unixpacket", conf: listener("influx", `read_buffer_size = "160KiB"`),
		steps: func() []step {
			rec := `big s="` + repeat("z", 199000) + `" ` + ts0 + "\n"
			return []step{send(rec[:100000]), send(rec[100000:]), send("after v=1i " + ts1 + "\n")}
		}()})
	// Exactly 64 KiB without a newline fills the scanner: token too long.
	// Telegraf then closes the connection at once, so the next one is
	// within max_connections.
	add(pcase{name: "stream/token-too-long-connection-kept-open/tcp", scheme: "tcp", conf: listener("influx", `max_connections = 1`),
		steps: []step{sendOn(0, repeat("x", 65536)), pause(300 * time.Millisecond), sendOn(1, "a v=1i "+ts0+"\n"), closeConn(1), closeConn(0)}})
	add(pcase{name: "stream/splitting-delimiter/tcp", scheme: "tcp", conf: listener("influx", `splitting_strategy = "delimiter"`, `splitting_delimiter = "0x3B"`),
		steps: []step{send("a v=1i " + ts0 + ";b v=2i "), send(ts1 + ";c v="), send(";d v=4i " + ts3)}})
	add(pcase{name: "stream/splitting-null/unix", scheme: "unix", conf: listener("influx", `splitting_strategy = "null"`),
		steps: []step{send("a v=1i " + ts0 + "\x00b v=2i " + ts1 + "\x00c v=3i " + ts2)}})
	add(pcase{name: "stream/splitting-fixed-length/tcp", scheme: "tcp", conf: listener("value", `data_type = "string"`, `splitting_strategy = "fixed length"`, `splitting_length = 4`), time: timeNow,
		steps: []step{send("abcdefgh"), send("ij"), send("kl\n\nxx")}})
	add(pcase{name: "stream/splitting-variable-length/tcp", scheme: "tcp",
		conf:  listener("influx", `splitting_strategy = "variable length"`, `splitting_length_field = {offset = 0, bytes = 2, endianness = "be", header_length = 2}`),
		steps: []step{sendBytes(frame("a v=1i " + ts0)), sendBytes(append(frame("b v=2i "+ts1), frame("c v=")...)), sendBytes(frame("d v=4i " + ts3)[:5])}})

	// content encoding
	add(pcase{name: "gzip/datagrams/udp", scheme: "udp", conf: listener("influx", `content_encoding = "gzip"`),
		steps: []step{sendBytes(gzipped(lines("a v=1i "+ts0, "b v=2i "+ts1))), send("c v=3i " + ts2 + "\n")}})
	add(pcase{name: "gzip/stream/tcp", scheme: "tcp", conf: listener("influx", `content_encoding = "gzip"`),
		steps: []step{sendBytes(gzipped(lines("a v=1i "+ts0, "b v=2i "+ts1))), closeConn(0), sendOn(1, "c v=3i "+ts2+"\n")}})
	add(pcase{name: "content_encoding-unknown/tcp", scheme: "tcp", conf: listener("influx", `content_encoding = "br"`),
		steps: []step{send("a v=1i " + ts0 + "\n"), closeConn(0), sendOn(1, "b v=1i "+ts0+"\n")}})
	// Telegraf starts, logs "creating decoder failed" and loses every
	// datagram (its parse workers panic on the missing decoder).
	add(pcase{name: "content_encoding-unknown/udp", scheme: "udp", conf: listener("influx", `content_encoding = "br"`),
		deliberate: `invalid content_encoding "br" for udp`})
	add(pcase{name: "gzip/auto-with-plain-datagram/udp", scheme: "udp", conf: listener("influx", `content_encoding = "auto"`),
		steps: []step{sendBytes(gzipped(lines("a v=1i " + ts0))), send("c v=3i " + ts2 + "\n")}})
	return out
}

func configCases() []pcase {
	var out []pcase
	add := func(c pcase) { out = append(out, c) }
	jsonDoc := `{"name":"temp","value":21.5,"room":"kitchen","dc":"eu-1","tag_a":"x","tag_b":"y","ts":1700000000}` + "\n"

	add(pcase{name: "config/json_name_key/tcp", scheme: "tcp", conf: listener("json", `json_name_key = "name"`), time: timeNow,
		steps: []step{send(jsonDoc), send(`{"value":1}` + "\n"), send(`{"name":5,"value":1}` + "\n")}})
	add(pcase{name: "config/json_name_key/udp", scheme: "udp", conf: listener("json", `json_name_key = "name"`), time: timeNow,
		steps: []step{send(jsonDoc), send(`[{"name":"a","v":1},{"name":"b","v":2}]`)}})
	add(pcase{name: "config/name_override-json/tcp", scheme: "tcp", conf: listener("json", `name_override = "renamed"`, `json_name_key = "name"`), time: timeNow,
		steps: []step{send(jsonDoc)}})
	add(pcase{name: "config/name_override-influx/udp", scheme: "udp", conf: listener("influx", `name_override = "renamed"`),
		steps: []step{send(lines("a v=1i "+ts0, "b v=2i "+ts1))}})
	add(pcase{name: "config/name_prefix-suffix/tcp", scheme: "tcp", conf: listener("influx", `name_prefix = "pre_"`, `name_suffix = "_post"`),
		steps: []step{send(lines("a v=1i " + ts0))}})
	add(pcase{name: "config/tag_keys/tcp", scheme: "tcp", conf: listener("json", `tag_keys = ["room", "dc", "missing"]`), time: timeNow,
		steps: []step{send(jsonDoc)}})
	add(pcase{name: "config/tag_keys-glob-and-nested/udp", scheme: "udp", conf: listener("json", `tag_keys = ["tag_*", "meta_host"]`), time: timeNow,
		steps: []step{send(jsonDoc), send(`{"meta":{"host":"h1"},"v":1}`)}})
	add(pcase{name: "config/tag_keys-numeric-value/tcp", scheme: "tcp", conf: listener("json", `tag_keys = ["id", "value"]`), time: timeNow,
		steps: []step{send(`{"id":7,"value":1.5,"other":2}` + "\n")}})
	add(pcase{name: "config/json_time_key-unix/tcp", scheme: "tcp", conf: listener("json", `json_time_key = "ts"`, `json_time_format = "unix"`),
		steps: []step{send(jsonDoc), send(`{"ts":1700000000.5,"v":1}` + "\n"), send(`{"ts":"1700000002","v":2}` + "\n")}})
	add(pcase{name: "config/json_time_key-missing/tcp", scheme: "tcp", conf: listener("json", `json_time_key = "ts"`, `json_time_format = "unix"`),
		steps: []step{send(`{"v":1}` + "\n"), send(`{"ts":1700000000,"v":2}` + "\n")}})
	add(pcase{name: "config/json_time_key-unix_ms/udp", scheme: "udp", conf: listener("json", `json_time_key = "ts"`, `json_time_format = "unix_ms"`),
		steps: []step{send(`{"ts":1700000000123,"v":1}`), send(`{"ts":1700000000,"v":2}`)}})
	add(pcase{name: "config/json_time_key-layout/tcp", scheme: "tcp", conf: listener("json", `json_time_key = "time"`, `json_time_format = "2006-01-02T15:04:05Z07:00"`),
		steps: []step{send(`{"time":"2023-11-14T22:13:20+01:00","v":1}` + "\n"), send(`{"time":"2023-11-14 22:13:20","v":2}` + "\n")}})
	add(pcase{name: "config/json_time_key-layout-timezone/tcp", scheme: "tcp", conf: listener("json", `json_time_key = "time"`, `json_time_format = "2006-01-02 15:04:05"`, `json_timezone = "Europe/Paris"`),
		steps: []step{send(`{"time":"2023-11-14 22:13:20","v":1}` + "\n"), send(`{"time":"2023-07-01 12:00:00","v":2}` + "\n")}})
	add(pcase{name: "config/influx_timestamp_precision-1ms/tcp", scheme: "tcp", conf: listener("influx", `influx_timestamp_precision = "1ms"`),
		steps: []step{send(lines("a v=1i 1700000000123", "b v=2i 1700000000"))}})
	add(pcase{name: "config/influx_timestamp_precision-1s/udp", scheme: "udp", conf: listener("influx", `influx_timestamp_precision = "1s"`),
		steps: []step{send(lines("a v=1i 1700000000", "b v=2i 1700000001"))}})
	add(pcase{name: "config/input-precision-1s/tcp", scheme: "tcp", conf: listener("influx", `precision = "1s"`),
		steps: []step{send(lines("a v=1i 1700000000123456789", "b v=2i 1700000000623456789"))}})
	// Configs Telegraf refuses to start with.
	for _, r := range []struct{ name, scheme, option string }{
		// socket_listener documents receive_time, but RunningInput takes
		// time_source for itself and knows only metric, collection_start
		// and collection_end.
		{"time_source-receive_time", "udp", `time_source = "receive_time"`},
		{"splitting_delimiter-not-hex", "tcp", "splitting_strategy = \"delimiter\"\n  splitting_delimiter = \";\""},
		{"splitting_strategy-unknown", "unix", `splitting_strategy = "bogus"`},
		{"option-typo", "udp", `data_formt = "json"`},
		{"json_timezone-unknown", "tcp", "data_format = \"json\"\n  json_time_key = \"t\"\n  json_time_format = \"unix\"\n  json_timezone = \"Mars/Base\""},
		{"influx_timestamp_precision-invalid", "udp", `influx_timestamp_precision = "3ms"`},
		{"read_buffer_size-not-a-size", "tcp", `read_buffer_size = "lots"`},
	} {
		add(pcase{name: "rejected-config/" + r.name + "/" + r.scheme, scheme: r.scheme, conf: listener("", r.option), rejected: true})
	}
	add(pcase{name: "rejected-config/unknown-scheme", scheme: "tcp", rejected: true,
		conf: strings.Replace(listener("influx"), "{{ADDR}}", "foo://127.0.0.1:0", 1)})
	add(pcase{name: "config/global_tags/udp", scheme: "udp", conf: "[global_tags]\n  dc = \"eu-1\"\n  rack = \"r1\"\n\n" + listener("influx"),
		steps: []step{send(lines("a v=1i "+ts0, "b,dc=sender v=2i "+ts1))}})
	add(pcase{name: "config/global_tags-and-input-tags/tcp", scheme: "tcp",
		conf:  "[global_tags]\n  dc = \"eu-1\"\n\n" + listener("json", `json_name_key = "name"`) + "  [inputs.socket_listener.tags]\n    env = \"test\"\n    dc = \"input\"\n",
		time:  timeNow,
		steps: []step{send(jsonDoc)}})
	add(pcase{name: "config/host-tag-default/tcp", scheme: "tcp", conf: listener("influx"),
		steps: []step{send(lines("a v=1i "+ts0, "b,host=sender v=2i "+ts1))}})
	add(pcase{name: "config/host-tag-agent-hostname/udp", scheme: "udp", conf: listener("influx"), agent: "  hostname = \"fixed-host\"\n",
		steps: []step{send(lines("a v=1i "+ts0, "b,host=sender v=2i "+ts1))}})
	add(pcase{name: "config/omit_hostname/tcp", scheme: "tcp", conf: listener("json"), omitHostname: true, time: timeNow,
		steps: []step{send(`{"v":1}` + "\n")}})
	add(pcase{name: "config/namepass-fieldexclude/tcp", scheme: "tcp", conf: listener("influx", `namepass = ["cpu*"]`, `fieldexclude = ["secret"]`),
		steps: []step{send(lines("cpu v=1i,secret=2i "+ts0, "mem v=2i "+ts1, "cpu_x secret=3i "+ts2))}})
	add(pcase{name: "config/tagexclude-taginclude/udp", scheme: "udp", conf: listener("influx", `tagexclude = ["drop"]`),
		steps: []step{send(lines("cpu,keep=1,drop=2 v=1i " + ts0))}})
	add(pcase{name: "config/json_query/tcp", scheme: "tcp", conf: listener("json", `json_query = "metrics"`), time: timeNow,
		steps: []step{send(`{"metrics":[{"v":1},{"v":2}],"other":3}` + "\n"), send(`{"nothing":1}` + "\n")}})
	add(pcase{name: "config/agent-precision-not-applied/tcp", scheme: "tcp", conf: listener("influx"), agent: "  precision = \"1s\"\n",
		steps: []step{send(lines("a v=1i 1700000000123456789"))}})
	add(pcase{name: "config/two-listeners/udp+tcp", scheme: "udp", second: "tcp",
		conf:  listener("influx", `name_prefix = "udp_"`) + "\n" + strings.Replace(listener("json", `json_name_key = "name"`), "{{ADDR}}", "{{ADDR2}}", 1),
		time:  timeNow,
		steps: []step{send(lines("a v=1i")), {to: 1, data: []byte(`{"name":"b","v":2}` + "\n")}, send(lines("bad line")), {to: 1, data: []byte("{bad\n")}}})
	add(pcase{name: "config/two-listeners/unixgram+unix", scheme: "unixgram", second: "unix",
		conf: listener("influx", `alias = "dgram"`) + "\n" + strings.Replace(listener("influx", `alias = "stream"`, `max_connections = 1`), "{{ADDR}}", "{{ADDR2}}", 1),
		steps: []step{send(lines("a v=1i " + ts0)), {to: 1, data: []byte("b v=2i " + ts1 + "\n")}, pause(200 * time.Millisecond), {to: 1, conn: 1, data: []byte("c v=3i " + ts2 + "\n")},
			// let the listener refuse connection 1 before connection 0 ends
			pause(200 * time.Millisecond)}})
	add(pcase{name: "config/alias/tcp", scheme: "tcp", conf: listener("influx", `alias = "mine"`),
		steps: []step{send(lines("a v=1i "+ts0, "bad line"))}})
	return out
}

func allCases() []pcase {
	out := matrixCases()
	out = append(out, senderCases()...)
	return append(out, configCases()...)
}

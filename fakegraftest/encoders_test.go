package fakegraftest_test

import (
	"math"
	"strings"
	"testing"
	"time"

	influxdb1 "github.com/influxdata/influxdb1-client/v2"
	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/influxdata/telegraf"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/fakegraftest"
	"github.com/fakegraf/fakegraf/parse"
)

// InfluxData's own encoders escape what line protocol needs escaped, and
// Telegraf and InfluxDB keep every byte of what they write: a correct sender
// must pass under the default --fail-on (warning). What other formats would
// make of such names is worth knowing, no more (info).

// awkward is a point whose every part needs escaping: spaces, commas and
// equals signs in names and tags, quotes and a backslash in a string.
var awkward = struct {
	name   string
	tags   map[string]string
	fields map[string]any
}{
	name: "disk usage,total",
	tags: map[string]string{"device": "Samsung SSD 970", "path": `/a,b=c`, "vendor id": "x=1"},
	fields: map[string]any{
		"free bytes": int64(1024),
		"label":      `say "hi" \o/`,
		"ratio=used": 0.25,
	},
}

// requireNothingAtOrAboveWarning fails on a finding --fail-on warning
// (the default) would fail on, and lists it.
func requireNothingAtOrAboveWarning(t *testing.T, srv *fakegraftest.Server) {
	t.Helper()
	var bad []string
	for _, d := range srv.Findings() {
		if d.Severity >= parse.Warning {
			bad = append(bad, d.Severity.String()+"["+d.Rule+"] "+d.Message+" (fix: "+strings.Join(d.Fixes, "; ")+")")
		}
	}
	require.Empty(t, bad, "a correct, escaped record must pass under --fail-on warning")
}

func requireAwkwardStored(t *testing.T, m telegraf.Metric) {
	t.Helper()
	require.Equal(t, awkward.name, m.Name())
	require.Equal(t, awkward.tags, m.Tags())
	require.Equal(t, awkward.fields, m.Fields())
}

func TestLineProtocolEncoderOverTCPPasses(t *testing.T) {
	srv := fakegraftest.NewServer(t, "tcp")
	conn, err := srv.Dial()
	require.NoError(t, err)

	var enc lineprotocol.Encoder
	enc.SetPrecision(lineprotocol.Nanosecond)
	// The record: disk\ usage,device=Samsung\ SSD\ 970 free\ bytes=1024i
	enc.StartLine("disk usage")
	enc.AddTag("device", "Samsung SSD 970")
	enc.AddField("free bytes", lineprotocol.MustNewValue(int64(1024)))
	enc.EndLine(time.Time{})
	enc.StartLine(awkward.name)
	for _, k := range []string{"device", "path", "vendor id"} { // the encoder wants them sorted
		enc.AddTag(k, awkward.tags[k])
	}
	for _, k := range []string{"free bytes", "label", "ratio=used"} {
		enc.AddField(k, lineprotocol.MustNewValue(awkward.fields[k]))
	}
	enc.EndLine(time.Now())
	require.NoError(t, enc.Err())
	require.Contains(t, string(enc.Bytes()), `disk\ usage,device=Samsung\ SSD\ 970 free\ bytes=1024i`+"\n")

	_, err = conn.Write(enc.Bytes())
	require.NoError(t, err)
	require.NoError(t, conn.Close())
	ms := srv.WaitForMetrics(t, 2, 5*time.Second)
	srv.Close()

	require.Equal(t, "disk usage", ms[0].Name())
	require.Equal(t, map[string]string{"device": "Samsung SSD 970"}, ms[0].Tags())
	require.Equal(t, map[string]any{"free bytes": int64(1024)}, ms[0].Fields())
	requireAwkwardStored(t, ms[1])
	requireNothingAtOrAboveWarning(t, srv)
}

// writeV1UDP sends points to srv with InfluxData's v1 UDP client.
func writeV1UDP(t *testing.T, srv *fakegraftest.Server, points ...*influxdb1.Point) {
	t.Helper()
	c, err := influxdb1.NewUDPClient(influxdb1.UDPConfig{Addr: srv.Addr()})
	require.NoError(t, err)
	defer c.Close()
	bp, err := influxdb1.NewBatchPoints(influxdb1.BatchPointsConfig{Precision: "ns"})
	require.NoError(t, err)
	bp.AddPoints(points)
	require.NoError(t, c.Write(bp))
}

func newV1Point(t *testing.T, name string, tags map[string]string, fields map[string]any) *influxdb1.Point {
	t.Helper()
	p, err := influxdb1.NewPoint(name, tags, fields, time.Now())
	require.NoError(t, err)
	return p
}

func TestInfluxDB1UDPClientPasses(t *testing.T) {
	srv := fakegraftest.NewServer(t, "udp")
	writeV1UDP(t, srv,
		newV1Point(t, awkward.name, awkward.tags, awkward.fields),
		// The v1 client writes uint64 as 1u; below 2^63 the value survives
		// Telegraf's influx output at its defaults.
		newV1Point(t, "disk usage", map[string]string{"device": "Samsung SSD 970"}, map[string]any{"free bytes": uint64(math.MaxInt64)}))

	ms := srv.WaitForMetrics(t, 2, 5*time.Second)
	srv.Close()
	requireAwkwardStored(t, ms[0])
	require.Equal(t, map[string]any{"free bytes": uint64(math.MaxInt64)}, ms[1].Fields())
	requireNothingAtOrAboveWarning(t, srv)
}

// An unsigned value above 2^63-1, which the v1 client writes as it is
// (18446744073709551615u), is clamped by Telegraf's influx output: not
// silent.
func TestInfluxDB1UDPClientUintAboveInt64IsReported(t *testing.T) {
	srv := fakegraftest.NewServer(t, "udp")
	writeV1UDP(t, srv, newV1Point(t, "net", map[string]string{"iface": "eth0"}, map[string]any{"rx_bytes": uint64(math.MaxUint64)}))

	ms := srv.WaitForMetrics(t, 1, 5*time.Second)
	srv.Close()
	require.Equal(t, map[string]any{"rx_bytes": uint64(math.MaxUint64)}, ms[0].Fields(), "the parser keeps it; the output clamps it")
	fs := srv.Findings()
	require.Len(t, fs, 1)
	require.Equal(t, "uint-overflow", fs[0].Rule)
	require.Equal(t, parse.Error, fs[0].Severity)
	require.Contains(t, fs[0].Message, "9223372036854775807i")
}

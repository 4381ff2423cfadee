//go:build parity

package parity

import (
	"context"
	"fmt"
	"strings"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	influxdb1 "github.com/influxdata/influxdb1-client/v2"
)

// clientCases are real client libraries writing to the InfluxDB
// listeners, as programs do: the official Go client for InfluxDB 2
// (github.com/influxdata/influxdb-client-go/v2, its blocking write API)
// against influxdb_v2_listener, and the InfluxDB 1 client
// (github.com/influxdata/influxdb1-client/v2) against influxdb_listener.
// Each call the library makes is an answer: what it returned, with the
// side's address taken out. The stored metrics are compared as for every
// HTTP case.
func clientCases() []hcase {
	return []hcase{
		{name: "influxdb-client-go", input: "influxdb_v2_listener", opts: []string{`token = "s3cr3t"`}, client: goClientV2},
		{name: "influxdb1-client", input: "influxdb_listener", opts: []string{`basic_username = "user"`, `basic_password = "pass"`}, client: goClientV1},
	}
}

// clientTime is the points' time: sub-second digits down to the
// nanosecond, so that each precision drops some of them.
var clientTime = time.Unix(1700000000, 123456789)

func called(e endpoint, call string, err error) answer {
	a := answer{Conn: call, Body: "ok"}
	if err != nil {
		a.Body = "error: " + normalize(strings.ReplaceAll(err.Error(), e.base, "<base>"))
	}
	return a
}

func goClientV2(e endpoint) []answer {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []answer
	for _, p := range []time.Duration{time.Nanosecond, time.Microsecond, time.Millisecond, time.Second} {
		opts := influxdb2.DefaultOptions().SetUseGZip(true).SetPrecision(p).SetHTTPClient(e.client())
		c := influxdb2.NewClientWithOptions(e.base, "s3cr3t", opts)
		w := c.WriteAPIBlocking("myorg", "mybucket")
		pt := influxdb2.NewPoint("client_v2",
			map[string]string{"precision": p.String(), "host": "a b"},
			map[string]any{"f": 1.5, "i": int64(-3), "u": uint64(7), "b": true, "s": `say "hi"`},
			clientTime)
		out = append(out, called(e, "WritePoint precision "+p.String(), w.WritePoint(ctx, pt)))
		out = append(out, called(e, "WriteRecord precision "+p.String(),
			w.WriteRecord(ctx, fmt.Sprintf("client_v2_record,precision=%s v=1i %d", p, clientTime.UnixNano()/int64(p)))))
		c.Close()
	}
	// A batch with a bad line, a wrong token, a missing bucket: what the
	// library reports to the program.
	c := influxdb2.NewClientWithOptions(e.base, "s3cr3t", influxdb2.DefaultOptions().SetUseGZip(true).SetHTTPClient(e.client()))
	out = append(out, called(e, "WriteRecord with a bad line",
		c.WriteAPIBlocking("myorg", "mybucket").WriteRecord(ctx, "good_v2 v=1i 1700000000000000001", "bad line", "good_v2 v=2i 1700000000000000002")))
	out = append(out, called(e, "WriteRecord without bucket", c.WriteAPIBlocking("myorg", "").WriteRecord(ctx, "nobucket v=1i 1700000000000000001")))
	ok, err := c.Ping(ctx)
	out = append(out, called(e, fmt.Sprintf("Ping: %t", ok), err))
	c.Close()
	wrong := influxdb2.NewClientWithOptions(e.base, "nope", influxdb2.DefaultOptions().SetHTTPClient(e.client()))
	out = append(out, called(e, "WriteRecord with a wrong token", wrong.WriteAPIBlocking("myorg", "mybucket").WriteRecord(ctx, "denied v=1i 1700000000000000001")))
	wrong.Close()
	return out
}

func goClientV1(e endpoint) []answer {
	var out []answer
	c, err := influxdb1.NewHTTPClient(influxdb1.HTTPConfig{Addr: e.base, Username: "user", Password: "pass", Timeout: 20 * time.Second})
	if err != nil {
		return []answer{called(e, "NewHTTPClient", err)}
	}
	defer c.Close()
	for _, p := range []string{"ns", "us", "ms", "s", "m", "h"} {
		bp, err := influxdb1.NewBatchPoints(influxdb1.BatchPointsConfig{Database: "mydb", Precision: p})
		if err != nil {
			out = append(out, called(e, "NewBatchPoints precision "+p, err))
			continue
		}
		pt, err := influxdb1.NewPoint("client_v1",
			map[string]string{"precision": p, "host": "a b"},
			map[string]any{"f": 1.5, "i": int64(-3), "b": true, "s": `say "hi"`},
			clientTime)
		if err != nil {
			out = append(out, called(e, "NewPoint precision "+p, err))
			continue
		}
		bp.AddPoint(pt)
		out = append(out, called(e, "Write precision "+p, c.Write(bp)))
	}
	_, version, err := c.Ping(0)
	out = append(out, called(e, "Ping: version "+version, err))
	bad, err := influxdb1.NewHTTPClient(influxdb1.HTTPConfig{Addr: e.base, Username: "user", Password: "nope", Timeout: 20 * time.Second})
	if err == nil {
		bp, _ := influxdb1.NewBatchPoints(influxdb1.BatchPointsConfig{Database: "mydb"})
		pt, _ := influxdb1.NewPoint("denied", nil, map[string]any{"v": 1}, clientTime)
		bp.AddPoint(pt)
		out = append(out, called(e, "Write with a wrong password", bad.Write(bp)))
		bad.Close()
	}
	return out
}

package fakegraftest_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/fakegraf/fakegraf/fakegraftest"
)

// The tutorial's Example 1: JSON over UDP with json_name_key.
func Example() {
	srv, err := fakegraftest.Start("udp", fakegraftest.DataFormat("json"), fakegraftest.Option("json_name_key", `"metric_name"`))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	// The code under test sends to srv.Network(), srv.Addr().
	conn, err := net.Dial(srv.Network(), srv.Addr())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, `{"metric_name": "good_metric_name", "value1": 10}`)

	metrics, err := srv.Await(1, 5*time.Second)
	if err != nil {
		panic(err)
	}
	fmt.Println(metrics[0].Name(), metrics[0].Fields())
	// Output: good_metric_name map[value1:10]
}

// Findings say what is wrong with what the code under test sent, with
// Telegraf's own message.
func ExampleServer_Findings() {
	srv, err := fakegraftest.Start("tcp")
	if err != nil {
		panic(err)
	}
	conn, err := net.Dial(srv.Network(), srv.Addr())
	if err != nil {
		panic(err)
	}
	fmt.Fprint(conn, "cpu,host=a usage=1\nwild boyz\n")
	conn.Close()
	if _, err := srv.Await(1, 5*time.Second); err != nil {
		panic(err)
	}
	srv.Close() // waits until everything that arrived is processed

	for _, d := range srv.Findings() {
		fmt.Printf("%s %s: %s\n", d.Severity, d.Rule, d.Message)
	}
	fmt.Println(len(srv.Metrics()), "metric(s) stored")
	// Output:
	// error parse-error: metric parse error: expected field at 1:10: "wild boyz"
	// 1 metric(s) stored
}

// With the API option the server also serves fakegraf's HTTP API, for code
// under test that waits on it or reads it, as it would beside a fakegraf
// started with --http.
func ExampleAPI() {
	srv, err := fakegraftest.Start("udp", fakegraftest.API())
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	conn, err := net.Dial(srv.Network(), srv.Addr())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "cpu,host=web1 usage_idle=99.5 1795608000000000000\n")

	resp, err := http.Post(srv.APIURL+"/api/v1/wait", "application/json",
		strings.NewReader(`{"expect": ["exactly 1 cpu,host=web1 usage_idle:float"], "timeout": "5s"}`))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var answer struct {
		OK bool `json:"ok"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		panic(err)
	}
	fmt.Println("ok:", answer.OK)
	// Output: ok: true
}

// An InfluxDB 2.x client writes to a Telegraf [[inputs.influxdb_v2_listener]]:
// give it srv.HTTPURL. The answer is Telegraf's own, and a result carries it.
func ExampleInfluxDBV2() {
	srv, err := fakegraftest.Start("tcp", fakegraftest.InfluxDBV2())
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	// What influxdb-client-go's WriteAPIBlocking sends, with the
	// millisecond timestamp of a client that forgot precision=ms.
	resp, err := http.Post(srv.HTTPURL+"/api/v2/write?org=my-org&bucket=my-bucket", "text/plain; charset=utf-8",
		strings.NewReader("cpu,host=a usage=1 1700000000000\n"))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println("answered", resp.StatusCode)

	metrics, err := srv.Await(1, 5*time.Second)
	if err != nil {
		panic(err)
	}
	fmt.Println(metrics[0].Name(), metrics[0].Time().UTC().Format(time.RFC3339Nano))
	ex := srv.Results()[0].Record.HTTP
	fmt.Println(ex.Method, ex.Path, ex.Status)
	// Output:
	// answered 204
	// cpu 1970-01-01T00:28:20Z
	// POST /api/v2/write 204
}

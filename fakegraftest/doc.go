// Package fakegraftest starts fakegraf inside a Go test, in the style of
// net/http/httptest: a Server binds a socket like Telegraf's
// [[inputs.socket_listener]] on a free loopback port or a temporary unix
// socket path, parses what the code under test sends with Telegraf's own
// parsers, and lets the test read the metrics Telegraf would store and the
// findings about them, assert that there are none, or compare with a golden
// file. NewServer closes the server with t.Cleanup.
//
//	srv := fakegraftest.NewServer(t, "udp", fakegraftest.DataFormat("json"),
//		fakegraftest.Option("json_name_key", `"metric_name"`))
//	client := mylib.NewReporter(srv.Addr())
//	client.Report(...)
//	metrics := srv.WaitForMetrics(t, 1, 5*time.Second)
//	srv.RequireNoFindings(t)
//
// InfluxDB, InfluxDBV2 and HTTPListener make the server one of Telegraf's
// HTTP inputs instead, answering with Telegraf's own plugin; give the code
// under test Server.HTTPURL:
//
//	srv := fakegraftest.NewServer(t, "tcp", fakegraftest.InfluxDBV2())
//	client := influxdb2.NewClient(srv.HTTPURL, "")
//
// The host tag Telegraf adds is left out (as with omit_hostname = true), so
// that results are the same on every machine.
package fakegraftest

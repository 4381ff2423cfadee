//go:build parity

package parity

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestForwardHTTPStoresWhatDirectStores sends the same requests to a
// Telegraf directly and, through fakegraf --forward, to a second Telegraf
// of the same config, for each HTTP input: the client gets the same
// answers both ways (204, a 400 with Telegraf's error body, a 401 for a
// wrong credential), the two Telegrafs store the same metrics, and
// fakegraf stores what they store.
func TestForwardHTTPStoresWhatDirectStores(t *testing.T) {
	good := "cpu,host=a v=1i 1700000000000000000\ncpu v=2 1700000000000000001\n"
	bad := "mem v=3 1700000000000000002\nmem v=\nmem v=4 1700000000000000003\n"
	cases := []hcase{
		{name: "forward", input: "influxdb_v2_listener", opts: []string{`token = "s3cret"`}, reqs: []hreq{
			post("/api/v2/write?org=o&bucket=b", good, "Authorization: Token s3cret"),
			zipped(post("/api/v2/write?org=o&bucket=b", "disk v=5 1700000000000000004\n", "Authorization: Token s3cret", "Content-Encoding: gzip")),
			post("/api/v2/write?org=o&bucket=b", bad, "Authorization: Token s3cret"),
			post("/api/v2/write?org=o&bucket=b", good, "Authorization: Token wrong"),
		}},
		{name: "forward", input: "influxdb_listener", opts: []string{`basic_username = "u"`, `basic_password = "p"`}, reqs: []hreq{
			post("/write?db=x", good, "Authorization: Basic dTpw"),
			zipped(post("/write?db=x", "disk v=5 1700000000000000004\n", "Authorization: Basic dTpw", "Content-Encoding: gzip")),
			post("/write?db=x", bad, "Authorization: Basic dTpw"),
			post("/write?db=x", good, "Authorization: Basic dTp4"),
		}},
		{name: "forward", input: "http_listener_v2", opts: []string{`data_format = "influx"`, `basic_username = "u"`, `basic_password = "p"`}, reqs: []hreq{
			post("/telegraf", good, "Authorization: Basic dTpw"),
			zipped(post("/telegraf", "disk v=5 1700000000000000004\n", "Authorization: Basic dTpw", "Content-Encoding: gzip")),
			post("/telegraf", bad, "Authorization: Basic dTpw"),
			post("/telegraf", good, "Authorization: Basic dTp4"),
		}},
	}
	for _, c := range cases {
		t.Run(c.input, func(t *testing.T) {
			var reason string
			track(t, "forward (Telegraf direct vs through fakegraf --forward)", &reason)
			t.Parallel()
			slot(t)
			dir := shortDir(t)
			addr := func() string {
				if c.input == "http_listener_v2" {
					return "tcp://127.0.0.1:0"
				}
				return freePorts(t, 1)[0]
			}
			directOut, upOut, fgOut := filepath.Join(dir, "direct.out"), filepath.Join(dir, "up.out"), filepath.Join(dir, "fakegraf.out")
			directConf, upConf, fgConf := filepath.Join(dir, "direct.conf"), filepath.Join(dir, "up.conf"), filepath.Join(dir, "fakegraf.conf")
			writeFile(t, directConf, c.config(addr(), directOut))
			writeFile(t, upConf, c.config(addr(), upOut))
			direct := side{name: "telegraf", bin: telegrafBin, out: directOut, args: []string{"--config", directConf}}
			up := side{name: "telegraf", bin: telegrafBin, out: upOut, args: []string{"--config", upConf}}
			dp, dAddr := direct.start(t, dir, c.input, telegrafHTTPListening)
			upp, uAddr := up.start(t, dir, c.input, telegrafHTTPListening)
			upHost, err := hostPort(uAddr)
			if err != nil {
				t.Fatal(err)
			}
			// the telegraf.conf form: a comment Telegraf ignores
			fgText := c.config(addr(), filepath.Join(dir, "unused.out")) + "  # fakegraf: forward = \"http://" + upHost + "\"\n"
			writeFile(t, fgConf, fgText)
			fg := side{name: "fakegraf", bin: fakegrafBin, re: fakegrafListening, out: fgOut, args: fakegrafArgs(fgConf, fgOut), config: fgText}
			fp, fAddr := fg.start(t, dir, c.input, telegrafHTTPListening)
			dHost, err := hostPort(dAddr)
			if err != nil {
				t.Fatal(err)
			}
			fHost, err := hostPort(fAddr)
			if err != nil {
				t.Fatal(err)
			}

			var dAns, fAns []answer
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); dAns = do(endpoint{base: "http://" + dHost}, c.reqs, false) }()
			go func() { defer wg.Done(); fAns = do(endpoint{base: "http://" + fHost}, c.reqs, false) }()
			wg.Wait()
			want := []int{204, 204, 400, 401}
			for i := range dAns {
				if dAns[i].Status != want[i] {
					t.Errorf("request %d, %s: the direct Telegraf answered %d, want %d: the case proves less than it says", i, c.request(i), dAns[i].Status, want[i])
				}
				if d := cmp.Diff(dAns[i].String(), fAns[i].String()); d != "" {
					t.Errorf("request %d, %s: the client got another answer through fakegraf (-direct +forwarded):\n%s", i, c.request(i), d)
				}
			}

			settle(400*time.Millisecond, 500*time.Millisecond, dp, upp, fp)
			fp.stop(t)
			settle(200*time.Millisecond, 500*time.Millisecond, upp)
			wg.Add(2)
			go func() { defer wg.Done(); dp.stop(t) }()
			go func() { defer wg.Done(); upp.stop(t) }()
			wg.Wait()

			stored := readStored(t, "the direct Telegraf", directOut)
			if len(stored) < 3 {
				t.Fatalf("the direct Telegraf stored %d metrics, want at least 3 (the good batches; influxdb_listener also the good lines of the bad one): the case proves nothing:\n  %s", len(stored), strings.Join(stored, "\n  "))
			}
			if d := diffLists(stored, readStored(t, "the upstream Telegraf", upOut)); d != "" {
				t.Errorf("the Telegraf behind fakegraf stored other metrics than the one sent to directly (-direct +forwarded):\n%s", d)
			}
			if d := diffLists(stored, readStored(t, "fakegraf", fgOut)); d != "" {
				t.Errorf("fakegraf stored other metrics than Telegraf (-telegraf +fakegraf):\n%s", d)
			}
			for _, line := range fp.stdout.all() {
				if strings.Contains(line, `"forward-loss"`) || strings.Contains(line, `"forward-answer-differs"`) {
					t.Errorf("fakegraf with a live upstream of the same config: %s", line)
				}
			}
			if t.Failed() {
				for i := range dAns {
					t.Logf("request %d: %s\n  direct: %s\n  forwarded: %s", i, c.request(i), dAns[i], fAns[i])
				}
				t.Logf("fakegraf's stdout:\n%s", strings.Join(fp.stdout.all(), "\n"))
			}
		})
	}
}

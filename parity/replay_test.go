//go:build parity

package parity

import (
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// replayUpstreamFormat is the data_format of the Telegraf the capture is
// replayed into. It is "influx", as for the Telegraf sent to directly; set
// it to another format by hand to see the test fail (see the commit that
// added this test).
var replayUpstreamFormat = "influx"

// TestReplayStoresWhatDirectStores sends traffic of a known shape to a
// Telegraf directly and to `fakegraf listen --capture`, then replays the
// capture with `fakegraf replay --max` into a second Telegraf of the same
// config: the two Telegrafs must store the same metrics, sender-set
// timestamps included. On stream sockets two connections interleave and
// every line but the stream's last is split across writes, so a replay that
// drops or reorders a connection's bytes stores other metrics (a reordered
// chunk glues the halves of two lines into a bad line); on datagram sockets
// two senders interleave.
func TestReplayStoresWhatDirectStores(t *testing.T) {
	for _, scheme := range []string{"udp", "tcp", "unix", "unixgram"} {
		t.Run(scheme, func(t *testing.T) {
			var reason string
			track(t, "replay (Telegraf direct vs fakegraf --capture, then replay --max)", &reason)
			t.Parallel()
			slot(t)
			dir := shortDir(t)
			sock := func(name string) string {
				if strings.HasPrefix(scheme, "unix") {
					return filepath.Join(dir, name)
				}
				return ""
			}
			c := pcase{conf: listener("influx"), omitHostname: true}
			up := pcase{conf: listener(replayUpstreamFormat), omitHostname: true}
			directOut, upOut, fgOut := filepath.Join(dir, "direct.out"), filepath.Join(dir, "up.out"), filepath.Join(dir, "fakegraf.out")
			directConf, upConf, fgConf := filepath.Join(dir, "direct.conf"), filepath.Join(dir, "up.conf"), filepath.Join(dir, "fakegraf.conf")
			capPath := filepath.Join(dir, "traffic.fgcap")
			writeFile(t, directConf, c.config(serviceAddress(scheme, sock("direct.sock")), "", directOut))
			writeFile(t, upConf, up.config(serviceAddress(scheme, sock("up.sock")), "", upOut))
			writeFile(t, fgConf, c.config(serviceAddress(scheme, sock("fg.sock")), "", filepath.Join(dir, "unused.out")))

			direct := startProcess(t, "telegraf", telegrafBin, []string{"--config", directConf}, dir, telegrafListening)
			direct.metrics = directOut
			fg := startProcess(t, "fakegraf", fakegrafBin, append(fakegrafArgs(fgConf, fgOut), "--capture", capPath), dir, fakegrafListening)
			fg.metrics = fgOut
			directTarget := pickTargets(t, "telegraf", direct.addresses(t, 1), []string{scheme})
			fgTarget := pickTargets(t, "fakegraf", fg.addresses(t, 1), []string{scheme})

			var steps []step
			if isStream(scheme) {
				steps = []step{
					sendOn(0, "cpu,host=a v=1i 1700000000000000000\ncpu v="),
					sendOn(1, "mem,host=b free=3i 1700000000000000002\nmem fr"),
					pause(20 * time.Millisecond),
					sendOn(0, "2 1700000000000000001\r\ndisk,pa"),
					sendOn(1, "ee=5i 1700000000000000005\n"),
					pause(20 * time.Millisecond),
					sendOn(0, "th=/ used=4 1700000000000000003\nbad li"),
					sendOn(1, "swap in=6i 1700000000000000006\n"),
					closeConn(1),
					sendOn(0, "ne\nnet bytes=7i 1700000000000000007"), // no newline: the end of the stream ends it
					closeConn(0),
				}
			} else {
				steps = []step{
					sendOn(0, "cpu,host=a v=1i 1700000000000000000\ncpu v=2 1700000000000000001\n"),
					sendOn(1, "mem,host=b free=3i 1700000000000000002\n"),
					sendOn(0, "disk,path=/ used=4 1700000000000000003\n"),
					sendOn(1, "bad line\n"),
					sendOn(1, "mem free=5i 1700000000000000005\nswap in=6i 1700000000000000006\n"),
					sendOn(0, "net bytes=7i 1700000000000000007\n"),
				}
			}
			var wg sync.WaitGroup
			var errDirect, errFg error
			wg.Add(2)
			go func() { defer wg.Done(); _, errDirect = play(directTarget, steps) }()
			go func() { defer wg.Done(); _, errFg = play(fgTarget, steps) }()
			wg.Wait()
			if errDirect != nil || errFg != nil {
				t.Fatalf("sending failed: direct: %v; fakegraf: %v", errDirect, errFg)
			}
			settle(400*time.Millisecond, 500*time.Millisecond, direct, fg)
			wg.Add(2)
			go func() { defer wg.Done(); fg.stop(t) }() // writes the capture out
			go func() { defer wg.Done(); direct.stop(t) }()
			wg.Wait()

			upstream := startProcess(t, "telegraf", telegrafBin, []string{"--config", upConf}, dir, telegrafListening)
			upstream.metrics = upOut
			upTarget := pickTargets(t, "telegraf", upstream.addresses(t, 1), []string{scheme})
			cmd := exec.Command(fakegrafBin, "replay", capPath, "--to", scheme+"://"+upTarget[0].addr, "--max")
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("fakegraf replay: %v:\n%s", err, out)
			}
			t.Logf("fakegraf replay: %s", strings.TrimSpace(string(out)))
			settle(400*time.Millisecond, 500*time.Millisecond, upstream)
			upstream.stop(t)

			want := readStored(t, "the direct Telegraf", directOut)
			if len(want) != 7 {
				t.Fatalf("the direct Telegraf stored %d metrics, want 7: the case proves nothing:\n  %s", len(want), strings.Join(want, "\n  "))
			}
			if d := diffLists(want, readStored(t, "the Telegraf replayed into", upOut)); d != "" {
				t.Errorf("the Telegraf the capture was replayed into stored other metrics than the one sent to directly (-direct +replayed):\n%s", d)
			}
			if d := diffLists(want, readStored(t, "fakegraf", fgOut)); d != "" {
				t.Errorf("fakegraf stored other metrics than Telegraf (-telegraf +fakegraf):\n%s", d)
			}
		})
	}
}

//go:build parity

package parity

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestForwardStoresWhatDirectStores sends the same traffic to a Telegraf
// directly and, through fakegraf --forward, to a second Telegraf of the
// same config: the two must store the same metrics, and fakegraf the same
// as both, for every socket kind. The traffic holds what framing could
// alter on the way: CRLF, a blank line, a bad line, a line without its
// newline at the end of a stream, two connections.
func TestForwardStoresWhatDirectStores(t *testing.T) {
	for _, scheme := range []string{"udp", "tcp", "unix", "unixgram"} {
		t.Run(scheme, func(t *testing.T) {
			var reason string
			track(t, "forward (Telegraf direct vs through fakegraf --forward)", &reason)
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
			directOut, upOut, fgOut := filepath.Join(dir, "direct.out"), filepath.Join(dir, "up.out"), filepath.Join(dir, "fakegraf.out")
			directConf, upConf, fgConf := filepath.Join(dir, "direct.conf"), filepath.Join(dir, "up.conf"), filepath.Join(dir, "fakegraf.conf")
			writeFile(t, directConf, c.config(serviceAddress(scheme, sock("direct.sock")), "", directOut))
			writeFile(t, upConf, c.config(serviceAddress(scheme, sock("up.sock")), "", upOut))

			direct := startProcess(t, "telegraf", telegrafBin, []string{"--config", directConf}, dir, telegrafListening)
			direct.metrics = directOut
			up := startProcess(t, "telegraf", telegrafBin, []string{"--config", upConf}, dir, telegrafListening)
			up.metrics = upOut
			directTarget := pickTargets(t, "telegraf", direct.addresses(t, 1), []string{scheme})
			upTarget := pickTargets(t, "telegraf", up.addresses(t, 1), []string{scheme})
			upstream := scheme + "://" + upTarget[0].addr

			fgText := c.config(serviceAddress(scheme, sock("fg.sock")), "", filepath.Join(dir, "unused.out"))
			args := fakegrafArgs(fgConf, fgOut)
			if strings.HasPrefix(scheme, "unix") {
				// the telegraf.conf form: a comment Telegraf ignores
				fgText += "  # fakegraf: forward = \"" + upstream + "\"\n"
			} else {
				args = append(args, "--forward", upstream)
			}
			writeFile(t, fgConf, fgText)
			fg := startProcess(t, "fakegraf", fakegrafBin, args, dir, fakegrafListening)
			fg.metrics = fgOut
			fgTarget := pickTargets(t, "fakegraf", fg.addresses(t, 1), []string{scheme})

			steps := []step{
				send("cpu,host=a v=1i 1700000000000000000\r\n\ncpu v=2 1700000000000000001\n"),
				send("bad line\n"),
				sendOn(1, "mem v=3 1700000000000000002\n"),
				closeConn(1),
				send("disk v=4 1700000000000000003"),
			}
			if !isStream(scheme) {
				steps[len(steps)-1] = send("disk v=4 1700000000000000003\n")
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
			settle(400*time.Millisecond, 500*time.Millisecond, direct, up, fg)
			wg.Add(1)
			go func() { defer wg.Done(); fg.stop(t) }() // first: its upstream connections close
			wg.Wait()
			settle(200*time.Millisecond, 500*time.Millisecond, up)
			wg.Add(2)
			go func() { defer wg.Done(); direct.stop(t) }()
			go func() { defer wg.Done(); up.stop(t) }()
			wg.Wait()

			want := readStored(t, "the direct Telegraf", directOut)
			if len(want) != 4 {
				t.Fatalf("the direct Telegraf stored %d metrics, want 4: the case proves nothing:\n  %s", len(want), strings.Join(want, "\n  "))
			}
			if d := diffLists(want, readStored(t, "the upstream Telegraf", upOut)); d != "" {
				t.Errorf("the Telegraf behind fakegraf stored other metrics than the one sent to directly (-direct +forwarded):\n%s", d)
			}
			if d := diffLists(want, readStored(t, "fakegraf", fgOut)); d != "" {
				t.Errorf("fakegraf stored other metrics than Telegraf (-telegraf +fakegraf):\n%s", d)
			}
			for _, line := range fg.stdout.all() {
				if strings.Contains(line, `"forward-loss"`) {
					t.Errorf("fakegraf lost bytes on the way to a live upstream: %s", line)
				}
			}
		})
	}
}

package listener

import (
	"net"
	"testing"
)

// The cached UDP peer name follows the sender: alternating senders each get
// their own address, never the previous one's.
func TestPeerStringFollowsTheSender(t *testing.T) {
	var l Listener
	a := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4000}
	b := &net.UDPAddr{IP: net.ParseIP("::1"), Port: 4000}
	c := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4001}
	for range 2 {
		for _, addr := range []*net.UDPAddr{a, a, b, c, a} {
			if got := l.peerString(addr); got != addr.String() {
				t.Errorf("peerString(%v) = %q", addr, got)
			}
		}
	}
	if got := l.peerString(&net.UnixAddr{Name: "", Net: "unixgram"}); got != "@" {
		t.Errorf("unnamed unixgram peer = %q, want @", got)
	}
}

package parse

import "net"

// peerHost is the peer without its port: a sender's connections come from
// new ports each time.
func peerHost(peer string) string {
	if h, _, err := net.SplitHostPort(peer); err == nil {
		return h
	}
	return peer
}

package forward

import (
	"net"

	"golang.org/x/sys/unix"
)

// unsent is how many bytes given to a TCP connection the kernel has not
// sent yet (SIOCOUTQNSD): a reset (SO_LINGER 0) discards them, so they are
// lost as surely as the bytes never written. What was sent goes ahead of
// the reset and sits in the peer's receive queue, which the peer still
// reads after it (measured on loopback: SIOCOUTQ, which also counts sent
// bytes not yet acknowledged, overcounts by what a delayed ACK holds). A
// unix socket's bytes are in the peer's queue as soon as they are written,
// and survive the close: 0.
func unsent(conn net.Conn) int64 {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return 0
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return 0
	}
	var n int
	_ = rc.Control(func(fd uintptr) {
		if v, err := unix.IoctlGetInt(int(fd), unix.SIOCOUTQNSD); err == nil {
			n = v
		}
	})
	return int64(n)
}

//go:build unix

package listener

import (
	"errors"
	"net"
	"syscall"
)

// awaitData returns a function that blocks until conn has bytes to read, an
// end of stream or an error, through the runtime's poller and without
// consuming anything: nil for a connection with no descriptor of its own
// (TLS, whose handshake reads first anyway). The connection's read deadline
// and its close end the wait, with their error.
func awaitData(conn net.Conn) func() error {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return func() error {
		// RawConn.Read calls the function, and while it returns false
		// waits for the descriptor to become readable and calls it again.
		// The function must look itself: RawConn.Read forgets a
		// readiness the poller saw before it was called, so bytes that
		// came before the wait would otherwise never wake it.
		var peek [1]byte
		return raw.Read(func(fd uintptr) bool {
			_, _, err := syscall.Recvfrom(int(fd), peek[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			return !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EINTR)
		})
	}
}

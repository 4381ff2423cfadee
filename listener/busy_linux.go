package listener

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// fdReadable reports whether a read or accept on fd would not block: a
// datagram (an empty one too) or a connection waiting, or bytes. It uses
// poll(2) with a zero timeout rather than SIOCINQ/FIONREAD, which gives the
// length of the first datagram (0 for an empty one) and fails on a
// listening socket. Polling does not consume the readiness the Go runtime
// waits for: epoll and poll each look at the socket's queue.
func fdReadable(fd int) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 0)
		if err == unix.EINTR {
			continue
		}
		return err == nil && n > 0 && fds[0].Revents&unix.POLLIN != 0
	}
}

// connReadable is fdReadable for a socket Go owns.
func connReadable(c syscall.Conn) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return false
	}
	readable := false
	if err := rc.Control(func(fd uintptr) { readable = fdReadable(int(fd)) }); err != nil {
		return false
	}
	return readable
}

// datagramFD finds the descriptor of the datagram socket that Telegraf's
// plugins/common/socket bound at addr (it does not expose its PacketConn),
// by asking every descriptor of the process for its type and local address,
// which no other socket of the process shares. It returns a close-on-exec
// duplicate, so that the number stays fakegraf's own while the listener
// runs (closeFD closes it), or -1.
func datagramFD(addr net.Addr) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || !isDatagramAt(fd, addr) {
			continue
		}
		dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return -1
		}
		if isDatagramAt(dup, addr) { // fd was not closed and reused meanwhile
			return dup
		}
		unix.Close(dup)
	}
	return -1
}

func isDatagramAt(fd int, addr net.Addr) bool {
	if typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil || typ != unix.SOCK_DGRAM {
		return false
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return false
	}
	switch a := addr.(type) {
	case *net.UDPAddr:
		var ap netip.AddrPort
		switch s := sa.(type) {
		case *unix.SockaddrInet4:
			ap = netip.AddrPortFrom(netip.AddrFrom4(s.Addr), uint16(s.Port))
		case *unix.SockaddrInet6:
			ap = netip.AddrPortFrom(netip.AddrFrom16(s.Addr), uint16(s.Port))
		default:
			return false
		}
		want := a.AddrPort()
		return ap.Port() == want.Port() && ap.Addr().Unmap() == want.Addr().Unmap()
	case *net.UnixAddr:
		s, ok := sa.(*unix.SockaddrUnix)
		return ok && s.Name == a.Name
	}
	return false
}

func closeFD(fd int) { unix.Close(fd) }

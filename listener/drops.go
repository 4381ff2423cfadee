package listener

import (
	"bufio"
	"net"
	"os"
	"strconv"
	"strings"
)

// KernelDrops returns how many datagrams the kernel has dropped on this UDP
// socket because its receive buffer was full, from the drops column of
// /proc/net/udp and /proc/net/udp6 (Linux). Telegraf never sees these
// (plugins/common/socket/datagram.go reads what the kernel kept), so
// fakegraf reports them. ok is false where the count cannot be read.
func (l *Listener) KernelDrops() (drops uint64, ok bool) {
	ua, isUDP := l.Addr().(*net.UDPAddr)
	if !isUDP {
		return 0, false
	}
	return UDPDrops(ua.Port)
}

// UDPDrops sums the kernel's drop counters of the UDP sockets bound to port,
// IPv4 and IPv6 (Linux). bench/loopback reads Telegraf's socket with it.
func UDPDrops(port int) (drops uint64, ok bool) {
	for _, file := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		n, found := procUDPDrops(file, port)
		if found {
			drops += n
			ok = true
		}
	}
	return drops, ok
}

// procUDPDrops sums the drops column of the sockets bound to port.
func procUDPDrops(file string, port int) (uint64, bool) {
	f, err := os.Open(file)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	want := strings.ToUpper(strconv.FormatInt(int64(port), 16))
	for len(want) < 4 {
		want = "0" + want
	}
	var total uint64
	found := false
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
		if len(fields) < 13 {
			continue
		}
		_, localPort, ok := strings.Cut(fields[1], ":")
		if !ok || localPort != want {
			continue
		}
		n, err := strconv.ParseUint(fields[12], 10, 64)
		if err != nil {
			continue
		}
		total += n
		found = true
	}
	return total, found
}

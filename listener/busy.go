package listener

// Busy reports whether the listener holds something that has arrived and
// that it has not handed to its handler yet: a stream connection that is
// open (until its closing ConnEvent is handed over) or waiting in the
// kernel to be accepted, or a datagram waiting in the socket's receive
// queue. fakegraf run ends as soon as its sender has exited and nothing is
// busy, instead of waiting an idle time.
//
// What it cannot see is the hand-off inside a reader goroutine: between
// the accept(2) or recvfrom(2) that took something from the kernel and the
// handler call, a few instructions for a stream, and Telegraf's parse pool
// for a datagram (plugins/common/socket/datagram.go listenData hands every
// datagram to a pond worker). A caller that must not miss anything waits
// for Busy to stay false over a short quiet period. Where the kernel's
// queue cannot be read (not Linux, or Telegraf's datagram socket was not
// found), only the counts fakegraf keeps itself are reported.
//
// Busy must not be called after Close.
func (l *Listener) Busy() bool {
	if l.streams != nil {
		return l.streams.active.Load() > 0 || l.streams.raw != nil && connReadable(l.streams.raw)
	}
	return l.dgramFD >= 0 && fdReadable(l.dgramFD)
}

// Package listener binds the sockets that Telegraf's [[inputs.socket_listener]]
// binds and hands out Records.
//
// Datagram sockets (udp, unixgram) are bound and read by Telegraf's own
// plugins/common/socket (Socket.Listen): one Record per datagram, decoded as
// Telegraf decodes it. Stream sockets (tcp, unix, unixpacket) are served by
// stream.go, which mirrors socket_listener's read path in
// plugins/common/socket/stream.go line for line (accept, allowed_sources,
// max_connections, keep-alive, TLS, content decoding, a bufio.Scanner sized
// as Telegraf sizes it with Telegraf's splitter, read_timeout per record, the
// connection dropped on a scanner error), because Telegraf's own callbacks
// hide what fakegraf must see: which connection a record came on, whether it
// ended with its terminator or was delivered only because the connection
// ended, and how many bytes were still pending when it ended. Options are
// validated by Telegraf's socket.Config.NewSocket either way.
//
// The package knows nothing about data formats or rules.
package listener

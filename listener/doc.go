// Package listener binds the sockets that Telegraf's [[inputs.socket_listener]]
// binds, with Telegraf's own plugins/common/socket code, and hands out Records.
//
// Telegraf's socket package does the binding, TLS, allowed_sources,
// max_connections, keep-alive, read_timeout and content decoding. On stream
// sockets fakegraf takes each connection from it (Socket.ListenConnection) and
// splits the bytes itself with Telegraf's splitter (SplitConfig.NewSplitter) in a
// bufio.Scanner sized exactly as plugins/common/socket/stream.go sizes it, so
// that it can see what Telegraf throws away: which connection a record came on,
// whether the record ended with its terminator or was delivered only because
// the connection closed, and how many bytes were still pending when a
// connection ended. Datagram sockets use Socket.Listen, one Record per datagram.
//
// The package knows nothing about data formats or rules.
package listener

// Package capture writes and reads fakegraf captures: everything that
// arrived at a run's listeners, kept so that `fakegraf check` reports on it
// exactly as the live run did and `fakegraf replay` sends it again with its
// original framing. The format is documented in docs/capture.md.
//
// A Writer sits in front of each listener's handler (Writer.Handler, put
// there by serve.Options.Wrap): it is a listener.Tap, so it gets a stream
// connection's bytes as they came off the socket, before content decoding
// and before framing, and it gets each datagram and HTTP request as the
// listener handed it out. A serve.Sink would only see records after
// framing: a glued JSON stream would come back as one record without its
// terminator, and "\r\n" and "\n" would be the same. The writer encodes
// events into a buffer and a goroutine writes them out, so a slow disk
// does not hold up a socket; the capture is cut, with a final entry that
// says why, at its size bound, when the disk falls behind, or on a write
// error.
//
// Feed reads a capture back into the events the listeners handed out live
// (listener.Record, listener.ConnEvent, listener.Transport): datagrams one
// for one, each stream connection's bytes framed again by
// listener.ReadStream with the input's splitter, with the captured peers and
// receive times. Reader holds one entry at a time, so a capture of any size
// reads in bounded memory, and treats the file as untrusted input.
//
// The package does not parse or run rules; it does not decide which
// config a capture is checked against (cmd/fakegraf does).
package capture

package forward

// SetWriteBatch replaces the system call that sends a batch of datagrams
// with f, until the returned function restores it.
func SetWriteBatch(f func(bs [][]byte) (int, error)) (restore func()) {
	old := writeBatch
	writeBatch = func(_ *datagramConn, bs [][]byte) (int, error) { return f(bs) }
	return func() { writeBatch = old }
}

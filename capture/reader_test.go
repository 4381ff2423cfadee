package capture

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func sample() []Entry {
	at := time.Unix(1700000000, 123456789)
	return []Entry{
		{Kind: KindListener, Listener: 1, Input: 1, URL: "tcp://127.0.0.1:8094", InputKind: "socket_listener", DataFormat: "json"},
		{Kind: KindOpen, Listener: 1, Conn: 1, Time: at, Peer: "127.0.0.1:5000"},
		{Kind: KindChunk, Listener: 1, Conn: 1, Time: at, Data: []byte(`{"a":1}{"a":2}`)},
		{Kind: KindClose, Listener: 1, Conn: 1, Time: at, Reason: "read timeout", Flag: true},
		{Kind: KindDatagram, Listener: 1, Time: at, Peer: "127.0.0.1:5001", Flag: true, Data: []byte("m v=1\n")},
		{Kind: KindRequest, Listener: 1, Conn: 2, Time: at, Peer: "p", Method: "POST", Path: "/write", Query: "db=x",
			Header: [][2]string{{"Content-Type", "text/plain"}}, Data: []byte("m v=1")},
		{Kind: KindTransport, Listener: 1, Time: at, Event: "kernel-drops", Reason: "datagrams dropped by the kernel", Dropped: 3, Total: 9},
		{Kind: KindCut, Time: at, Reason: "the capture reached --capture-max (100 bytes)"},
	}
}

func encode(h Header, entries []Entry) []byte {
	b := appendHeader(nil, h)
	for i := range entries {
		b = appendEntry(b, &entries[i])
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	h := Header{Version: Version, Created: time.Unix(1700000000, 0), Writer: "fakegraf test", ConfigName: "t.conf",
		Config: []byte("[[inputs.socket_listener]]\n"), Flags: []string{"--data-format", "json"}}
	want := sample()
	r, err := NewReader(bytes.NewReader(encode(h, want)))
	require.NoError(t, err)
	if diff := cmp.Diff(h, r.Header()); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	var got []Entry
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		c := *e
		c.Data = bytes.Clone(e.Data)
		got = append(got, c)
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	require.True(t, r.Cut())
}

func TestReaderRefuses(t *testing.T) {
	good := encode(Header{}, sample()[:3])
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"not a capture", "not a fakegraf capture", []byte("m v=1\n")},
		{"cut in the magic", "ends inside the header", []byte(Magic[:4])},
		{"a later version", "version 2", append([]byte(Magic), 2, 0)},
		{"cut in an entry", "missing: the capture was cut off", good[:len(good)-3]},
		{"a huge length", "more than any entry", append(bytes.Clone(good), 'C', 0xff, 0xff, 0xff, 0xff, 0x0f)},
		{"an entry after the cut", "follows the cut entry", encode(Header{}, []Entry{sample()[7], sample()[0]})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := readAll(tc.data)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func readAll(data []byte) error {
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		return err
	}
	for {
		if _, err := r.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// FuzzReader feeds the reader and Feed damaged captures: they may be
// refused, never crash, hang or allocate what the file does not hold.
func FuzzReader(f *testing.F) {
	f.Add(encode(Header{Writer: "seed"}, sample()))
	f.Add(encode(Header{}, sample()[:4]))
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := readAll(data); err != nil && strings.TrimSpace(err.Error()) == "" {
			t.Fatal("an error without a message")
		}
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		_ = Feed(r, func(*Entry) (Framing, error) { return Framing{}, nil }, discard{})
	})
}

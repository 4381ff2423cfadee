package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Magic opens every capture. Its bytes catch the usual ways a binary file
// is damaged: a text-mode copy (the \r\n and the \n), a file cut to 7 bits,
// and a capture mistaken for a text payload (the NUL).
const Magic = "FGCAP\x00\r\n"

// Version is the format version this package writes. A reader accepts
// this version only: a later version may change any entry.
const Version = 1

// Kind is the type of an entry. Readers skip kinds they do not know, which
// lets a version add informational entries without a new version number;
// an entry that changes what a capture means needs a new Version.
type Kind byte

// The entries, in docs/capture.md's terms.
const (
	KindListener  Kind = 'L' // a listener, before its first event
	KindOpen      Kind = 'O' // a stream connection opened
	KindChunk     Kind = 'C' // bytes read from a stream connection
	KindClose     Kind = 'X' // a stream connection ended
	KindDatagram  Kind = 'D' // one datagram
	KindRequest   Kind = 'H' // one HTTP request
	KindTransport Kind = 'T' // a loss at the socket that carried no bytes
	KindCut       Kind = 'Z' // the capture ends here, cut short
)

// MaxEntry bounds an entry's size: larger than any one read of a socket or
// request body fakegraf hands out (HTTP bodies are bounded by
// max_body_size, 32 MiB by default), small enough that a damaged length
// cannot make a reader allocate without end.
const MaxEntry = 256 << 20

// Entry is one event of a capture. Which fields are set depends on Kind
// (docs/capture.md).
type Entry struct {
	Kind     Kind
	Listener uint64 // the listener's number in this capture, from 1
	Conn     uint64 // stream connection number, as the listener numbered it
	Time     time.Time
	Peer     string
	Data     []byte // chunk, datagram or request body; only valid until the next Read

	// KindListener
	URL, InputKind, DataFormat, ContentEncoding string
	Input                                       uint64 // the input's position in the config, from 1

	// KindClose and KindCut: why it ended. KindTransport: the error text.
	Reason string
	// KindClose: the connection ended by read_timeout. KindDatagram: the
	// datagram filled the read buffer (the kernel cut it).
	Flag bool

	// KindRequest
	Method, Path, Query string
	Header              [][2]string // name, value, in the order sent

	// KindTransport
	Event                  string // which loss: see transportKinds
	Dropped, Total, Record uint64
}

// Fields are written in a fixed order per kind. Times are nanoseconds
// since the Unix epoch (zero time as 0), numbers are uvarints, strings and
// bytes are a uvarint length and the bytes.
type encoder struct{ b []byte }

func (e *encoder) uint(v uint64)    { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) bytes(p []byte)   { e.uint(uint64(len(p))); e.b = append(e.b, p...) }
func (e *encoder) string(s string)  { e.uint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) bool(v bool)      { e.uint(boolUint(v)) }
func (e *encoder) time(t time.Time) { e.b = binary.AppendVarint(e.b, unixNano(t)) }

func boolUint(v bool) uint64 {
	if v {
		return 1
	}
	return 0
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// appendEntry appends e's encoding, kind and length first, to b.
func appendEntry(b []byte, e *Entry) []byte {
	enc := encoder{}
	enc.uint(e.Listener)
	switch e.Kind {
	case KindListener:
		enc.uint(e.Input)
		enc.string(e.URL)
		enc.string(e.InputKind)
		enc.string(e.DataFormat)
		enc.string(e.ContentEncoding)
	case KindOpen:
		enc.uint(e.Conn)
		enc.time(e.Time)
		enc.string(e.Peer)
	case KindChunk:
		enc.uint(e.Conn)
		enc.time(e.Time)
		enc.bytes(e.Data)
	case KindClose:
		enc.uint(e.Conn)
		enc.time(e.Time)
		enc.string(e.Reason)
		enc.bool(e.Flag)
	case KindDatagram:
		enc.time(e.Time)
		enc.string(e.Peer)
		enc.bool(e.Flag)
		enc.bytes(e.Data)
	case KindRequest:
		enc.uint(e.Conn)
		enc.time(e.Time)
		enc.string(e.Peer)
		enc.string(e.Method)
		enc.string(e.Path)
		enc.string(e.Query)
		enc.uint(uint64(len(e.Header)))
		for _, h := range e.Header {
			enc.string(h[0])
			enc.string(h[1])
		}
		enc.bytes(e.Data)
	case KindTransport:
		enc.uint(e.Conn)
		enc.time(e.Time)
		enc.string(e.Peer)
		enc.string(e.Event)
		enc.string(e.Reason)
		enc.uint(e.Dropped)
		enc.uint(e.Total)
		enc.uint(e.Record)
	case KindCut:
		enc.time(e.Time)
		enc.string(e.Reason)
	}
	b = append(b, byte(e.Kind))
	b = binary.AppendUvarint(b, uint64(len(enc.b)))
	return append(b, enc.b...)
}

// errShort is a field that runs past its entry.
var errShort = errors.New("field runs past the end of its entry")

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errShort
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) string() string { return string(d.bytes()) }

func (d *decoder) bool() bool {
	switch v := d.uint(); v {
	case 0:
		return false
	case 1:
		return true
	default:
		if d.err == nil {
			d.err = fmt.Errorf("flag is %d, not 0 or 1", v)
		}
		return false
	}
}

func (d *decoder) time() time.Time {
	if d.err != nil {
		return time.Time{}
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errShort
		return time.Time{}
	}
	d.b = d.b[n:]
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, v)
}

// decodeEntry fills e from the payload p of an entry of kind k. Data and
// the strings alias p only for Data.
func decodeEntry(k Kind, p []byte, e *Entry) error {
	*e = Entry{Kind: k}
	d := decoder{b: p}
	e.Listener = d.uint()
	switch k {
	case KindListener:
		e.Input = d.uint()
		e.URL = d.string()
		e.InputKind = d.string()
		e.DataFormat = d.string()
		e.ContentEncoding = d.string()
	case KindOpen:
		e.Conn = d.uint()
		e.Time = d.time()
		e.Peer = d.string()
	case KindChunk:
		e.Conn = d.uint()
		e.Time = d.time()
		e.Data = d.bytes()
	case KindClose:
		e.Conn = d.uint()
		e.Time = d.time()
		e.Reason = d.string()
		e.Flag = d.bool()
	case KindDatagram:
		e.Time = d.time()
		e.Peer = d.string()
		e.Flag = d.bool()
		e.Data = d.bytes()
	case KindRequest:
		e.Conn = d.uint()
		e.Time = d.time()
		e.Peer = d.string()
		e.Method = d.string()
		e.Path = d.string()
		e.Query = d.string()
		n := d.uint()
		// Each header takes at least two bytes: a count larger than the
		// entry is damage, not a reason to allocate.
		if n > uint64(len(d.b))/2 {
			return fmt.Errorf("request entry claims %d headers in %d bytes", n, len(d.b))
		}
		for range n {
			e.Header = append(e.Header, [2]string{d.string(), d.string()})
		}
		e.Data = d.bytes()
	case KindTransport:
		e.Conn = d.uint()
		e.Time = d.time()
		e.Peer = d.string()
		e.Event = d.string()
		e.Reason = d.string()
		e.Dropped = d.uint()
		e.Total = d.uint()
		e.Record = d.uint()
	case KindCut:
		e.Time = d.time()
		e.Reason = d.string()
	}
	if d.err != nil {
		return d.err
	}
	if e.Listener == 0 && k != KindCut {
		return errors.New("entry names listener 0; listeners are numbered from 1")
	}
	return nil
}

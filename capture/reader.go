package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Header is what a capture says about itself before its first entry.
type Header struct {
	Version int
	Created time.Time
	// Writer names the program that wrote the capture ("fakegraf v0.9.0").
	Writer string
	// Config is the telegraf.conf the listeners were made from, and
	// ConfigName its file name, when the run had --config; empty when the
	// run had address flags (then the same flags must be given to check).
	Config     []byte
	ConfigName string
	// Flags are the input flags and addresses of a run without --config
	// (--data-format json --set k=v udp://127.0.0.1:8094), as check takes
	// them again.
	Flags []string
}

// ErrNotCapture is returned by NewReader for input that does not start
// with Magic.
var ErrNotCapture = errors.New("not a fakegraf capture")

// IsCapture reports whether head, the first bytes of a file, is the start
// of a capture.
func IsCapture(head []byte) bool {
	return bytes.HasPrefix(head, []byte(Magic))
}

// Reader reads a capture entry by entry, in the order it was written. It
// holds one entry at a time, so a capture of any size reads in the memory
// of its largest entry.
type Reader struct {
	r     *bufio.Reader
	off   int64 // bytes consumed, for error messages
	hdr   Header
	buf   []byte
	entry Entry
	n     int // entries read
	cut   bool
}

// NewReader reads the header of a capture.
func NewReader(r io.Reader) (*Reader, error) {
	cr := &Reader{r: bufio.NewReaderSize(r, 64<<10)}
	magic := make([]byte, len(Magic))
	n, err := io.ReadFull(cr.r, magic)
	if err != nil || string(magic) != Magic {
		if n > 0 && bytes.HasPrefix([]byte(Magic), magic[:n]) && n < len(Magic) {
			return nil, fmt.Errorf("%w: the file ends inside the header (%d bytes): was the capture cut off?", ErrNotCapture, n)
		}
		return nil, ErrNotCapture
	}
	cr.off = int64(len(Magic))
	v, err := cr.uvarint()
	if err != nil {
		return nil, fmt.Errorf("capture header: %w", err)
	}
	if v != Version {
		return nil, fmt.Errorf("capture format version %d: this fakegraf reads version %d only (use the fakegraf that wrote it, or a newer one)", v, Version)
	}
	p, err := cr.payload("header")
	if err != nil {
		return nil, err
	}
	d := decoder{b: p}
	cr.hdr = Header{Version: int(v), Created: d.time(), Writer: d.string(), ConfigName: d.string()}
	if c := d.bytes(); len(c) > 0 {
		cr.hdr.Config = bytes.Clone(c)
	}
	nflags := d.uint()
	if nflags > uint64(len(d.b)) {
		return nil, fmt.Errorf("capture header claims %d flags in %d bytes: the capture is damaged", nflags, len(d.b))
	}
	for range nflags {
		cr.hdr.Flags = append(cr.hdr.Flags, d.string())
	}
	if d.err != nil {
		return nil, fmt.Errorf("capture header: %w", d.err)
	}
	return cr, nil
}

func appendHeader(b []byte, h Header) []byte {
	b = append(b, Magic...)
	b = binary.AppendUvarint(b, Version)
	enc := encoder{}
	enc.time(h.Created)
	enc.string(h.Writer)
	enc.string(h.ConfigName)
	enc.bytes(h.Config)
	enc.uint(uint64(len(h.Flags)))
	for _, f := range h.Flags {
		enc.string(f)
	}
	b = binary.AppendUvarint(b, uint64(len(enc.b)))
	return append(b, enc.b...)
}

// Header is the capture's header.
func (r *Reader) Header() Header { return r.hdr }

// Cut reports whether the capture ended with a cut entry: the run went on
// after it, and what arrived later is not in the capture.
func (r *Reader) Cut() bool { return r.cut }

func (r *Reader) uvarint() (uint64, error) {
	var v uint64
	var s uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		c, err := r.r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, io.ErrUnexpectedEOF
			}
			return 0, err
		}
		r.off++
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, errors.New("length overflows 64 bits")
			}
			return v | uint64(c)<<s, nil
		}
		v |= uint64(c&0x7f) << s
		s += 7
	}
	return 0, errors.New("length overflows 64 bits")
}

// payload reads a uvarint length and that many bytes into r.buf. The
// buffer grows with what is actually read, never with the length a damaged
// file claims.
func (r *Reader) payload(what string) ([]byte, error) {
	n, err := r.uvarint()
	if err != nil {
		return nil, fmt.Errorf("%s at byte %d: %w", what, r.off, err)
	}
	if n > MaxEntry {
		return nil, fmt.Errorf("%s at byte %d claims %d bytes, more than any entry fakegraf writes (%d): the capture is damaged", what, r.off, n, MaxEntry)
	}
	r.buf = r.buf[:0]
	for remaining := int(n); remaining > 0; {
		step := min(remaining, 1<<20)
		start := len(r.buf)
		r.buf = append(r.buf, make([]byte, step)...)
		got, err := io.ReadFull(r.r, r.buf[start:])
		r.off += int64(got)
		if err != nil {
			return nil, fmt.Errorf("%s at byte %d: %d of its %d bytes are missing: the capture was cut off (fakegraf killed, disk full?)", what, r.off, remaining-got, n)
		}
		remaining -= step
	}
	return r.buf, nil
}

// Next returns the next entry, or io.EOF after the last one. The entry and
// its Data are valid until the next call. Entries of a kind this version
// does not know are skipped.
func (r *Reader) Next() (*Entry, error) {
	for {
		k, err := r.r.ReadByte()
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		if err != nil {
			return nil, err
		}
		r.off++
		if r.cut {
			return nil, fmt.Errorf("entry at byte %d follows the cut entry that should end the capture: the capture is damaged", r.off-1)
		}
		p, err := r.payload(fmt.Sprintf("entry %d (%q)", r.n+1, rune(k)))
		if err != nil {
			return nil, err
		}
		r.n++
		switch Kind(k) {
		case KindListener, KindOpen, KindChunk, KindClose, KindDatagram, KindRequest, KindTransport, KindCut:
		default:
			continue
		}
		if err := decodeEntry(Kind(k), p, &r.entry); err != nil {
			return nil, fmt.Errorf("entry %d (%q) ending at byte %d: %w", r.n, rune(k), r.off, err)
		}
		if Kind(k) == KindCut {
			r.cut = true
		}
		return &r.entry, nil
	}
}

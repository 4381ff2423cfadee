package pcap

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Format is the kind of file the first bytes of a file say it is.
type Format int

// The formats Detect tells apart.
const (
	NotCapture Format = iota
	Pcap              // classic libpcap, micro- or nanosecond, either byte order
	PcapNG            // pcapng, what tcpdump and Wireshark write today
)

func (f Format) String() string {
	switch f {
	case Pcap:
		return "pcap"
	case PcapNG:
		return "pcapng"
	}
	return "not a capture"
}

// HeadSize is how many bytes Detect needs to be sure.
const HeadSize = 12

// Detect says what head, the first bytes of a file, are: a pcap file by
// its magic number (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-03.html),
// a pcapng file by its section header block's type and byte-order magic
// (draft-ietf-opsawg-pcapng): the type alone, "\n\r\r\n", could start a
// text file.
func Detect(head []byte) Format {
	if len(head) < 4 {
		return NotCapture
	}
	switch binary.LittleEndian.Uint32(head) {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		return Pcap
	case 0x0a0d0d0a:
		if len(head) >= 12 {
			if m := binary.LittleEndian.Uint32(head[8:12]); m == 0x1a2b3c4d || m == 0x4d3c2b1a {
				return PcapNG
			}
		}
	}
	return NotCapture
}

// maxPacket is the largest packet fakegraf reads from a capture: tcpdump's
// own MAXIMUM_SNAPLEN (netdissect.h). pcapgo allocates what a packet header
// says before it reads the packet, so a header is not trusted beyond it.
const maxPacket = 262144

// maxBlock bounds a pcapng block: a packet of maxPacket with generous
// options. Larger is a corrupt file, not a capture.
const maxBlock = maxPacket + 1<<16

// ErrCorrupt marks a capture file whose structure is broken (not a capture
// cut short, which Read counts and goes on with).
var ErrCorrupt = errors.New("corrupt capture file")

// ngGuard passes a pcapng file through to pcapgo block by block and
// refuses, as ErrCorrupt, a block whose lengths pcapgo would trust: it
// allocates a packet's captured length as the block says before reading
// it, so forty bytes could ask for 4 GiB, and a block length under its
// header makes it read the rest of the file as one block.
type ngGuard struct {
	r     *bufio.Reader
	order binary.ByteOrder
	left  int // bytes of the current block still to pass on
	off   int64
}

func (g *ngGuard) Read(p []byte) (int, error) {
	if g.left == 0 {
		if err := g.next(); err != nil {
			return 0, err
		}
	}
	if len(p) > g.left {
		p = p[:g.left]
	}
	n, err := g.r.Read(p)
	g.left -= n
	g.off += int64(n)
	if err == io.EOF && g.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// next checks the header of the block at the reader.
func (g *ngGuard) next() error {
	hdr, err := g.r.Peek(8)
	if err != nil {
		if err == io.EOF && len(hdr) > 0 {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	const shb, pb, spb, epb = 0x0a0d0d0a, 0x00000002, 0x00000003, 0x00000006
	if binary.LittleEndian.Uint32(hdr) == shb {
		h, err := g.r.Peek(12)
		if err != nil {
			return io.ErrUnexpectedEOF
		}
		switch binary.LittleEndian.Uint32(h[8:12]) {
		case 0x1a2b3c4d:
			g.order = binary.LittleEndian
		case 0x4d3c2b1a:
			g.order = binary.BigEndian
		default:
			return fmt.Errorf("%w: byte %d: a section header without its byte-order magic", ErrCorrupt, g.off)
		}
	}
	if g.order == nil {
		return fmt.Errorf("%w: byte %d: a block before the first section header", ErrCorrupt, g.off)
	}
	typ, length := g.order.Uint32(hdr), g.order.Uint32(hdr[4:8])
	if length < 12 || length%4 != 0 || length > maxBlock {
		return fmt.Errorf("%w: byte %d: a block of type %#x says it is %d bytes long", ErrCorrupt, g.off, typ, length)
	}
	switch typ {
	case pb, epb:
		h, err := g.r.Peek(28)
		if err != nil {
			return io.ErrUnexpectedEOF
		}
		if caplen := g.order.Uint32(h[20:24]); caplen > length-32 {
			return fmt.Errorf("%w: byte %d: a packet of %d captured bytes in a block of %d", ErrCorrupt, g.off, caplen, length)
		}
	case spb:
		h, err := g.r.Peek(12)
		if err != nil {
			return io.ErrUnexpectedEOF
		}
		if orig := g.order.Uint32(h[8:12]); orig > length-16 {
			// pcapgo reads the original length unless the interface
			// has a snaplen: a simple packet block shorter than its
			// packet is read past its end.
			return fmt.Errorf("%w: byte %d: a simple packet of %d bytes in a block of %d", ErrCorrupt, g.off, orig, length)
		}
	}
	g.left = int(length)
	return nil
}

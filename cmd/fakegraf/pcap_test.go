package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/require"
)

// writeCapture writes a pcapng of UDP datagrams to port, as tcpdump -w
// would, the last one cut by the snaplen.
func writeCapture(t *testing.T, port uint16, datagrams ...string) string {
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriter(&b, layers.LinkTypeEthernet)
	require.NoError(t, err)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, d := range datagrams {
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}}
		udp := &layers.UDP{SrcPort: 50000, DstPort: layers.UDPPort(port)}
		require.NoError(t, udp.SetNetworkLayerForChecksum(ip))
		buf := gopacket.NewSerializeBuffer()
		require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, udp, gopacket.Payload(d)))
		data := buf.Bytes()
		kept := data
		if i == len(datagrams)-1 {
			kept = data[:len(data)-3]
		}
		require.NoError(t, w.WritePacket(gopacket.CaptureInfo{Timestamp: at.Add(time.Duration(i) * time.Second), CaptureLength: len(kept), Length: len(data)}, kept))
	}
	require.NoError(t, w.Flush())
	file := filepath.Join(t.TempDir(), "night.pcapng")
	require.NoError(t, os.WriteFile(file, b.Bytes(), 0o644))
	return file
}

// fakegraf check on a tcpdump capture reports its traffic as it would have
// live, and says what the capture cut.
func TestCheckCapture(t *testing.T) {
	file := writeCapture(t, 8125, "ok v=1\n", "bad\n", "cut v=1\n")
	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    []string
		stderr    []string
		notStdout []string
	}{
		{name: "by port", args: []string{"--address", "udp://:8125", "--data-format", "influx"}, code: exitFindings,
			stdout: []string{"parse-error", `"rule":"capture-loss","severity":"warning","message":"`, "1 packet(s) cut by the snaplen (3 bytes): lost by the capture", `"snaplen_cut_packets":1`}, notStdout: []string{"socket-error"}, stderr: []string{"3 packets: 0 connections and 2 datagrams checked", "1 packets cut by the capture's snaplen"}},
		{name: "no input's port", args: []string{"--data-format", "influx"}, code: exitOK,
			stderr: []string{"3 packets: 0 connections and 0 datagrams checked; 3 packets"}, notStdout: []string{"parse-error"}},
		{name: "datagrams flag", args: []string{"--datagrams", "lines"}, code: exitCannot, stderr: []string{"--datagrams is for text files"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append(append([]string{"check", "--output", "json"}, tc.args...), file)
			code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
			require.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			for _, s := range tc.stdout {
				require.Contains(t, stdout.String(), s)
			}
			for _, s := range tc.notStdout {
				require.NotContains(t, stdout.String(), s)
			}
			for _, s := range tc.stderr {
				require.Contains(t, stderr.String(), s)
			}
		})
	}
}

// --address is for captures: on a text file it says what to do instead.
func TestCheckAddressNeedsACapture(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lines.txt")
	require.NoError(t, os.WriteFile(file, []byte("cpu v=1\n"), 0o644))
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"check", "--address", "udp://:8094", file}, strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, exitCannot, code)
	require.Contains(t, stderr.String(), "--address selects traffic from tcpdump captures")
}

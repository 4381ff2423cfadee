package httpin_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// sink keeps the findings and records of a served input.
type sink struct {
	serve.Ignore
	mu       sync.Mutex
	findings []parse.Diagnostic
	records  int
}

func (k *sink) Finding(d parse.Diagnostic) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.findings = append(k.findings, d)
}

func (k *sink) Result(r *parse.Result) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.records++
	k.findings = append(k.findings, r.Diagnostics...)
}

func (k *sink) messages() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for _, d := range k.findings {
		out = append(out, d.Rule+": "+d.Message)
	}
	return out
}

func serveConf(t *testing.T, conf string) (*sink, string) {
	t.Helper()
	cfg, err := setup.Load([]byte("[agent]\n  omit_hostname = true\n"+conf), "test")
	require.NoError(t, err)
	k := &sink{}
	srv, err := serve.Start(cfg, k, serve.Options{})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.Listening()[0].URL)
	require.NoError(t, err)
	return k, u.Host
}

// A request net/http answers itself, before Telegraf's plugin sees it, is
// a finding that quotes the answer; so is a request cut short; a good
// request on the same connection is a record, not a refusal.
func TestRefusedRequests(t *testing.T) {
	for _, c := range []struct {
		name, send, want string
	}{
		{"malformed request line", "POST /write?db=x HTTP/1.1 extra\r\nHost: x\r\n\r\n", `net/http answered "HTTP/1.1 400 Bad Request" on conn 1 itself`},
		{"malformed header", "POST /write?db=x HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n", `net/http answered "HTTP/1.1 400 Bad Request" on conn 1 itself`},
		{"headers over 1 MB", "POST /write?db=x HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 1<<20+8192) + "\r\n\r\n", `net/http answered "HTTP/1.1 431 Request Header Fields Too Large" on conn 1 itself`},
		// net/http answers 400 to a request whose headers never end.
		{"cut short", "POST /write?db=x HTTP/1.1\r\nHost: x\r\n", `net/http answered "HTTP/1.1 400 Bad Request" on conn 1 itself`},
	} {
		t.Run(c.name, func(t *testing.T) {
			k, addr := serveConf(t, "[[inputs.influxdb_listener]]\n  service_address = \"127.0.0.1:0\"\n")
			conn, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			// A good request first: a record, and not counted as refused.
			fmt.Fprintf(conn, "POST /write?db=x HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\ncpu value=1\n")
			resp, err := bufio.NewReader(conn).ReadString('\n')
			require.NoError(t, err)
			require.Equal(t, "HTTP/1.1 204 No Content\r\n", resp)
			_, _ = conn.Write([]byte(c.send))
			if c.name == "cut short" {
				conn.Close()
			} else {
				_, _ = bufio.NewReader(conn).ReadString('\n') // net/http's answer, then it closes
				defer conn.Close()
			}
			require.Eventually(t, func() bool { return len(k.messages()) > 0 }, 5*time.Second, 10*time.Millisecond)
			got := k.messages()
			require.Len(t, got, 1, "%q", got)
			require.Contains(t, got[0], "socket-error: "+listener.ErrHTTPRefused.Error())
			require.Contains(t, got[0], c.want)
			k.mu.Lock()
			require.Equal(t, 1, k.records)
			k.mu.Unlock()
		})
	}
}

// A TLS handshake that fails (here: plain HTTP to a TLS port) is a
// finding, not a line on a discarded log.
func TestTLSHandshakeFailure(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	k, addr := serveConf(t, fmt.Sprintf("[[inputs.influxdb_v2_listener]]\n  service_address = \"127.0.0.1:0\"\n  tls_cert = %q\n  tls_key = %q\n", cert, key))
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v2/write?org=o&bucket=b HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\ncpu value=1\n")
	resp, _ := bufio.NewReader(conn).ReadString('\n')
	require.Equal(t, "HTTP/1.0 400 Bad Request\r\n", resp)
	require.Eventually(t, func() bool { return len(k.messages()) > 0 }, 5*time.Second, 10*time.Millisecond)
	got := k.messages()
	require.Len(t, got, 1, "%q", got)
	require.Contains(t, got[0], "socket-error: "+listener.ErrHTTPServer.Error()+": TLS handshake with 127.0.0.1:")
	require.Contains(t, got[0], "client sent an HTTP request to an HTTPS server")
}

func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(priv)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile
}

// A request whose headers do not come within read_timeout (at least 1s:
// influxdb_listener.go Start raises less to 10s) gets no answer: net/http
// closes the connection, and a finding says the request was lost.
func TestRequestTimedOut(t *testing.T) {
	k, addr := serveConf(t, "[[inputs.influxdb_listener]]\n  service_address = \"127.0.0.1:0\"\n  read_timeout = \"1s\"\n")
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "POST /write?db=x HTTP/1.1\r\nHost: x\r\n")
	require.Eventually(t, func() bool { return len(k.messages()) > 0 }, 5*time.Second, 10*time.Millisecond)
	got := k.messages()
	require.Len(t, got, 1, "%q", got)
	require.Contains(t, got[0], "a request on conn 1 ended before net/http could read it")
}

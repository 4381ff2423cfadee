//go:build linux

package image

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The run test re-executes this test binary inside a new network namespace
// (see runInNamespace); these variables tell that child what to run.
const (
	childRootfsEnv = "FAKEGRAF_IMAGE_TEST_ROOTFS"
	childSpecEnv   = "FAKEGRAF_IMAGE_TEST_SPEC"
)

func TestMain(m *testing.M) {
	if rootfs := os.Getenv(childRootfsEnv); rootfs != "" {
		var spec containerSpec
		if err := json.Unmarshal([]byte(os.Getenv(childSpecEnv)), &spec); err != nil {
			fmt.Fprintf(os.Stderr, "child: bad %s: %v\n", childSpecEnv, err)
			os.Exit(2)
		}
		if err := runContainer(rootfs, spec); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestImage builds the image with the code `make image` runs (for this
// machine's platform only: the test can run no other), writes it as `make
// image` does, reads both files back and checks what a runtime would use.
func TestImage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	idx, err := Build(ctx, Options{Dir: "../..", Platforms: []string{runtime.GOARCH}})
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, WriteLayout(filepath.Join(dir, "oci"), idx, "fakegraf:latest"))
	require.NoError(t, WriteTarball(filepath.Join(dir, "fakegraf.tar"), idx, runtime.GOARCH, "fakegraf:latest"))

	// The layout: one entry, an index, with one image for this platform.
	p, err := layout.FromPath(filepath.Join(dir, "oci"))
	require.NoError(t, err)
	top, err := p.ImageIndex()
	require.NoError(t, err)
	tm, err := top.IndexManifest()
	require.NoError(t, err)
	require.Len(t, tm.Manifests, 1, "index.json should hold the multi-platform index, for crane push")
	require.True(t, tm.Manifests[0].MediaType.IsIndex(), "index.json's entry is %s, want an image index", tm.Manifests[0].MediaType)
	require.Equal(t, "fakegraf:latest", tm.Manifests[0].Annotations["org.opencontainers.image.ref.name"])
	read, err := top.ImageIndex(tm.Manifests[0].Digest)
	require.NoError(t, err)
	im, err := read.IndexManifest()
	require.NoError(t, err)
	require.Len(t, im.Manifests, 1)
	require.Equal(t, &v1.Platform{OS: "linux", Architecture: runtime.GOARCH}, im.Manifests[0].Platform)
	img, err := read.Image(im.Manifests[0].Digest)
	require.NoError(t, err)

	// The docker-load tarball holds the same image: its manifest is
	// docker save's, so the config (which names the layers by digest) is
	// what has to be the same.
	tb, err := tarball.ImageFromPath(filepath.Join(dir, "fakegraf.tar"), nil)
	require.NoError(t, err)
	want, err := img.ConfigName()
	require.NoError(t, err)
	got, err := tb.ConfigName()
	require.NoError(t, err)
	require.Equal(t, want, got, "fakegraf.tar holds another image than the layout")

	cf, err := img.ConfigFile()
	require.NoError(t, err)
	rootfs := t.TempDir()
	files := unpack(t, img, rootfs)
	bin := filepath.Join(rootfs, "fakegraf")

	t.Run("config", func(t *testing.T) {
		uid, gid := parseUser(t, cf.Config.User)
		if uid == 0 || gid == 0 {
			t.Errorf("user %q: want a non-root numeric uid and gid", cf.Config.User)
		}
		if diff := cmp.Diff([]string{"/fakegraf"}, cf.Config.Entrypoint); diff != "" {
			t.Errorf("entrypoint (-want +got):\n%s", diff)
		}
		wantCmd := []string{"listen", "udp://0.0.0.0:8094", "tcp://0.0.0.0:8094", "--http", "0.0.0.0:8095"}
		if diff := cmp.Diff(wantCmd, cf.Config.Cmd); diff != "" {
			t.Errorf("cmd (-want +got):\n%s", diff)
		}
		wantPorts := map[string]struct{}{"8094/udp": {}, "8094/tcp": {}, "8095/tcp": {}}
		if diff := cmp.Diff(wantPorts, cf.Config.ExposedPorts); diff != "" {
			t.Errorf("exposed ports (-want +got):\n%s", diff)
		}
		if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
			t.Errorf("platform %s/%s, want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
		}
		// The labels describe the binary and the commit it was built from.
		bi, err := buildinfo.ReadFile(bin)
		require.NoError(t, err)
		rev, err := exec.Command("git", "-C", "../..", "rev-parse", "HEAD").Output()
		require.NoError(t, err, "git rev-parse HEAD: the test runs in a git checkout, with git on PATH")
		wantLabels := map[string]string{
			"org.opencontainers.image.source":   "https://" + bi.Main.Path,
			"org.opencontainers.image.revision": strings.TrimSpace(string(rev)),
			"org.opencontainers.image.licenses": "NOASSERTION",
		}
		if bi.Main.Path != "github.com/fakegraf/fakegraf" {
			t.Errorf("the binary's module is %q", bi.Main.Path)
		}
		for k, v := range wantLabels {
			if cf.Config.Labels[k] != v {
				t.Errorf("label %s = %q, want %q", k, cf.Config.Labels[k], v)
			}
		}
		if cf.Config.Labels["org.opencontainers.image.version"] == "" {
			t.Errorf("no version label")
		}
	})

	t.Run("layer", func(t *testing.T) {
		layers, err := img.Layers()
		require.NoError(t, err)
		require.Len(t, layers, 1)
		want := []string{"fakegraf 0755 regular uid 0", "tmp/ 1777 dir uid 0"}
		if diff := cmp.Diff(want, files); diff != "" {
			t.Errorf("the layer's files (-want +got): it should hold the binary, /tmp and nothing else (no shell):\n%s", diff)
		}
	})

	t.Run("static", func(t *testing.T) {
		f, err := elf.Open(bin)
		require.NoError(t, err)
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("the binary has a PT_INTERP program header: it needs a dynamic loader the image does not have")
			}
		}
		libs, err := f.ImportedLibraries()
		require.NoError(t, err)
		if len(libs) > 0 {
			t.Errorf("the binary needs shared libraries %q", libs)
		}
	})

	t.Run("runs", func(t *testing.T) {
		runInNamespace(t, rootfs, containerSpec{
			Args: append(slices.Clone(cf.Config.Entrypoint), cf.Config.Cmd...),
			Env:  cf.Config.Env,
			User: cf.Config.User,
			Dir:  cf.Config.WorkingDir,
		})
	})
}

// TestCommandMatchesPorts keeps the table of the image in one piece: every
// address the default command binds is exposed, and every exposed port is
// bound.
func TestCommandMatchesPorts(t *testing.T) {
	var bound []string
	for i, a := range Command {
		switch {
		case a == "--http" && i+1 < len(Command):
			_, port, err := net.SplitHostPort(Command[i+1])
			require.NoError(t, err, "--http %s", Command[i+1])
			bound = append(bound, port+"/tcp")
		case strings.Contains(a, "://"):
			scheme, hostport, _ := strings.Cut(a, "://")
			if strings.HasPrefix(scheme, "unix") {
				continue // a path in the container, not a port
			}
			_, port, err := net.SplitHostPort(hostport)
			require.NoError(t, err, a)
			bound = append(bound, port+"/"+strings.TrimRight(scheme, "46"))
		}
	}
	sort.Strings(bound)
	exposed := slices.Sorted(slices.Values(Ports))
	if diff := cmp.Diff(exposed, bound); diff != "" {
		t.Errorf("Command binds other ports than Ports exposes (-Ports +Command): change both together:\n%s", diff)
	}
}

// unpack extracts img's layers into dir as a runtime would and lists what
// they hold, one "name mode type uid N" line per entry.
func unpack(t *testing.T, img v1.Image, dir string) []string {
	t.Helper()
	layers, err := img.Layers()
	require.NoError(t, err)
	var files []string
	for _, l := range layers {
		rc, err := l.Uncompressed()
		require.NoError(t, err)
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			path := filepath.Join(dir, filepath.FromSlash(h.Name))
			require.True(t, strings.HasPrefix(path, dir+string(filepath.Separator)), "entry %q escapes the root", h.Name)
			mode := os.FileMode(h.Mode).Perm()
			var kind string
			switch h.Typeflag {
			case tar.TypeDir:
				kind = "dir"
				require.NoError(t, os.MkdirAll(path, 0o755))
				// Chmod, not MkdirAll's mode: the umask would drop the
				// sticky and world-writable bits of /tmp.
				require.NoError(t, os.Chmod(path, mode|fileModeSticky(h.Mode)))
			case tar.TypeReg:
				kind = "regular"
				f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
				require.NoError(t, err)
				_, err = io.Copy(f, tr)
				require.NoError(t, err)
				require.NoError(t, f.Close())
				require.NoError(t, os.Chmod(path, mode))
			default:
				kind = fmt.Sprintf("type %q", h.Typeflag)
			}
			files = append(files, fmt.Sprintf("%s %04o %s uid %d", h.Name, h.Mode&0o7777, kind, h.Uid))
		}
		require.NoError(t, rc.Close())
	}
	sort.Strings(files)
	return files
}

// fileModeSticky is os.ModeSticky when the tar mode has the sticky bit.
func fileModeSticky(mode int64) os.FileMode {
	if mode&0o1000 != 0 {
		return os.ModeSticky
	}
	return 0
}

func parseUser(t *testing.T, user string) (uid, gid int) {
	t.Helper()
	u, g, ok := strings.Cut(user, ":")
	require.True(t, ok, "user %q: want numeric UID:GID, so that no /etc/passwd is needed", user)
	uid, err := strconv.Atoi(u)
	require.NoError(t, err, "user %q: want a numeric uid", user)
	gid, err = strconv.Atoi(g)
	require.NoError(t, err, "user %q: want a numeric gid", user)
	return uid, gid
}

// containerSpec is what a runtime takes from the image's config.
type containerSpec struct {
	Args []string
	Env  []string
	User string
	Dir  string
}

// runInNamespace runs spec from rootfs as a container runtime would, as
// far as fakegraf can tell: chrooted into the unpacked layer, as the
// image's user, in a network namespace of its own. The namespace is what
// lets the image's fixed ports 8094 and 8095 bind while other tests (or a
// fakegraf on this machine) hold them. The test's sender and API client
// must be in that namespace too, so the whole step runs in a child: this
// test binary re-executed with CLONE_NEWNET (TestMain sends it to
// runContainer). That needs root, as CI has.
func runInNamespace(t *testing.T, rootfs string, spec containerSpec) {
	if os.Geteuid() != 0 {
		if os.Getenv("FAKEGRAF_REQUIRE_NETNS") != "" {
			t.Fatal("running the image's command needs root (a network namespace and a chroot), and FAKEGRAF_REQUIRE_NETNS is set: run the tests as root, as .ci/run does")
		}
		t.Skip("running the image's command needs root (a network namespace and a chroot): run go test as root to include it (CI does, with FAKEGRAF_REQUIRE_NETNS=1)")
	}
	// The image's user must reach the binary through the test's temporary
	// directories, which are root's and mode 0700.
	for d := rootfs; d != filepath.Dir(os.TempDir()) && d != "/"; d = filepath.Dir(d) {
		if strings.HasPrefix(d, os.TempDir()+string(filepath.Separator)) {
			require.NoError(t, os.Chmod(d, 0o755))
		}
	}
	specJSON, err := json.Marshal(spec)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childRootfsEnv+"="+rootfs, childSpecEnv+"="+string(specJSON))
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	t.Logf("in the network namespace:\n%s", out)
	require.NoError(t, err, "the image's command failed in its network namespace (its output is above)")
}

// runContainer is the child's part: bring up loopback, start the
// entrypoint, send a metric over UDP and one over TCP to its default
// addresses, read them back through the API with the Host header another
// container would send, then stop it with SIGTERM and expect a clean exit.
func runContainer(rootfs string, spec containerSpec) error {
	if err := loopbackUp(); err != nil {
		return fmt.Errorf("bring up lo in the new network namespace: %w", err)
	}
	uid, gid, err := numericUser(spec.User)
	if err != nil {
		return err
	}
	var stdout, stderr syncBuffer
	cmd := exec.Command(spec.Args[0], spec.Args[1:]...)
	cmd.Env = spec.Env
	cmd.Dir = spec.Dir
	if cmd.Dir == "" {
		cmd.Dir = "/" // what runtimes use when the image sets no WorkingDir
	}
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Chroot:     rootfs,
		Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)},
		Pdeathsig:  syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %q chrooted in %s: %w", spec.Args, rootfs, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	fail := func(format string, a ...any) error {
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("%s\nfakegraf's stdout:\n%s\nfakegraf's stderr:\n%s", fmt.Sprintf(format, a...), stdout.String(), stderr.String())
	}

	// A container's neighbour names it by its service name: the API must
	// answer that Host header, not only localhost.
	client := &http.Client{Timeout: 5 * time.Second}
	getMetrics := func() ([]string, error) {
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:8095/api/v1/metrics", nil)
		if err != nil {
			return nil, err
		}
		req.Host = "fakegraf:8095"
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET /api/v1/metrics with Host fakegraf:8095: %s: %s", resp.Status, body)
		}
		var r struct {
			Metrics []struct {
				Name   string            `json:"name"`
				Tags   map[string]string `json:"tags"`
				Fields map[string]any    `json:"fields"`
			} `json:"metrics"`
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, fmt.Errorf("GET /api/v1/metrics: %w: %s", err, body)
		}
		// Name, the via tag and the value: the host tag and the time are
		// the machine's.
		var got []string
		for _, m := range r.Metrics {
			got = append(got, fmt.Sprintf("%s via=%s value=%v", m.Name, m.Tags["via"], m.Fields["value"]))
		}
		return got, nil
	}

	const (
		udpLine = "image_udp,via=udp value=1i\n"
		tcpLine = "image_tcp,via=tcp value=2i\n"
		udpWant = "image_udp via=udp value=1"
		tcpWant = "image_tcp via=tcp value=2"
	)
	sentTCP := false
	var lastErr error
	deadline := time.Now().Add(30 * time.Second)
	for {
		if time.Now().After(deadline) {
			return fail("the metrics sent over udp and tcp did not show up in the API within 30s; last: %v", lastErr)
		}
		select {
		case err := <-exited:
			exited <- err
			return fail("fakegraf exited before it was stopped: %v", err)
		default:
		}
		// UDP may be sent before the socket is bound, and is then lost:
		// send it again each round until it shows up.
		if c, err := net.Dial("udp", "127.0.0.1:8094"); err == nil {
			_, _ = c.Write([]byte(udpLine))
			c.Close()
		}
		if !sentTCP {
			if c, err := net.Dial("tcp", "127.0.0.1:8094"); err == nil {
				_, err = c.Write([]byte(tcpLine))
				sentTCP = err == nil
				c.Close()
			}
		}
		lines, err := getMetrics()
		lastErr = err
		if err == nil {
			lastErr = fmt.Errorf("the API has %q", lines)
			if slices.Contains(lines, udpWant) && slices.Contains(lines, tcpWant) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond) // a poll interval, not a wait for something
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fail("SIGTERM: %v", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			return fmt.Errorf("after SIGTERM fakegraf exited with %v, want 0\nfakegraf's stdout:\n%s\nfakegraf's stderr:\n%s", err, stdout.String(), stderr.String())
		}
	case <-time.After(30 * time.Second): // a guard against a hang, not a timing assertion
		return fail("fakegraf did not exit within 30s of SIGTERM")
	}
	if !strings.Contains(stdout.String(), "summary") {
		return fmt.Errorf("fakegraf exited without its summary\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	fmt.Printf("fakegraf's stderr:\n%s\nfakegraf's stdout:\n%s", stderr.String(), stdout.String())
	return nil
}

// loopbackUp sets IFF_UP on lo, which a new network namespace starts
// without; an ioctl, so that no ip(8) is needed.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

func numericUser(user string) (uid, gid int, err error) {
	u, g, _ := strings.Cut(user, ":")
	if uid, err = strconv.Atoi(u); err != nil {
		return 0, 0, fmt.Errorf("user %q is not numeric", user)
	}
	if gid, err = strconv.Atoi(g); err != nil {
		return 0, 0, fmt.Errorf("user %q has no numeric gid", user)
	}
	return uid, gid, nil
}

// syncBuffer is a bytes.Buffer that the process writes while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

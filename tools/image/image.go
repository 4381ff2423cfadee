package image

import (
	"archive/tar"
	"bytes"
	"cmp"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// What the image runs and exposes, kept together: a listener added to
// Command is added to Ports in the same change (TestCommandMatchesPorts
// fails otherwise).
//
// Inside a container, listening on every interface is the right default,
// and the only place where it is: the container's own network namespace is
// the boundary, and Docker's port mappings (-p 127.0.0.1:8094:8094/udp, a
// GitHub service's ports) decide who outside reaches it. Loopback inside
// the container would be reachable by nobody. The addresses are written out
// rather than left to a flag so that `docker inspect` shows exactly what
// binds; with --http on a non-loopback address the API accepts any Host
// header, so it answers to the container's name and IP (api.HandlerOptions
// AnyHost) as well as to localhost through a port mapping.
//
// The unix socket of a bare `fakegraf listen` (/tmp/telegraf.sock) is left
// out on purpose: no sender outside the container can reach a socket in it
// unless /tmp is a shared volume, and then the user names it in their own
// command (docs/container.md).
var (
	Command = []string{
		"listen",
		"udp://0.0.0.0:8094",
		"tcp://0.0.0.0:8094",
		"--http", "0.0.0.0:8095",
	}
	Ports = []string{"8094/udp", "8094/tcp", "8095/tcp"}
)

const (
	// User is numeric so that runtimes (and Kubernetes' runAsNonRoot) can
	// tell it is not root without an /etc/passwd; 65532 is distroless's
	// "nonroot".
	User = "65532:65532"
	// Entrypoint is where the binary sits in the image's only layer.
	Entrypoint = "/fakegraf"
	// license is the label's SPDX value. The repository has no LICENSE file
	// yet, so the image asserts none; change it when one is added.
	license = "NOASSERTION"
)

// Options say what Build builds.
type Options struct {
	// Dir is the module root, where ./cmd/fakegraf is built from; empty
	// means the working directory.
	Dir string
	// Platforms are GOARCH values for linux, one image each: "amd64",
	// "arm64".
	Platforms []string
	// Log receives go build's output; nil discards it.
	Log io.Writer
}

// Build compiles a static fakegraf for each platform and returns an OCI
// image index holding one image per platform.
func Build(ctx context.Context, opt Options) (v1.ImageIndex, error) {
	if len(opt.Platforms) == 0 {
		return nil, errors.New("no platform to build: give one or more GOARCH values, such as amd64")
	}
	tmp, err := os.MkdirTemp("", "fakegraf-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range opt.Platforms {
		bin := filepath.Join(tmp, "fakegraf-"+arch)
		if err := goBuild(ctx, opt, arch, bin); err != nil {
			return nil, err
		}
		img, err := imageOf(ctx, opt.Dir, bin, arch)
		if err != nil {
			return nil, fmt.Errorf("linux/%s: %w", arch, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	return idx, nil
}

// goBuild builds the binary as a scratch image needs it: CGO_ENABLED=0, so
// that it needs no libc or dynamic loader, and -trimpath, so that it holds
// no path of the build machine.
func goBuild(ctx context.Context, opt Options, arch, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, "./cmd/fakegraf")
	cmd.Dir = opt.Dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if opt.Log != nil {
		cmd.Stdout, cmd.Stderr = io.MultiWriter(&stderr, opt.Log), io.MultiWriter(&stderr, opt.Log)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for linux/%s: %w: %s(run it from the module root, with Go on PATH)", arch, err, stderr.String())
	}
	return nil
}

// imageOf wraps a built binary into a one-layer image for linux/arch.
func imageOf(ctx context.Context, dir, bin, arch string) (v1.Image, error) {
	if err := checkStatic(bin); err != nil {
		return nil, err
	}
	labels, created, err := labelsOf(ctx, dir, bin)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	layerTar, err := rootfs(data, created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "make image (tools/image/build)"},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Created = v1.Time{Time: created}
	cf.Config.User = User
	cf.Config.Entrypoint = []string{Entrypoint}
	cf.Config.Cmd = append([]string(nil), Command...)
	cf.Config.ExposedPorts = map[string]struct{}{}
	for _, p := range Ports {
		cf.Config.ExposedPorts[p] = struct{}{}
	}
	cf.Config.Labels = labels
	return mutate.ConfigFile(img, cf)
}

// checkStatic refuses a binary that needs a dynamic loader: the image has
// none, and the container would fail with a bare "no such file or
// directory".
func checkStatic(bin string) error {
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("read the built binary: %w", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked: build it with CGO_ENABLED=0", bin)
		}
	}
	return nil
}

// labelsOf says what the image holds: the module the binary was built
// from (read from the binary, so it cannot disagree), the commit and the
// version. The commit comes from git rather than from the binary's own
// vcs.* stamp, which Go leaves out in a git worktree or with
// -buildvcs=false. created is the commit's time, so that the same commit
// gives the same image; the epoch when there is no git.
func labelsOf(ctx context.Context, dir, bin string) (map[string]string, time.Time, error) {
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read the built binary's build info: %w", err)
	}
	labels := map[string]string{
		"org.opencontainers.image.title":       "fakegraf",
		"org.opencontainers.image.description": "stands in for Telegraf's socket_listener while you build and test programs that send it metrics",
		"org.opencontainers.image.source":      "https://" + bi.Main.Path,
		"org.opencontainers.image.licenses":    license,
	}
	created := time.Unix(0, 0).UTC()
	git := func(args ...string) string {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	if rev := git("rev-parse", "HEAD"); rev != "" {
		labels["org.opencontainers.image.revision"] = rev
		if t, err := time.Parse(time.RFC3339, git("log", "-1", "--format=%cI")); err == nil {
			created = t.UTC()
		}
	}
	// A tagged build's module version (v1.2.3) when Go stamped one, else
	// git's description of the commit (v1.2.3-4-gabcdef-dirty, or the
	// short hash before the first tag).
	version := bi.Main.Version
	if version == "" || version == "(devel)" {
		version = cmp.Or(git("describe", "--tags", "--always", "--dirty"), "(devel)")
	}
	labels["org.opencontainers.image.version"] = version
	return labels, created, nil
}

// rootfs is the layer: the binary at Entrypoint and an empty /tmp that the
// non-root user may write to (for a unix socket the user adds, or
// --metrics-out). Owned by root, so the running user cannot replace the
// binary.
func rootfs(bin []byte, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdrs := []*tar.Header{
		{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777},
		{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(Entrypoint, "/"), Mode: 0o755, Size: int64(len(bin))},
	}
	for _, h := range hdrs {
		h.ModTime, h.Format = mtime, tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(bin); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteLayout writes idx as an OCI image layout in dir, replacing what was
// there, with ref as its name (org.opencontainers.image.ref.name). The
// layout's index.json has one entry, the image index, so that
// `crane push DIR REF` pushes every platform as one multi-platform image.
func WriteLayout(dir string, idx v1.ImageIndex, ref string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": ref}))
}

// WriteTarball writes the image of idx for linux/arch as a tarball that
// `docker load` reads, tagged tag.
func WriteTarball(path string, idx v1.ImageIndex, arch, tag string) error {
	img, err := ImageFor(idx, arch)
	if err != nil {
		return err
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("tag %q: %w (want NAME:TAG, such as fakegraf:latest)", tag, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return tarball.WriteToFile(path, ref, img)
}

// ImageFor is the image of idx for linux/arch.
func ImageFor(idx v1.ImageIndex, arch string) (v1.Image, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var have []string
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == arch {
			return idx.Image(d.Digest)
		}
		if d.Platform != nil {
			have = append(have, d.Platform.OS+"/"+d.Platform.Architecture)
		}
	}
	return nil, fmt.Errorf("no image for linux/%s in the index (it has %s): add %s to the platforms", arch, strings.Join(have, ", "), arch)
}

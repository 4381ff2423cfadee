// Command build writes fakegraf's container image under -out without a
// Docker daemon: an OCI image layout (oci/, every platform, for crane push)
// and a tarball for `docker load` (fakegraf.tar, this machine's platform).
// `make image` runs it (from tools/image, a module of its own); docs/container.md uses the
// result.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/fakegraf/fakegraf/tools/image"
)

func main() {
	root := flag.String("root", "../..", "the fakegraf repository, whose ./cmd/fakegraf is built")
	out := flag.String("out", ".cache/image", "write the image layout and tarball under `DIR`")
	platforms := flag.String("platforms", "amd64,arm64", "comma-separated linux `GOARCH` values, one image each")
	tag := flag.String("tag", "fakegraf:latest", "the `NAME:TAG` docker load gives the image")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "build: unexpected arguments %q: it takes only flags (-root, -out, -platforms, -tag)\n", flag.Args())
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	archs := strings.Split(*platforms, ",")
	idx, err := image.Build(ctx, image.Options{Dir: *root, Platforms: archs, Log: os.Stderr})
	if err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n", err)
		os.Exit(1)
	}
	// docker load wants one image: this machine's, which is the one it runs.
	arch := runtime.GOARCH
	if !slices.Contains(archs, arch) {
		arch = archs[0]
	}
	dir, tar := filepath.Join(*out, "oci"), filepath.Join(*out, "fakegraf.tar")
	if err := image.WriteLayout(dir, idx, *tag); err != nil {
		fmt.Fprintf(os.Stderr, "build: write %s: %v\n", dir, err)
		os.Exit(1)
	}
	if err := image.WriteTarball(tar, idx, arch, *tag); err != nil {
		fmt.Fprintf(os.Stderr, "build: write %s: %v\n", tar, err)
		os.Exit(1)
	}
	d, _ := idx.Digest()
	fmt.Printf("wrote %s (OCI image index %s, linux/%s)\n", dir, d, strings.Join(archs, ", linux/"))
	fmt.Printf("wrote %s (linux/%s, %s)\n", tar, arch, *tag)
	fmt.Printf("load it with: docker load < %s\npush it with: crane push %s REGISTRY/fakegraf:TAG\n", tar, dir)
}

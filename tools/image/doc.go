// Package image builds fakegraf's container image without a Docker daemon:
// the static fakegraf binary in one layer on an empty base, run as a
// numeric non-root user, with `fakegraf listen` on every interface as its
// default command. It writes an OCI image layout (an image index, one image
// per platform, for `crane push`) and a tarball that `docker load` reads.
// `make image` runs it through the small program in ./build; docs/container.md
// says how to use the result.
//
// It uses go-containerregistry, the reference Go library for OCI images, so
// that building needs only Go: no daemon, no Dockerfile, no base image to
// pull. It is a Go module of its own (it imports nothing of fakegraf's: it
// builds ./cmd/fakegraf with the go command) so that go-containerregistry's
// requirements (newer klauspost/compress, golang.org/x/...) do not raise the
// versions fakegraf itself is built with: those must stay the ones Telegraf
// v1.37.2 pins, for fidelity. The image holds nothing but the binary and an empty /tmp: no shell,
// no libc, no CA certificates (fakegraf makes no outbound connections).
//
// What the image runs and exposes is the one table Command and Ports; a new
// default listener is a line in each.
//
// It deliberately does not push anywhere or tag for a registry: where the
// image goes is the user's choice (docs/container.md).
package image

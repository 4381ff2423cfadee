// Package testcert makes throwaway TLS certificates for tests, so that
// the tests of every package can bind a TLS listener the way a user's
// tls_cert and tls_key would.
package testcert

// Package jsontest holds helpers for tests that compare fakegraf's JSON
// reports, so that the tests of every package edit a decoded event alike.
package jsontest

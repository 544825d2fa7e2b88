//go:build !linux

package main

// stopWithParent does nothing outside Linux: there, stop the service itself
// (Ctrl-C reaches it through the terminal's process group).
func stopWithParent() {}

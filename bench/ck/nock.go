//go:build !ck

package main

import (
	"fmt"
	"os"
)

// Without the ck tag the producer is not compiled in: say how to build it.
func main() {
	fmt.Fprintln(os.Stderr, "ck: built without -tags ck; build with: CGO_ENABLED=1 go build -tags ck")
	os.Exit(2)
}

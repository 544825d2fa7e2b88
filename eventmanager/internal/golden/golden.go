// Package golden is the golden-file comparison shared by the test helpers
// eventmanagertest and dashboards/dashboardstest: compare a rendering with
// a file, or rewrite the file when the test binary runs with -update or
// SASQUATCH_UPDATE_GOLDEN=1.
//
// The -update flag needs no declaration in the user's test package: this
// package defines it, while the test binary is initialized, unless a
// package initialized before it already did (then that flag is the switch),
// as gotest.tools' golden package does. A test package that imports
// eventmanagertest must therefore not define "update" itself (the flag
// package panics on a second definition): it reads the switch with
// flag.Lookup("update").
package golden

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// UpdateFlag is the name of the flag that makes Compare rewrite its file.
const UpdateFlag = "update"

// The -update flag is defined once, while the package is initialized (the
// flag must exist before the test binary parses its arguments).
var _ = defineUpdate()

// defineUpdate defines the -update flag unless it exists already; it
// reports whether it did.
func defineUpdate() bool {
	if flag.Lookup(UpdateFlag) != nil {
		return false
	}
	flag.Bool(UpdateFlag, false, "rewrite the golden files (sasquatch-go's eventmanagertest.AssertPipeline, dashboardstest and the tests' own)")
	return true
}

// UpdateEnv is the environment variable that makes Compare rewrite its file
// when set to 1, for test binaries that declare no -update flag.
const UpdateEnv = "SASQUATCH_UPDATE_GOLDEN"

// Compare returns nil when the file at path holds got, a *MismatchError when
// it holds something else, and an error naming pkg (the calling package,
// for messages) when it is missing (errors.Is fs.ErrNotExist) or
// unreadable. When Updating it writes got to path instead (creating its
// directory) and returns nil or the error of writing.
func Compare(pkg, got, path string) error {
	if Updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("%s: update golden file: %w", pkg, err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			return fmt.Errorf("%s: update golden file: %w", pkg, err)
		}
		return nil
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: golden file %s does not exist: run the test with -update (or %s=1) to write it: %w", pkg, path, UpdateEnv, err)
	}
	if err != nil {
		return fmt.Errorf("%s: read golden file: %w", pkg, err)
	}
	if string(want) == got {
		return nil
	}
	return &MismatchError{Path: path, Want: string(want), Got: got}
}

// Updating reports whether golden files should be rewritten: the test
// binary's -update flag is true, or UpdateEnv is 1.
func Updating() bool {
	if os.Getenv(UpdateEnv) == "1" {
		return true
	}
	f := flag.Lookup(UpdateFlag)
	return f != nil && f.Value.String() == "true"
}

// MismatchError is Compare's error when the file differs; the callers wrap
// it with what the file holds and how to fix the difference.
type MismatchError struct {
	Path, Want, Got string
}

func (e *MismatchError) Error() string {
	line, w, g := e.FirstDiff()
	return fmt.Sprintf("%s differs at line %d:\n\twant %q\n\tgot  %q", e.Path, line, w, g)
}

// FirstDiff returns the 1-based number of the first line where Want and Got
// differ, and those lines ("" past the end of either).
func (e *MismatchError) FirstDiff() (int, string, string) {
	wl, gl := strings.Split(e.Want, "\n"), strings.Split(e.Got, "\n")
	for i := 0; ; i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			return i + 1, w, g
		}
	}
}

// Package envfile reads the KEY=VALUE files the local Sasquatch stack writes
// and pins its versions in (stack/versions.env, stack.env): one assignment a
// line, blank lines and # comments skipped, no quoting or expansion.
package envfile

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// Read returns the assignments of the file at path. A line that is neither
// blank, a comment, nor KEY=VALUE is an error naming the file and the line.
func Read(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env := make(map[string]string)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s: malformed line %q", path, line)
		}
		env[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return env, nil
}

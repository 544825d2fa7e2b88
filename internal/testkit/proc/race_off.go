//go:build !race

package proc

// race reports whether this binary runs with the race detector; Build then
// builds with it too.
const race = false

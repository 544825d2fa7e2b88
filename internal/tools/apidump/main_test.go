package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestDump lists a small package's exported API: functions, methods on
// exported types, struct fields (embedded too), interface methods,
// constants, variables and generic types; nothing unexported, nothing from
// tests, internal or main packages.
func TestDump(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, src string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("p/p.go", `package p

import "context"

const A, b = 1, 2
var V error
type T[E any] struct {
	Base
	X, y int
	Z []E
}
type Base struct{ ID string }
type I interface {
	M(ctx context.Context) error
	m()
}
type S = string
func F(x int) (string, error) { return "", nil }
func (t *T[E]) Do(e E) {}
func (t *T[E]) do() {}
type u struct{}
func (u) Exported() {}
`)
	write("p/p_test.go", "package p\nfunc TestOnly() {}\n")
	write("internal/q/q.go", "package q\nfunc Hidden() {}\n")
	write("p/internal/r/r.go", "package r\nfunc Hidden() {}\n")
	write("m/main.go", "package main\nfunc Exported() {}\n")
	got, err := dump("example.com/mod", dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pkg example.com/mod/p, const A",
		"pkg example.com/mod/p, func F(x int) (string, error)",
		"pkg example.com/mod/p, method (*T[E]) Do(e E)",
		"pkg example.com/mod/p, type Base struct",
		"pkg example.com/mod/p, type Base struct, ID string",
		"pkg example.com/mod/p, type I interface",
		"pkg example.com/mod/p, type I interface, M(ctx context.Context) error",
		"pkg example.com/mod/p, type S = string",
		"pkg example.com/mod/p, type T[E any] struct",
		"pkg example.com/mod/p, type T[E any] struct, X int",
		"pkg example.com/mod/p, type T[E any] struct, Z []E",
		"pkg example.com/mod/p, type T[E any] struct, embedded Base",
		"pkg example.com/mod/p, var V error",
	}
	if !slices.Equal(got, want) {
		t.Errorf("dump =\n%q\nwant\n%q", got, want)
	}
}

// Command apidump prints the exported API of the module's public packages,
// one declaration per line, sorted, in the form of Go's own api/*.txt files:
//
//	pkg github.com/lsst-sqre/sasquatch-go/config, func FromEnv() (Config, error)
//	pkg github.com/lsst-sqre/sasquatch-go/config, type Config struct, AppName string
//
// `make api` writes it to api/sasquatch-go.txt; `make api-check` (run by
// .ci/run) fails when the code's API differs from that file, so that every
// API change is made deliberately, with the file and CHANGELOG.md. It reads
// the source with go/parser (no type checking): public packages are those
// outside internal/, cmd/, examples/, bench/, stack/ and interop/ that are not
// package main; _test.go files are skipped.
package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// skipped are the top-level directories whose packages are not public API.
var skipped = []string{"internal", "cmd", "examples", "bench", "stack", "interop", "testdata", "api", "docs"}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: apidump MODULE_PATH DIR")
		os.Exit(2)
	}
	lines, err := dump(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "apidump:", err)
		os.Exit(1)
	}
	for _, l := range lines {
		fmt.Println(l)
	}
}

// dump returns the API lines of every public package under dir, whose
// import path is module.
func dump(module, dir string) ([]string, error) {
	var lines []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		if rel != "." {
			top := strings.Split(filepath.ToSlash(rel), "/")[0]
			if slices.Contains(skipped, top) || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "internal" {
				return filepath.SkipDir
			}
		}
		pkgLines, err := dumpDir(module, filepath.ToSlash(rel), path)
		lines = append(lines, pkgLines...)
		return err
	})
	slices.Sort(lines)
	return lines, err
}

// dumpDir returns the API lines of the package in dir (none for a
// directory without Go files or with a main package).
func dumpDir(module, rel, dir string) ([]string, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		if f.Name.Name == "main" {
			return nil, nil
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, nil
	}
	path := module
	if rel != "." {
		path += "/" + rel
	}
	d := dumper{fset: fset, prefix: "pkg " + path + ", "}
	for _, f := range files {
		for _, decl := range f.Decls {
			d.decl(decl)
		}
	}
	return d.lines, nil
}

// dumper collects the lines of one package.
type dumper struct {
	fset   *token.FileSet
	prefix string
	lines  []string
}

func (d *dumper) add(format string, a ...any) {
	d.lines = append(d.lines, d.prefix+fmt.Sprintf(format, a...))
}

// src prints a node as Go source on one line.
func (d *dumper) src(n ast.Node) string {
	var b bytes.Buffer
	_ = printer.Fprint(&b, d.fset, n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func (d *dumper) decl(decl ast.Decl) {
	switch x := decl.(type) {
	case *ast.FuncDecl:
		if !x.Name.IsExported() {
			return
		}
		sig := strings.TrimPrefix(d.src(x.Type), "func")
		if x.Recv == nil {
			d.add("func %s%s", x.Name.Name, sig)
			return
		}
		recv := d.src(x.Recv.List[0].Type)
		if !ast.IsExported(strings.TrimLeft(strings.SplitN(recv, "[", 2)[0], "*")) {
			return
		}
		d.add("method (%s) %s%s", recv, x.Name.Name, sig)
	case *ast.GenDecl:
		for _, spec := range x.Specs {
			switch s := spec.(type) {
			case *ast.TypeSpec:
				d.typeSpec(s)
			case *ast.ValueSpec:
				kind := strings.ToLower(x.Tok.String())
				for _, n := range s.Names {
					if !n.IsExported() {
						continue
					}
					if s.Type != nil {
						d.add("%s %s %s", kind, n.Name, d.src(s.Type))
					} else {
						d.add("%s %s", kind, n.Name)
					}
				}
			}
		}
	}
}

func (d *dumper) typeSpec(s *ast.TypeSpec) {
	if !s.Name.IsExported() {
		return
	}
	name := s.Name.Name
	if s.TypeParams != nil {
		var params []string
		for _, f := range s.TypeParams.List {
			var names []string
			for _, n := range f.Names {
				names = append(names, n.Name)
			}
			params = append(params, strings.Join(names, ", ")+" "+d.src(f.Type))
		}
		name += "[" + strings.Join(params, ", ") + "]"
	}
	if s.Assign.IsValid() {
		d.add("type %s = %s", name, d.src(s.Type))
		return
	}
	switch t := s.Type.(type) {
	case *ast.StructType:
		d.add("type %s struct", name)
		for _, f := range t.Fields.List {
			typ := d.src(f.Type)
			if len(f.Names) == 0 { // embedded
				if ast.IsExported(strings.TrimLeft(strings.SplitN(typ, "[", 2)[0], "*")) {
					d.add("type %s struct, embedded %s", name, typ)
				}
				continue
			}
			for _, n := range f.Names {
				if n.IsExported() {
					d.add("type %s struct, %s %s", name, n.Name, typ)
				}
			}
		}
	case *ast.InterfaceType:
		d.add("type %s interface", name)
		for _, m := range t.Methods.List {
			for _, n := range m.Names {
				if n.IsExported() {
					d.add("type %s interface, %s%s", name, n.Name, strings.TrimPrefix(d.src(m.Type), "func"))
				}
			}
			if len(m.Names) == 0 {
				d.add("type %s interface, embedded %s", name, d.src(m.Type))
			}
		}
	default:
		d.add("type %s %s", name, d.src(s.Type))
	}
}

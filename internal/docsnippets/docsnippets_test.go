package docsnippets

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// skipMarker begins the line before a ```go block that cannot be made
// self-contained (an excerpt of a program, pieces of several programs); the
// rest of the comment says why, e.g. <!-- snippet: fragment of the example -->.
const skipMarker = "<!-- snippet: fragment"

const module = "github.com/lsst-sqre/sasquatch-go"

// packages maps the package names snippets use to their import paths: a
// snippet is completed with the imports of the names it qualifies.
var packages = map[string]string{
	"context":          "context",
	"errors":           "errors",
	"fmt":              "fmt",
	"json":             "encoding/json",
	"http":             "net/http",
	"os":               "os",
	"slog":             "log/slog",
	"strings":          "strings",
	"testing":          "testing",
	"time":             "time",
	"config":           module + "/config",
	"eventmanager":     module + "/eventmanager",
	"eventmanagertest": module + "/eventmanager/eventmanagertest",
	"batch":            module + "/eventmanager/batch",
	"dashboards":       module + "/eventmanager/dashboards",
	"httpmetrics":      module + "/eventmanager/httpmetrics",
	"prom":             module + "/eventmanager/prom",
	"payload":          module + "/payload",
	"schemaregistry":   module + "/schemaregistry",
	"registrytest":     module + "/schemaregistry/registrytest",
	"appevents":        module + "/examples/appevents",
	"prometheus":       "github.com/prometheus/client_golang/prometheus",
	"collectors":       "github.com/prometheus/client_golang/prometheus/collectors",
	"promhttp":         "github.com/prometheus/client_golang/prometheus/promhttp",
	"kgo":              "github.com/twmb/franz-go/pkg/kgo",
	"kprom":            "github.com/twmb/franz-go/plugin/kprom",
	"yaml":             "gopkg.in/yaml.v3",
	"dashboard":        "github.com/grafana/grafana-foundation-sdk/go/dashboard",
}

// prelude declares the names the docs use without declaring them (the
// manager m, a context ctx, the example application's event types...). A
// declaration is added only when the snippet uses the name and does not
// declare it at top level; a snippet's own := shadows it.
var prelude = map[string]string{
	"ctx":         "var ctx context.Context",
	"m":           "var m *eventmanager.Manager",
	"logger":      "var logger *slog.Logger",
	"log":         "var log *slog.Logger", // unless the snippet uses package log (logPkg)
	"t":           "var t *testing.T",
	"mux":         "var mux *http.ServeMux",
	"file":        "var file struct{ Metrics config.SafirMetrics }",
	"d":           "var d *dashboards.Dashboard",
	"QueryType":   "type QueryType = appevents.QueryType",
	"QueryAsync":  "const QueryAsync = appevents.QueryAsync",
	"QuerySync":   "const QuerySync = appevents.QuerySync",
	"QueryEvent":  "type QueryEvent = appevents.QueryEvent",
	"LoginEvent":  "type LoginEvent = appevents.LoginEvent",
	"ReportEvent": "type ReportEvent = appevents.ReportEvent",
	"events":      "var events *appevents.Events",
	"reports":     "var reports *eventmanager.Publisher[ReportEvent]",
	"timer":       "var timer *eventmanager.Timer[ReportEvent]",
	"p":           "var p *eventmanager.Publisher[QueryEvent]",
	"want":        "var want []QueryEvent",
	"ev":          "var ev QueryEvent",
	"buildReport": "func buildReport(context.Context) (int64, error) { return 0, nil }",
}

// logPkg lists the functions of package log: a snippet calling one of them
// means package log, not the *slog.Logger the example names log.
var logPkg = regexp.MustCompile(`\blog\.(Print|Printf|Println|Fatal|Fatalf|Fatalln|Panic|Panicf)\(`)

type snippet struct {
	file string
	line int
	src  string
	skip bool
}

func TestDocSnippets(t *testing.T) {
	root := filepath.Join("..", "..")
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{filepath.Join(root, "README.md")}, files...)
	var all []snippet
	for _, f := range files {
		s, err := extract(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, s...)
	}
	type job struct {
		s   snippet
		src string
	}
	var jobs []job
	need := map[string]bool{}
	skipped := 0
	for _, s := range all {
		if s.skip {
			skipped++
			continue
		}
		src, imports, err := complete(s.src)
		if err != nil {
			t.Errorf("%s:%d: %v", s.file, s.line, err)
			continue
		}
		for _, p := range imports {
			need[p] = true
		}
		jobs = append(jobs, job{s, src})
	}
	t.Logf("%d snippets: %d type-checked, %d marked %q", len(all), len(jobs), skipped, skipMarker)
	if len(jobs) == 0 {
		return
	}
	exports, err := exportData(root, need)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "snippet.go", j.src, parser.ParseComments)
		if err != nil {
			t.Errorf("%s:%d: does not parse: %v\n%s", j.s.file, j.s.line, err, numbered(j.src))
			continue
		}
		imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
			e, ok := exports[path]
			if !ok {
				return nil, fmt.Errorf("no export data for %s", path)
			}
			return os.Open(e)
		})
		var errs []string
		conf := types.Config{Importer: imp, Error: func(err error) {
			if te, ok := err.(types.Error); ok && te.Soft {
				return // unused variables and imports: fragments have them
			}
			errs = append(errs, err.Error())
		}}
		_, _ = conf.Check("snippet", fset, []*ast.File{f}, nil)
		if len(errs) > 0 {
			t.Errorf("%s:%d: the snippet does not compile:\n\t%s\ncompleted as:\n%s",
				j.s.file, j.s.line, strings.Join(errs, "\n\t"), numbered(j.src))
		}
	}
}

// TestDocFragments checks what TestDocSnippets cannot compile: every code
// line of a block marked as a fragment (trailing comments, blank lines,
// comment lines and "..." left out, spaces collapsed) must be found in the
// Go files under examples/, whose programs compile and are tested as a
// whole, so that an excerpt the docs show stays the code it quotes.
func TestDocFragments(t *testing.T) {
	root := filepath.Join("..", "..")
	var code strings.Builder
	err := filepath.WalkDir(filepath.Join(root, "examples"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(data), "\n") {
			if n := codeLine(line); n != "" {
				code.WriteString(n + "\n")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range append([]string{filepath.Join(root, "README.md")}, files...) {
		snippets, err := extract(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range snippets {
			if !s.skip {
				continue
			}
			for i, line := range strings.Split(s.src, "\n") {
				n := codeLine(line)
				if n == "" || n == "..." {
					continue
				}
				checked++
				if !strings.Contains(code.String(), n) {
					t.Errorf("%s:%d: a fragment's line is not in examples/: %q (quote the example's code, or drop the fragment marker and make the block compile)", s.file, s.line+1+i, n)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no fragment line checked: were the markers renamed?")
	}
	t.Logf("%d fragment lines found in examples/", checked)
}

// trailingComment is a line comment after code.
var trailingComment = regexp.MustCompile(`\s+//.*$`)

// codeLine returns a line's code with its trailing comment removed and its
// spaces collapsed; "" for a blank or comment line.
func codeLine(line string) string {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "//") {
		return ""
	}
	return strings.Join(strings.Fields(trailingComment.ReplaceAllString(line, "")), " ")
}

// extract returns the ```go blocks of a markdown file.
func extract(path string) ([]snippet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rel := strings.TrimPrefix(filepath.ToSlash(path), "../../")
	var out []snippet
	var cur *snippet
	prev := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(line) == "```go":
			cur = &snippet{file: rel, line: n, skip: strings.HasPrefix(strings.TrimSpace(prev), skipMarker)}
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.src += line + "\n"
		}
		if strings.TrimSpace(line) != "" {
			prev = line
		}
	}
	return out, sc.Err()
}

var (
	elidedBlock = regexp.MustCompile(`\{ \.\.\. \}`)
	topDecl     = regexp.MustCompile(`^(type|func|const|import)\b`)
)

// complete makes a Go file of a snippet: a snippet with a package clause is
// kept as it is; otherwise elisions become code ("..." on a line of its own
// a panic, "{ ... }" an empty block), top-level declarations (type, func, const, import at column
// 0) stay at top level, the statements go into a function returning an error, and the file gets
// the imports of the packages it names and the prelude's declarations of the
// names it uses without declaring them. It returns the file and the import
// paths it needs.
func complete(src string) (string, []string, error) {
	if strings.HasPrefix(strings.TrimSpace(src), "package ") {
		f, err := parser.ParseFile(token.NewFileSet(), "snippet.go", src, parser.ImportsOnly)
		if err != nil {
			return "", nil, err
		}
		var paths []string
		for _, is := range f.Imports {
			paths = append(paths, strings.Trim(is.Path.Value, `"`))
		}
		return src, paths, nil
	}
	var decls, stmts, imports strings.Builder
	depth := 0
	inDecl, inImport := false, false
	for _, line := range strings.Split(strings.TrimRight(src, "\n"), "\n") {
		if strings.TrimSpace(line) == "..." {
			line = strings.Replace(line, "...", `panic("elided")`, 1)
		}
		line = elidedBlock.ReplaceAllString(line, "{}")
		if depth == 0 {
			inDecl = topDecl.MatchString(line)
			inImport = strings.HasPrefix(line, "import")
		}
		depth += nesting(line)
		switch {
		case inImport:
			imports.WriteString(line + "\n")
		case inDecl:
			decls.WriteString(line + "\n")
		default:
			stmts.WriteString("\t" + line + "\n")
		}
	}
	body := decls.String() + "\nfunc _() error {\n" + stmts.String() + "\treturn nil\n}\n"

	// The snippet's own imports, by name.
	paths := map[string]string{}
	if imports.Len() > 0 {
		f, err := parser.ParseFile(token.NewFileSet(), "imports.go", "package p\n"+imports.String(), parser.ImportsOnly)
		if err != nil {
			return "", nil, fmt.Errorf("its imports do not parse: %v", err)
		}
		for _, is := range f.Imports {
			p := strings.Trim(is.Path.Value, `"`)
			paths[p[strings.LastIndex(p, "/")+1:]] = p
		}
	}

	f, err := parser.ParseFile(token.NewFileSet(), "snippet.go", "package snippet\n"+body, 0)
	if err != nil {
		return "", nil, fmt.Errorf("does not parse once completed: %v\n%s", err, numbered(body))
	}
	declared := map[string]bool{}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				declared[d.Name.Name] = true
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					declared[s.Name.Name] = true
				case *ast.ValueSpec:
					for _, n := range s.Names {
						declared[n.Name] = true
					}
				}
			}
		}
	}
	usesLogPkg := logPkg.MatchString(body)
	var pre []string
	added := map[string]bool{}
	var addPrelude func(name string)
	addPrelude = func(name string) {
		d, ok := prelude[name]
		if !ok || declared[name] || added[name] || (name == "log" && usesLogPkg) {
			return
		}
		added[name] = true
		pre = append(pre, d)
		// The prelude's declarations use other names of the prelude and packages.
		for _, w := range regexp.MustCompile(`\w+`).FindAllString(d, -1) {
			if w != name {
				addPrelude(w)
			}
		}
	}
	idents := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			idents[id.Name] = true
		}
		return true
	})
	for name := range idents {
		addPrelude(name)
	}
	sort.Strings(pre)
	// Imports: the snippet's own, then those of the package names the file
	// (prelude included) qualifies.
	text := body + strings.Join(pre, "\n")
	// A snippet with an import block of its own shows the imports a file
	// needs: it gets no others.
	ownBlock := strings.HasPrefix(imports.String(), "import (")
	for name, p := range packages {
		if _, ok := paths[name]; ok || declared[name] || ownBlock {
			continue
		}
		if name == "log" || strings.Contains(text, name+".") && regexp.MustCompile(`\b`+name+`\.`).MatchString(text) {
			if !added[name] {
				paths[name] = p
			}
		}
	}
	if usesLogPkg && !ownBlock {
		paths["log"] = "log"
	}
	var list []string
	for _, p := range paths {
		list = append(list, p)
	}
	sort.Strings(list)
	var out strings.Builder
	out.WriteString("package snippet\n\nimport (\n")
	for _, p := range list {
		fmt.Fprintf(&out, "\t%q\n", p)
	}
	out.WriteString(")\n\n")
	for _, d := range pre {
		out.WriteString(d + "\n")
	}
	out.WriteString("\n" + body)
	return out.String(), list, nil
}

// nesting is the change in bracket depth over a line, outside strings,
// runes and comments.
func nesting(line string) int {
	n := 0
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == '\\' && quote != '`' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '`' || c == '\'':
			quote = c
		case c == '/' && i+1 < len(line) && line[i+1] == '/':
			return n
		case c == '{' || c == '(' || c == '[':
			n++
		case c == '}' || c == ')' || c == ']':
			n--
		}
	}
	return n
}

// exportData runs go list once for the export data of the packages the
// snippets import and their dependencies (built into Go's build cache).
func exportData(root string, need map[string]bool) (map[string]string, error) {
	args := []string{"list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}"}
	for p := range need {
		args = append(args, p)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -export: %v\n%s", err, stderr.String())
	}
	exports := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if path, file, ok := strings.Cut(line, "\t"); ok && file != "" {
			exports[path] = file
		}
	}
	return exports, nil
}

func numbered(src string) string {
	var b strings.Builder
	for i, l := range strings.Split(src, "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, l)
	}
	return b.String()
}

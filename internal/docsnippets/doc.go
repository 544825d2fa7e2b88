// Package docsnippets holds only a test: TestDocSnippets type-checks every
// ```go block of README.md and docs/*.md, so that the snippets users copy
// keep compiling as the API changes. See docsnippets_test.go for how a
// fragment is completed.
package docsnippets

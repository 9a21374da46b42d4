package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestEveryCommandHandled reads the package's source: every command type
// that is declared (cmd*) or queued for the runner (cmds.Push) must have a
// case in handle, and no other function may switch over command types.
// Two switches kept in step by hand once dropped a command in one state
// (issue 9 item 14); handle serves both states, offline with a nil session.
func TestEveryCommandHandled(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	commands := map[string]token.Position{} // type name: where it was found
	switches := map[string][]string{}       // function: command types in its type switches
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.TYPE {
				for _, spec := range gd.Specs {
					if ts := spec.(*ast.TypeSpec); strings.HasPrefix(ts.Name.Name, "cmd") {
						commands[ts.Name.Name] = fset.Position(ts.Pos())
					}
				}
			}
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					// x.cmds.Push(cmdX{...})
					sel, ok := n.Fun.(*ast.SelectorExpr)
					if !ok || sel.Sel.Name != "Push" || len(n.Args) != 1 {
						break
					}
					if q, ok := sel.X.(*ast.SelectorExpr); !ok || q.Sel.Name != "cmds" {
						break
					}
					if lit, ok := n.Args[0].(*ast.CompositeLit); ok {
						if id, ok := lit.Type.(*ast.Ident); ok {
							commands[id.Name] = fset.Position(n.Pos())
						} else {
							t.Errorf("%v: a command of a type this test cannot name", fset.Position(n.Pos()))
						}
					} else {
						t.Errorf("%v: queue commands as composite literals, so that this test sees their type", fset.Position(n.Pos()))
					}
				case *ast.TypeSwitchStmt:
					for _, stmt := range n.Body.List {
						for _, e := range stmt.(*ast.CaseClause).List {
							if id, ok := e.(*ast.Ident); ok {
								switches[fd.Name.Name] = append(switches[fd.Name.Name], id.Name)
							}
						}
					}
				}
				return true
			})
		}
	}
	if len(commands) < 10 {
		t.Fatalf("found only %d command types: the test no longer reads the source right", len(commands))
	}
	for name, pos := range commands {
		if !slices.Contains(switches["handle"], name) {
			t.Errorf("%s (%v) has no case in handle: it would be dropped silently", name, pos)
		}
	}
	for fn, cases := range switches {
		if fn == "handle" {
			continue
		}
		for _, c := range cases {
			if _, ok := commands[c]; ok {
				t.Errorf("%s switches over commands (%s): handle them in handle, the one switch for both states", fn, c)
				break
			}
		}
	}
}

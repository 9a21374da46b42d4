package views

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2/lang"

	"github.com/palaver-im/palaver/app/im"
)

// useLanguage switches the views to a language for one test (not
// parallel: the language is process-wide) and back to English after it.
func useLanguage(t *testing.T, code string) {
	t.Helper()
	t.Setenv("LANGUAGE", code)
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANG", "")
	loadTranslations()
	t.Cleanup(func() {
		os.Setenv("LANGUAGE", "en")
		loadTranslations()
	})
}

// message is one entry of a translation file: a string, or plural forms.
type message struct {
	forms map[string]string // "other" for a plain string
	file  string
}

// readTranslations reads translations/*.json into language → key → message.
func readTranslations(t *testing.T) map[string]map[string]message {
	t.Helper()
	files, err := filepath.Glob("translations/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no translation files: %v", err)
	}
	out := map[string]map[string]message{}
	for _, f := range files {
		parts := strings.Split(filepath.Base(f), ".")
		if len(parts) != 3 {
			t.Errorf("%s: want <area>.<language>.json", f)
			continue
		}
		code := parts[1]
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if out[code] == nil {
			out[code] = map[string]message{}
		}
		for k, v := range raw {
			m := message{forms: map[string]string{}, file: f}
			var s string
			if err := json.Unmarshal(v, &s); err == nil {
				m.forms["other"] = s
			} else if err := json.Unmarshal(v, &m.forms); err != nil {
				t.Errorf("%s: %q: neither a string nor plural forms", f, k)
				continue
			}
			if prev, ok := out[code][k]; ok && fmt.Sprint(prev.forms) != fmt.Sprint(m.forms) {
				t.Errorf("%q is translated differently in %s and %s", k, prev.file, f)
			}
			out[code][k] = m
		}
	}
	return out
}

// call is one lang call found in the views' source.
type call struct {
	key    string
	plural bool
	pos    string
}

// prose reports whether a literal reads like words a person is shown.
var prose = regexp.MustCompile(`^[A-Z][a-z]+$|[A-Za-z][a-z']*[ \x{00a0}][A-Za-z]|…|[a-z][.!?]$`)

// scanViews parses the views' non-test sources and returns their lang
// calls and the literals that read like prose outside any lang call.
func scanViews(t *testing.T) (calls []call, bare []string) {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		// Lines that say their literal is not shown.
		exempt := map[int]bool{}
		for _, g := range f.Comments {
			for _, c := range g.List {
				if strings.Contains(c.Text, "not translated") {
					exempt[fset.Position(c.Pos()).Line] = true
				}
			}
		}
		inLang := map[*ast.BasicLit]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ImportSpec, *ast.Field:
				return false // import paths, struct tags
			case *ast.CompositeLit:
				// map[string]any{"Name": …}: template data, whose keys
				// are placeholder names.
				if mt, ok := n.Type.(*ast.MapType); ok {
					if k, ok := mt.Key.(*ast.Ident); ok && k.Name == "string" {
						if v, ok := mt.Value.(*ast.Ident); ok && v.Name == "any" {
							for _, e := range n.Elts {
								if kv, ok := e.(*ast.KeyValueExpr); ok {
									if k, ok := kv.Key.(*ast.BasicLit); ok {
										inLang[k] = true
									}
								}
							}
						}
					}
				}
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				id, ok := sel.X.(*ast.Ident)
				if !ok {
					return true
				}
				if id.Name == "log" || id.Name == "fyne" && sel.Sel.Name == "LogError" {
					// Logs are for developers, in English.
					for _, a := range n.Args {
						if lit, ok := a.(*ast.BasicLit); ok {
							inLang[lit] = true
						}
					}
					return true
				}
				if id.Name != "lang" {
					return true
				}
				switch sel.Sel.Name {
				case "L", "N", "X", "XN":
				default:
					return true // AddTranslationsFS and the like
				}
				if len(n.Args) == 0 {
					return true
				}
				pos := fset.Position(n.Pos()).String()
				lit, ok := n.Args[0].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Errorf("%s: lang.%s takes a literal key, so that it can be checked", pos, sel.Sel.Name)
					return true
				}
				key, _ := strconv.Unquote(lit.Value)
				inLang[lit] = true
				if sel.Sel.Name == "X" || sel.Sel.Name == "XN" {
					if len(n.Args) > 1 {
						if fb, ok := n.Args[1].(*ast.BasicLit); ok {
							inLang[fb] = true
						}
					}
				}
				calls = append(calls, call{key: key, plural: sel.Sel.Name == "N" || sel.Sel.Name == "XN", pos: pos})
			case *ast.BasicLit:
				if n.Kind != token.STRING || inLang[n] {
					return true
				}
				s, err := strconv.Unquote(n.Value)
				if err != nil || !prose.MatchString(s) {
					return true
				}
				p := fset.Position(n.Pos())
				if !exempt[p.Line] {
					bare = append(bare, fmt.Sprintf("%s: %s", p, n.Value))
				}
			}
			return true
		})
	}
	return calls, bare
}

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func placeholders(s string) string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return strings.Join(slicesCompact(out), ",")
}

func slicesCompact(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// TestTranslations: every string the views show goes through lang, and
// every key is in English and German, with the same placeholders, plural
// forms where the call counts, and no entry nobody uses.
func TestTranslations(t *testing.T) {
	calls, bare := scanViews(t)
	for _, b := range bare {
		t.Errorf("shown without translation (wrap it in lang.L, or say \"not translated\" on its line): %s", b)
	}
	tr := readTranslations(t)
	used := map[string]bool{}
	for _, c := range calls {
		used[c.key] = true
		for _, code := range []string{"en", "de"} {
			m, ok := tr[code][c.key]
			if !ok {
				t.Errorf("%s: %q has no %s translation", c.pos, c.key, code)
				continue
			}
			if c.plural && (m.forms["one"] == "" || m.forms["other"] == "") {
				t.Errorf("%s: %q is counted but its %s entry has no one/other forms", c.pos, c.key, code)
			}
			for form, text := range m.forms {
				if placeholders(text) != placeholders(c.key) && !(form == "one" && placeholders(text) == "") {
					t.Errorf("%s: the %s %q form of %q uses {{%s}}, the key {{%s}}", c.pos, code, form, c.key, placeholders(text), placeholders(c.key))
				}
			}
		}
	}
	for code, msgs := range tr {
		for k, m := range msgs {
			if !used[k] {
				t.Errorf("%s: %q (%s) is used nowhere", m.file, k, code)
			}
		}
	}
	if len(calls) < 300 {
		t.Errorf("only %d lang calls found; the scan is broken", len(calls))
	}
}

// TestGermanIsShown: with LANGUAGE=de the views speak German, and English
// again after it.
func TestGermanIsShown(t *testing.T) {
	useLanguage(t, "de")
	if got := lang.L("Cancel"); got != "Abbrechen" {
		t.Errorf("German Cancel = %q", got)
	}
	if got := showText(im.Away); got != "Abwesend" {
		t.Errorf("Away in German = %q", got)
	}
	useLanguage(t, "en")
	if got := showText(im.Away); got != "Away" {
		t.Errorf("Away in English again = %q", got)
	}
}

// TestMain runs the views' tests in English, whatever the machine's
// language, as the golden files are English.
func TestMain(m *testing.M) {
	os.Setenv("LANGUAGE", "en")
	os.Setenv("LC_ALL", "")
	os.Setenv("LC_MESSAGES", "")
	os.Setenv("LANG", "")
	loadTranslations()
	os.Exit(m.Run())
}

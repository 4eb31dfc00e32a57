package app

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// langKey is a text the window's code passes to Fyne's lang package.
type langKey struct {
	plural bool
	at     string // file:line
}

// windowSource parses the window's Go files (not the tests).
func windowSource(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return fset, files
}

// literal is the string a literal, or a sum of literals, spells; ok false for
// anything else.
func literal(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok1 := literal(e.X)
		b, ok2 := literal(e.Y)
		return a + b, ok1 && ok2
	case *ast.ParenExpr:
		return literal(e.X)
	}
	return "", false
}

// langCall reports whether call is lang.L/N/Localize/LocalizePlural, and whether
// it is a plural.
func langCall(call *ast.CallExpr) (isLang, plural bool) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false, false
	}
	if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "lang" {
		return false, false
	}
	switch sel.Sel.Name {
	case "L", "Localize":
		return true, false
	case "N", "LocalizePlural":
		return true, true
	}
	return false, false
}

// Keys used through variables: the Select choices the window shows translated
// (choiceLabels), which the code names as values.
func choiceKeys() []string {
	keys := append([]string{iconAuto, iconLetter}, themeChoices...)
	keys = append(keys, clipboardChoices...)
	return append(keys, autoLockChoices...)
}

// windowKeys collects every key the window passes to lang, failing on a call
// whose key is not a literal (outside choiceLabel, which translates the choices
// above).
func windowKeys(t *testing.T) map[string]langKey {
	t.Helper()
	fset, files := windowSource(t)
	keys := map[string]langKey{}
	for _, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			dynamicOK := ok && fn.Name.Name == "choiceLabel"
			ast.Inspect(d, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				isLang, plural := langCall(call)
				if !isLang || len(call.Args) == 0 {
					return true
				}
				at := fset.Position(call.Pos()).String()
				key, ok := literal(call.Args[0])
				if !ok {
					if !dynamicOK {
						t.Errorf("%s: the key is not a literal: translators cannot find it", at)
					}
					return true
				}
				if k, seen := keys[key]; seen && k.plural != plural {
					t.Errorf("%s: %q is used both as a plural and not", at, key)
				}
				keys[key] = langKey{plural: plural, at: at}
				return true
			})
		}
	}
	for _, k := range choiceKeys() {
		keys[k] = langKey{at: "choiceKeys"}
	}
	return keys
}

// catalog reads translations/LANG.json: a key's text, or its plural forms.
func catalog(t *testing.T, lang string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("translations", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	return m
}

var templateVar = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func templateVars(s string) []string {
	var vars []string
	for _, m := range templateVar.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(vars, m[1]) {
			vars = append(vars, m[1])
		}
	}
	slices.Sort(vars)
	return vars
}

// Every text the window passes to lang has a French and a German translation,
// with the same {{.Names}} as the English (plural keys with a "one" and an
// "other" form), and the catalogs hold no key the window no longer uses.
func TestTranslationsComplete(t *testing.T) {
	keys := windowKeys(t)
	if len(keys) < 200 {
		t.Fatalf("only %d keys found in the window's code: the parser misses calls", len(keys))
	}
	for _, lang := range []string{"fr", "de"} {
		cat := catalog(t, lang)
		for key, k := range keys {
			v, ok := cat[key]
			if !ok {
				t.Errorf("%s.json has no %q (%s)", lang, key, k.at)
				continue
			}
			var forms []string
			switch v := v.(type) {
			case string:
				if k.plural {
					t.Errorf("%s.json: %q is a plural (%s): give its one and other forms", lang, key, k.at)
				}
				forms = []string{v}
			case map[string]any:
				if !k.plural {
					t.Errorf("%s.json: %q is not a plural (%s)", lang, key, k.at)
				}
				for _, form := range []string{"one", "other"} {
					s, ok := v[form].(string)
					if !ok {
						t.Errorf("%s.json: %q has no %q form", lang, key, form)
					}
					forms = append(forms, s)
				}
			default:
				t.Errorf("%s.json: %q is neither a text nor plural forms", lang, key)
			}
			for _, s := range forms {
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s.json: %q is translated as nothing", lang, key)
				}
				if got, want := templateVars(s), templateVars(key); !slices.Equal(got, want) {
					t.Errorf("%s.json: %q names %v, its key %v", lang, s, got, want)
				}
			}
		}
		for key := range cat {
			if _, ok := keys[key]; !ok {
				t.Errorf("%s.json: %q is used nowhere in the window", lang, key)
			}
		}
	}
}

// textCalls are the calls whose string arguments the window shows: each must come
// through lang.
var textCalls = map[string]bool{
	"NewLabel": true, "NewLabelWithStyle": true, "NewButton": true, "NewButtonWithIcon": true,
	"NewCheck": true, "NewHyperlink": true, "NewFormItem": true, "NewTabItem": true,
	"NewAccordionItem": true, "NewMenuItem": true, "NewMenuItemWithIcon": true,
	"NewConfirm": true, "NewInformation": true, "ShowInformation": true, "NewForm": true,
	"ShowForm": true, "NewCustom": true, "NewCustomWithoutButtons": true, "NewCustomConfirm": true,
	"SetText": true, "SetPlaceHolder": true, "SetConfirmText": true, "SetDismissText": true,
	"wrapped": true, "say": true, "showUnlock": true, "act": true, "newReturnButton": true,
	"New":    true, // errors.New: the window shows these errors
	"append": true,
}

// untranslated are literals the window may show as they are: names and symbols.
var untranslated = map[string]bool{"Ward": true, "TOTP": true, "HOTP": true}

// linguistic reports whether s holds a word: two letters in a row.
var word = regexp.MustCompile(`\pL\pL`)

// No text reaches the window without lang: no string literal with a word in it is
// passed to a widget, a dialog, a status line or an error the window shows, but
// through lang.L or lang.N.
func TestNoUntranslatedLiterals(t *testing.T) {
	fset, files := windowSource(t)
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fun := call.Fun.(type) {
			case *ast.Ident:
				name = fun.Name
			case *ast.SelectorExpr:
				name = fun.Sel.Name
			}
			if !textCalls[name] {
				return true
			}
			for _, arg := range call.Args {
				ast.Inspect(arg, func(n ast.Node) bool {
					switch n := n.(type) {
					case *ast.CallExpr:
						if isLang, _ := langCall(n); isLang {
							return false // a key: translated
						}
						if sel, ok := n.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Format" || sel.Sel.Name == "Join") {
							return false // a time layout, a separator
						}
					case *ast.FuncLit:
						return false // a callback: its own calls are inspected on their own
					case *ast.BasicLit:
						s, ok := literal(n)
						if ok && word.MatchString(s) && !untranslated[s] {
							t.Errorf("%s: %q is shown untranslated (%s)", fset.Position(n.Pos()), s, name)
						}
					}
					return true
				})
			}
			return true
		})
	}
}

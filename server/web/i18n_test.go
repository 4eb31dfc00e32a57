package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template/parse"
	"time"
	"unicode"

	"github.com/wardauth/ward/server/i18n"
)

// The pages' languages: every key in every language, with the same arguments;
// every key the pages use exists; and no template holds a sentence of its own.

// verbs lists a sentence's fmt verbs (%[1]s, %d...), sorted: a translation may put
// them in its own order, not change them.
var verbRE = regexp.MustCompile(`%(\[\d+\])?[sdvq]`)

func verbs(s string) []string {
	v := verbRE.FindAllString(s, -1)
	slices.Sort(v)
	return v
}

func TestEveryKeyInEveryLanguage(t *testing.T) {
	en := i18n.Keys("en")
	for _, lang := range i18n.Langs[1:] {
		keys := i18n.Keys(lang)
		for _, k := range en {
			if _, ok := slices.BinarySearch(keys, k); !ok {
				t.Errorf("%s.json lacks %s", lang, k)
				continue
			}
			if a, b := verbs(i18n.T("en", k)), verbs(i18n.T(lang, k)); !slices.Equal(a, b) {
				t.Errorf("%s in %s has the arguments %v, in English %v", k, lang, b, a)
			}
		}
		for _, k := range keys {
			if _, ok := slices.BinarySearch(en, k); !ok {
				t.Errorf("%s.json has %s, which English has not", lang, k)
			}
		}
	}
}

// pageTrees parses the templates as package parse sees them: every action kept,
// nothing escaped.
func pageTrees(t *testing.T) map[string]*parse.Tree {
	t.Helper()
	funcs := map[string]any{}
	for _, name := range []string{"and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "len", "index", "slice", "print", "printf", "println", "html", "js", "urlquery", "call"} {
		funcs[name] = true
	}
	for name := range pageFuncs("en") {
		funcs[name] = true
	}
	trees := map[string]*parse.Tree{}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil || len(names) == 0 {
		t.Fatal("no templates", err)
	}
	for _, name := range names {
		b, _ := fs.ReadFile(files, name)
		set, err := parse.Parse(name, string(b), "{{", "}}", funcs)
		if err != nil {
			t.Fatal(err)
		}
		for n, tree := range set {
			if tree.Root != nil && len(tree.Root.Nodes) > 0 {
				trees[n] = tree
			}
		}
	}
	return trees
}

// walk calls text for each text node and action for each action (or control
// structure's pipe) of a tree, in the order of the source.
func walk(n parse.Node, text func(string), action func(*parse.PipeNode)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				walk(c, text, action)
			}
		}
	case *parse.TextNode:
		text(string(n.Text))
	case *parse.ActionNode:
		action(n.Pipe)
		text("\x00")
	case *parse.IfNode:
		action(n.Pipe)
		walk(n.List, text, action)
		walk(n.ElseList, text, action)
	case *parse.RangeNode:
		action(n.Pipe)
		walk(n.List, text, action)
		walk(n.ElseList, text, action)
	case *parse.WithNode:
		action(n.Pipe)
		walk(n.List, text, action)
		walk(n.ElseList, text, action)
	case *parse.TemplateNode:
		if n.Pipe != nil {
			action(n.Pipe)
		}
	}
}

// usedKeys is every key the templates name in {{t "key"}} and {{tn "key"}} (as
// KEY.one and KEY.other), and every "page." string of the page handlers.
func usedKeys(t *testing.T) []string {
	var keys []string
	var pipe func(p *parse.PipeNode)
	pipe = func(p *parse.PipeNode) {
		for _, cmd := range p.Cmds {
			for i, arg := range cmd.Args {
				switch a := arg.(type) {
				case *parse.IdentifierNode:
					if (a.Ident == "t" || a.Ident == "tn") && i+1 < len(cmd.Args) {
						if s, ok := cmd.Args[i+1].(*parse.StringNode); ok {
							if a.Ident == "tn" {
								keys = append(keys, s.Text+".one", s.Text+".other")
							} else {
								keys = append(keys, s.Text)
							}
						}
					}
				case *parse.PipeNode:
					pipe(a)
				}
			}
		}
	}
	for _, tree := range pageTrees(t) {
		walk(tree.Root, func(string) {}, pipe)
	}
	goFiles, _ := filepath.Glob("*.go")
	lit := regexp.MustCompile(`"(page\.[a-z0-9_.]+)"`)
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

func TestPageKeysExist(t *testing.T) {
	keys := usedKeys(t)
	if len(keys) < 100 {
		t.Fatalf("only %d keys found in the pages", len(keys))
	}
	en := i18n.Keys("en")
	for _, k := range keys {
		if _, ok := slices.BinarySearch(en, k); !ok {
			t.Errorf("the pages use %s, which en.json lacks", k)
		}
	}
	// And every page key of the catalog is used (a key left behind is a sentence
	// nobody reads, or a page that forgot it).
	for _, k := range en {
		if strings.HasPrefix(k, "page.") {
			if _, ok := slices.BinarySearch(keys, k); !ok {
				t.Errorf("en.json has %s, which no page uses", k)
			}
		}
	}
}

// visibleAttrs are the attributes a reader sees or hears.
var visibleAttrs = map[string]bool{"alt": true, "title": true, "placeholder": true, "aria-label": true, "label": true}

var (
	attrRE   = regexp.MustCompile(`([a-zA-Z-]+)\s*=\s*"([^"]*)"`)
	entityRE = regexp.MustCompile(`&[a-zA-Z]+;|&#\d+;`)
)

func hasLetter(s string) bool {
	return strings.IndexFunc(entityRE.ReplaceAllString(s, ""), unicode.IsLetter) >= 0
}

// TestNoSentenceInTemplates reads the templates as HTML, every action a blank:
// no letter may be left in the text between tags, nor in an attribute that is
// read (alt, title, placeholder, aria-label): every word comes from {{t}}.
func TestNoSentenceInTemplates(t *testing.T) {
	for name, tree := range pageTrees(t) {
		var b strings.Builder
		walk(tree.Root, func(s string) { b.WriteString(s) }, func(*parse.PipeNode) {})
		src := b.String()
		for i := 0; i < len(src); {
			if src[i] != '<' {
				j := strings.IndexByte(src[i:], '<')
				if j < 0 {
					j = len(src) - i
				}
				if txt := src[i : i+j]; hasLetter(txt) {
					t.Errorf("template %s: text outside {{t}}: %q", name, strings.TrimSpace(strings.ReplaceAll(txt, "\x00", "{{…}}")))
				}
				i += j
				continue
			}
			j := strings.IndexByte(src[i:], '>')
			if j < 0 {
				j = len(src) - i
			}
			for _, m := range attrRE.FindAllStringSubmatch(src[i:i+j], -1) {
				if visibleAttrs[strings.ToLower(m[1])] && hasLetter(m[2]) {
					t.Errorf("template %s: attribute %s outside {{t}}: %q", name, m[1], m[2])
				}
			}
			i += j + 1
		}
	}
}

// Every page renders in every language with no key left unresolved, and says
// which language it is in.
func TestPagesRenderInEveryLanguage(t *testing.T) {
	now := time.Date(2027, 1, 31, 18, 0, 0, 0, time.UTC)
	for _, lang := range i18n.Langs {
		for _, tmpl := range pageSets[lang].Templates() {
			name := tmpl.Name()
			if name == "" || name == "top" || name == "bottom" || name == "admin-tabs" || !strings.Contains(tmpl.Tree.Root.String(), `{{template "top" .}}`) {
				continue
			}
			v := view{Page: name, Lang: lang, Title: "page.login.title", Issuer: "Ward", User: "alice", Admin: true,
				EnrollBy: now, DaysLeft: 3, RememberDays: 30, Codes: []string{"AAAAA-BBBBB"}, MFA: true}
			switch name {
			case "admin-users":
				v.Data = usersData{Rows: nil}
			case "admin-confirm":
				v.Data = confirmData{Name: "bob", Reset: true}
			case "admin-policy":
				v.Data = policyData{NotEnrolled: 2, Updated: now, UpdatedBy: "alice"}
			case "admin-resets":
				v.Data = resetsData{}
			case "admin-audit":
				v.Data = auditData{}
			case "admin-groups":
				v.Data = groupsData{Name: "bob", Groups: []string{"staff"}, All: []string{"ops"}}
			case "admin-access":
				v.Data = accessData{Text: rulesExample, Rules: []ruleRow{{N: 1, Domain: "wiki.example.com", Policy: "bypass"}},
					Default: "two_factor", Updated: now, UpdatedBy: "alice", Example: rulesExample}
			}
			var b strings.Builder
			if err := pageSets[lang].ExecuteTemplate(&b, name, v); err != nil {
				t.Fatalf("%s in %s: %v", name, lang, err)
			}
			out := b.String()
			if !strings.Contains(out, `<html lang="`+lang+`">`) {
				t.Errorf("%s in %s does not say its language", name, lang)
			}
			if m := regexp.MustCompile(`\b(page|err)\.[a-z_.]+\b`).FindString(out); m != "" {
				t.Errorf("%s in %s shows the key %s", name, lang, m)
			}
		}
	}
}

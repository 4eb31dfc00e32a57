package server

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A --rules file that cannot be read stops the server at start, with one line
// naming the file, the line and column, and what is wrong there; the admin verbs
// do not read it.
func TestRulesFileStopsTheServer(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name, text, want string
	}{
		{"regexp.json", "{\n  \"rules\": [\n    {\"domain\": \"wiki.example.com\", \"path\": \"^(/a\", \"policy\": \"bypass\"}\n  ]\n}\n",
			`, line 3, column 44: rule 1's path "^(/a" is not a regular expression (missing closing ))`},
		{"syntax.json", "{\n  \"default\": \"two_factor\",\n  \"rules\": [\n    {\"domain\": \"wiki.example.com\" \"policy\": \"bypass\"}\n  ]\n}\n",
			", line 4, column 35: this is not JSON here: invalid character '\"' after object key:value pair"},
		{"policy.json", `{"rules": [{"domain": "wiki.example.com", "policy": "allow"}]}`,
			`, line 1, column 53: rule 1's policy "allow" is none of bypass, one_factor, two_factor and deny`},
		{"domain.json", `{"rules": [{"domain": "", "policy": "deny"}]}`, `, line 1, column 23: rule 1's domain is empty`},
		{"groups.json", `{"rules": [{"domain": "wiki.example.com", "path": "^/public/", "policy": "bypass", "groups": ["staff"]}]}`,
			`, line 1, column 94: rule 1 is bypass, which asks nobody who they are, so it cannot name groups`},
	} {
		path := write(c.name, c.text)
		code, _, errs := run(t, map[string]string{"WARD_SERVER_DATA": data}, "serve", "--addr", "127.0.0.1:0", "--rules", path)
		want := "ward: the rules file " + path + c.want
		if code != 1 || !strings.HasPrefix(errs, want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s: %d\n got %q\nwant %q...", c.name, code, errs, want)
		}
	}
	code, _, errs := run(t, map[string]string{"WARD_SERVER_DATA": data}, "serve", "--rules", filepath.Join(dir, "missing.json"))
	if code != 1 || !strings.Contains(errs, "missing.json: no such file or directory") {
		t.Errorf("a missing file: %d %q", code, errs)
	}
	// The admin verbs run whatever the file holds (a team can fix it meanwhile).
	bad := filepath.Join(dir, "regexp.json")
	env := map[string]string{"WARD_SERVER_DATA": data, "WARD_SERVER_RULES": bad, "WARD_USER_PASSWORD": "a long password"}
	if code, out, errs := run(t, env, "admin", "add-user", "alice"); code != 0 || !strings.Contains(out, "added user alice") {
		t.Fatalf("add-user with a bad rules file: %d %q %q", code, out, errs)
	}
	// A good file: the server starts (and stops when told).
	good := write("good.json", `{"default": "one_factor", "rules": [{"domain": "*.example.com", "policy": "two_factor"}]}`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var out, stderr strings.Builder
	if code := Command(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--rules", good}, IO{Stdin: strings.NewReader(""), Stdout: &out,
		Stderr: &stderr, Getenv: func(k string) string { return map[string]string{"WARD_SERVER_DATA": data}[k] }}); code != 0 {
		t.Fatalf("serve with good rules: %d %s", code, stderr.String())
	}
}

// --cookie-domain is a parent domain that covers the --base-url's host.
func TestCookieDomainChecked(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	for _, c := range []struct {
		domain, base, want string
	}{
		{"com", "", `ward: --cookie-domain "com": give the parent domain of the apps and of Ward, such as example.com` + "\n"},
		{"exa mple.com", "", `ward: --cookie-domain "exa mple.com": give the parent domain of the apps and of Ward, such as example.com` + "\n"},
		{"example.com", "https://auth.example.org", "ward: --cookie-domain example.com does not cover the --base-url's host auth.example.org: browsers would refuse the session cookie\n"},
		{"example.com", "https://auth.example.com.evil.org", "ward: --cookie-domain example.com does not cover the --base-url's host auth.example.com.evil.org: browsers would refuse the session cookie\n"},
	} {
		code, _, errs := run(t, map[string]string{"WARD_SERVER_DATA": data}, "serve", "--cookie-domain", c.domain, "--base-url", c.base)
		if code != 1 || errs != c.want {
			t.Errorf("%s %s: %d %q", c.domain, c.base, code, errs)
		}
	}
	if d, err := cookieDomainFor(".Example.COM", "https://auth.example.com"); err != nil || d != "example.com" {
		t.Errorf("%q %v", d, err)
	}
	if d, err := cookieDomainFor("example.com", "https://example.com"); err != nil || d != "example.com" {
		t.Errorf("%q %v", d, err)
	}
}

// ward admin group add|rm USER GROUP, and the listing; audited as the command line.
func TestAdminGroup(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"WARD_SERVER_DATA": data, "WARD_USER_PASSWORD": "a long password"}
	for _, name := range []string{"alice", "bob"} {
		if code, _, errs := run(t, env, "admin", "add-user", name); code != 0 {
			t.Fatal(errs)
		}
	}
	for _, c := range []struct {
		args      []string
		code      int
		out, errs string
	}{
		{[]string{"group", "add", "alice", "staff"}, 0, "alice is in staff\n", ""},
		{[]string{"group", "add", "bob", "staff"}, 0, "bob is in staff\n", ""},
		{[]string{"group", "add", "bob", "ops"}, 0, "bob is in ops\n", ""},
		{[]string{"group", "add", "bob", "ops"}, 1, "", "ward: bob is in ops already\n"},
		{[]string{"group", "add", "nobody", "ops"}, 1, "", "ward: there is no user of that name\n"},
		{[]string{"group", "add", "bob", "a,b"}, 1, "", "ward: a group's name has 1 to 64 letters, digits, dots, dashes, underscores or @\n"},
		{[]string{"group", "rm", "alice", "staff"}, 0, "alice is no longer in staff\n", ""},
		{[]string{"group", "rm", "alice", "staff"}, 1, "", "ward: alice is not in staff\n"},
		{[]string{"group"}, 0, "GROUP  MEMBERS\nops    bob\nstaff  bob\n", ""},
		{[]string{"group", "list", "--json"}, 0, `{"ops":["bob"],"staff":["bob"]}` + "\n", ""},
		{[]string{"group", "add", "bob"}, 1, "", "ward: admin group add|rm USER GROUP puts a user in a group or takes them out; admin group lists the groups\n"},
	} {
		code, out, errs := run(t, env, append([]string{"admin"}, c.args...)...)
		if code != c.code || out != c.out || errs != c.errs {
			t.Errorf("%v: %d %q %q, want %d %q %q", c.args, code, out, errs, c.code, c.out, c.errs)
		}
	}
	code, out, _ := run(t, env, "admin", "audit", "--event", "group_added", "--csv")
	if code != 0 || strings.Count(out, "by ward admin group=") != 3 {
		t.Fatalf("the audit: %q", out)
	}
}

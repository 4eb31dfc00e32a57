package app

import (
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/server"
	"github.com/wardauth/ward/server/service"
	"github.com/wardauth/ward/server/store"
	"github.com/wardauth/ward/vault"
)

const teamPassword = "a long enough password"

// teamEnv is the window on its Team page over a fresh data folder, and a second
// handle on that folder standing for another process (`ward admin`, the pages).
type teamEnv struct {
	*env
	dir   string
	other *server.Folder
	team  *teamView
}

// newTeamEnv opens the window, points the Team page at a new folder, shows the
// page and opens the folder from it; the other handle then adds alice (an
// admin) and bob.
func newTeamEnv(t *testing.T) *teamEnv {
	t.Helper()
	e := newEnv(t, linkGH)
	dir := filepath.Join(t.TempDir(), "server")
	b, _ := json.Marshal(teamPrefs{Folder: dir, Addr: freeAddr(t)})
	fyne.CurrentApp().Preferences().SetString(prefTeam, string(b))
	e.open(e.kr)
	e.ui.showTeam()
	te := &teamEnv{env: e, dir: dir, team: e.ui.team}
	if !strings.Contains(te.team.Status.Text, "No server data") {
		t.Fatalf("a folder without a database says %q", te.team.Status.Text)
	}
	test.Tap(te.team.OpenBtn)
	if te.team.folder == nil || te.team.Status.Text != "A new server data folder is made at "+dir+"." {
		t.Fatalf("the folder did not open, or did not say it is new: %q", te.team.Status.Text)
	}
	other, err := server.OpenFolder(dir, "", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	te.other = other
	ctx := context.Background()
	if err := other.Service().AddUser(ctx, "alice", "", teamPassword, true); err != nil {
		t.Fatal(err)
	}
	if err := other.Service().AddUser(ctx, "bob", "", teamPassword, false); err != nil {
		t.Fatal(err)
	}
	te.later()
	return te
}

// freeAddr is a loopback address with a port no one listens on.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// later lets the window's clock run past the page's poll and ticks: what changed
// in the folder shows.
func (te *teamEnv) later() {
	te.now = te.now.Add(teamPoll)
	te.ui.Tick(te.now)
}

// row is the page's row of the user name; it fails the test when there is none.
func (te *teamEnv) row(name string) service.UserRow {
	te.t.Helper()
	for _, r := range te.team.users {
		if r.Name == name {
			return r
		}
	}
	te.t.Fatalf("no row for %s among %v", name, te.names())
	return service.UserRow{}
}

func (te *teamEnv) names() []string {
	var names []string
	for _, r := range te.team.users {
		names = append(names, r.Name)
	}
	return names
}

// pick selects the user name in the table.
func (te *teamEnv) pick(name string) {
	te.t.Helper()
	i := slices.IndexFunc(te.team.users, func(r service.UserRow) bool { return r.Name == name })
	if i < 0 {
		te.t.Fatalf("no row for %s", name)
	}
	te.team.Users.Select(i)
}

// says checks the page's status line.
func (te *teamEnv) says(want string) {
	te.t.Helper()
	if got := te.team.Status.Text; got != want {
		te.t.Fatalf("the page says %q, want %q", got, want)
	}
}

// stored is the user as the other handle reads the folder.
func (te *teamEnv) stored(name string) service.UserRow {
	te.t.Helper()
	users, err := te.other.Service().Users(context.Background(), service.CommandLine)
	if err != nil {
		te.t.Fatal(err)
	}
	for _, u := range users {
		if u.Name == name {
			return u
		}
	}
	te.t.Fatalf("no user %s in the folder", name)
	return service.UserRow{}
}

// audited checks that the page's audit shows event for name, by the window.
func (te *teamEnv) audited(event, name string) {
	te.t.Helper()
	for _, a := range te.team.audit {
		if a.Event == event && (name == "" || a.User == name) && strings.Contains(a.Detail, "by ward window") {
			return
		}
	}
	te.t.Fatalf("the page's audit shows no %s of %s by the window", event, name)
}

// enroll enrols name's authenticator through the service, as the pages do.
func (te *teamEnv) enroll(name string) {
	te.t.Helper()
	s, ctx := te.other.Service(), context.Background()
	c := service.Client{Addr: "192.0.2.7"}
	g, err := s.Login(ctx, c, name, teamPassword)
	if err != nil {
		te.t.Fatal(err)
	}
	c.Session = g.Session
	en, err := s.Enroll(ctx, c)
	if err != nil {
		te.t.Fatal(err)
	}
	a, err := vault.ParseURI(en.URI)
	if err != nil {
		te.t.Fatal(err)
	}
	code, _ := a.Code(time.Now())
	if _, _, err := s.ConfirmEnroll(ctx, c, code); err != nil {
		te.t.Fatal(err)
	}
}

// requestReset is name's lost-phone request, after their password, as the pages
// make it.
func (te *teamEnv) requestReset(name, reason string) int64 {
	te.t.Helper()
	s, ctx := te.other.Service(), context.Background()
	c := service.Client{Addr: "192.0.2.8"}
	g, err := s.Login(ctx, c, name, teamPassword)
	if err != nil {
		te.t.Fatal(err)
	}
	c.Session = g.Session
	id, err := s.RequestReset(ctx, c, reason)
	if err != nil {
		te.t.Fatal(err)
	}
	return id
}

// The users table shows who is there and how they stand, and each action of the
// page changes the folder through the service, audited as the window's.
func TestTeamUsersAndActions(t *testing.T) {
	te := newTeamEnv(t)
	if got := te.names(); !slices.Equal(got, []string{"alice", "bob"}) {
		t.Fatalf("the table shows %v, want alice and bob", got)
	}
	if line := userLine(te.row("alice"), te.team.policy, time.Now()); line != "no 2FA \u00b7 admin" {
		t.Errorf("alice's row says %q", line)
	}

	// Disable and enable.
	te.pick("bob")
	if te.team.Disable.Disabled() || te.team.Disable.Text != "Disable" || !te.team.Reset.Disabled() || !te.team.Unlock.Disabled() {
		t.Fatalf("bob selected (not enrolled, not locked): disable %q enabled %v, reset enabled %v, unlock enabled %v",
			te.team.Disable.Text, !te.team.Disable.Disabled(), !te.team.Reset.Disabled(), !te.team.Unlock.Disabled())
	}
	test.Tap(te.team.Disable)
	te.says("bob is disabled: every session ended.")
	if !te.stored("bob").Disabled || !te.row("bob").Disabled || te.team.Disable.Text != "Enable" {
		t.Fatalf("after Disable: stored %v, shown %v, button %q", te.stored("bob").Disabled, te.row("bob").Disabled, te.team.Disable.Text)
	}
	te.audited("user_disabled", "bob")
	test.Tap(te.team.Disable)
	te.says("bob is enabled again.")
	if te.stored("bob").Disabled {
		t.Fatal("bob is still disabled after Enable")
	}

	// Admins, and the last admin refused as the service says it.
	test.Tap(te.team.Admin)
	te.says("bob is an admin.")
	if !te.stored("bob").Admin {
		t.Fatal("Make admin did not make bob an admin")
	}
	test.Tap(te.team.Admin)
	te.says("bob is no longer an admin.")
	te.pick("alice")
	lastAdmin := "That would leave the team without an admin: make someone else an admin first."
	test.Tap(te.team.Admin)
	te.says(lastAdmin)
	test.Tap(te.team.Disable)
	te.says(lastAdmin)
	if u := te.stored("alice"); !u.Admin || u.Disabled {
		t.Fatalf("a refused change changed alice: %+v", u)
	}

	// Invite (a link, shown once) and add with a password.
	invite := func(name, password string) {
		t.Helper()
		test.Tap(te.team.Invite)
		f := te.team.invite
		if f == nil {
			t.Fatal("Invite opened no form")
		}
		test.Type(f.Name, name)
		if password != "" {
			test.Type(f.Password, password)
		}
		f.dialog.Submit()
	}
	invite("carol", "")
	te.says("carol is invited.")
	if !strings.Contains(te.team.link, "/invite/") || !strings.HasPrefix(te.team.link, "http://127.0.0.1:") {
		t.Errorf("the invitation's link is %q", te.team.link)
	}
	if r := te.row("carol"); !r.Invited || userLine(r, te.team.policy, time.Now()) != "invited" {
		t.Errorf("carol's row: %+v", r)
	}
	te.audited("user_invited", "carol")
	invite("dave", teamPassword)
	te.says("dave is added: they sign in with that password.")
	if g, err := te.other.Service().Login(context.Background(), service.Client{Addr: "192.0.2.9"}, "dave", teamPassword); err != nil || g.Session == "" {
		t.Fatalf("dave cannot sign in with the password the window gave: %v", err)
	}
	invite("bob", "")
	te.says("A user bob exists already.")
	invite("no spaces please", "")
	te.says("A user name has 1 to 64 letters, digits, dots, dashes, underscores or @.")
	invite("erin", "short")
	te.says("The password must have at least 10 characters.")
	if got := te.names(); !slices.Equal(got, []string{"alice", "bob", "carol", "dave"}) {
		t.Fatalf("after the invitations the table shows %v", got)
	}
}

// A locked-out user is shown so and unlocked; an enrolled one shows the 2FA sign
// and its backup codes, and is reset with a reason.
func TestTeamUnlockAndReset(t *testing.T) {
	te := newTeamEnv(t)
	s, ctx := te.other.Service(), context.Background()
	for range 5 { // the default policy's attempts
		s.Login(ctx, service.Client{Addr: "198.51.100.1"}, "bob", "wrong password")
	}
	te.later()
	bob := te.row("bob")
	if bob.LockedUntil.IsZero() || !strings.Contains(userLine(bob, te.team.policy, time.Now()), "locked until") {
		t.Fatalf("after 5 failures bob's row: %+v", bob)
	}
	te.pick("bob")
	if te.team.Unlock.Disabled() {
		t.Fatal("Unlock is off for a locked user")
	}
	test.Tap(te.team.Unlock)
	te.says("bob may sign in again at once.")
	if !te.row("bob").LockedUntil.IsZero() {
		t.Fatal("bob is still locked after Unlock")
	}
	if _, err := s.Login(ctx, service.Client{Addr: "198.51.100.2"}, "bob", teamPassword); err != nil {
		t.Fatalf("bob cannot sign in after Unlock: %v", err)
	}
	te.audited("user_unlocked", "bob")

	te.enroll("bob")
	te.later()
	if r := te.row("bob"); !r.MFA || userLine(r, te.team.policy, time.Now()) != "2FA, 10 backup codes left" {
		t.Fatalf("enrolled bob's row: %q", userLine(r, te.team.policy, time.Now()))
	}
	te.pick("bob")
	test.Tap(te.team.Reset)
	f := te.team.reset
	if f == nil {
		t.Fatal("Reset 2FA opened no form")
	}
	test.Type(f.Reason, "lost phone, confirmed by a call")
	f.dialog.Submit()
	te.says("The two-factor sign-in of bob is reset: they enroll again at their next sign-in.")
	if te.stored("bob").MFA {
		t.Fatal("bob is still enrolled after the reset")
	}
	te.audited("mfa_reset_by_admin", "bob")
}

// Lost-phone requests are listed, approved and denied; one decided meanwhile
// elsewhere is refused as the service says it.
func TestTeamResetRequests(t *testing.T) {
	te := newTeamEnv(t)
	te.enroll("bob")
	id := te.requestReset("bob", "phone fell in the lake")
	te.later()
	if te.team.Tabs.Items[1].Text != "Requests (1)" || len(te.team.resets) != 1 || !strings.Contains(resetLine(te.team.resets[0]), "phone fell in the lake") {
		t.Fatalf("the requests tab says %q with %d requests", te.team.Tabs.Items[1].Text, len(te.team.resets))
	}
	te.team.Requests.Select(0)
	test.Tap(te.team.Deny)
	te.says(fmt.Sprintf("Request %d denied.", id))
	if !te.stored("bob").MFA || te.team.resets[0].State != "denied" || te.team.Tabs.Items[1].Text != "Requests" {
		t.Fatalf("after Deny: bob enrolled %v, state %q", te.stored("bob").MFA, te.team.resets[0].State)
	}
	te.audited("reset_denied", "bob")

	id = te.requestReset("bob", "really lost it")
	te.later()
	te.team.Requests.Select(0) // the newest first
	test.Tap(te.team.Approve)
	te.says(fmt.Sprintf("Request %d approved: the user enrolls again at their next sign-in.", id))
	if te.stored("bob").MFA {
		t.Fatal("bob is still enrolled after the approval")
	}
	te.audited("reset_approved", "bob")

	// Decided by `ward admin` between the selection and the click.
	te.enroll("bob")
	id = te.requestReset("bob", "third time")
	te.later()
	te.team.Requests.Select(0)
	if err := te.other.Service().DecideReset(context.Background(), service.CommandLine, id, false); err != nil {
		t.Fatal(err)
	}
	test.Tap(te.team.Approve)
	te.says("There is no pending request of that number.")
	if !te.stored("bob").MFA {
		t.Fatal("a refused approval reset bob")
	}
}

// The policy: required by a deadline, saved through the service and read back;
// a deadline that is no date is said, and nothing changes.
func TestTeamPolicy(t *testing.T) {
	te := newTeamEnv(t)
	te.team.Require.SetChecked(true)
	te.team.Deadline.SetText("2030-01-31")
	test.Tap(te.team.SavePolicy)
	p, err := te.other.Service().Policy(context.Background(), service.CommandLine)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Require2FA || !p.Deadline.Equal(time.Date(2030, 1, 31, 0, 0, 0, 0, time.UTC)) || p.UpdatedBy != "ward window" {
		t.Fatalf("saved policy: required %v, deadline %v, by %q", p.Require2FA, p.Deadline, p.UpdatedBy)
	}
	if !strings.HasPrefix(te.team.Status.Text, "Two-factor sign-in is required of everyone from ") {
		t.Errorf("after Save the page says %q", te.team.Status.Text)
	}
	if line := userLine(te.row("bob"), te.team.policy, time.Now()); !strings.HasPrefix(line, "no 2FA yet (due ") {
		t.Errorf("bob's row under the deadline: %q", line)
	}
	te.audited("policy_changed", "")
	te.team.Deadline.SetText("soon")
	test.Tap(te.team.SavePolicy)
	te.says("The deadline: give a date (2027-01-31), RFC 3339 (2027-01-31T18:00:00Z), or none.")

	// Turned off by `ward admin`: the page follows.
	p.Require2FA, p.Deadline = false, time.Time{}
	if err := te.other.Service().SetPolicy(context.Background(), service.CommandLine, p); err != nil {
		t.Fatal(err)
	}
	te.later()
	if te.team.Require.Checked || te.team.Deadline.Text != "" {
		t.Fatalf("after ward admin's change the page shows required %v, deadline %q", te.team.Require.Checked, te.team.Deadline.Text)
	}
}

// wardServer builds the pure-Go server binary, which takes `ward admin`'s
// commands as they are: a real second process on the folder.
func wardServer(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "ward-server")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/wardauth/ward/server/cmd/ward-server").CombinedOutput()
	if err != nil {
		t.Fatalf("building ward-server: %v %s", err, out)
	}
	return bin
}

// Changes made by `ward admin` in another process show on the page within its
// poll, with no action in the window.
func TestTeamSeesWardAdmin(t *testing.T) {
	te := newTeamEnv(t)
	bin := wardServer(t)
	run := func(args ...string) {
		t.Helper()
		c := exec.Command(bin, append([]string{"admin"}, append(args, "--data", te.dir)...)...)
		c.Env = []string{"HOME=" + t.TempDir(), "WARD_USER_PASSWORD=" + teamPassword}
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("ward admin %v: %v %s", args, err, out)
		}
	}
	run("disable", "bob")
	run("add-user", "frank")
	run("policy", "--require", "--deadline", "2031-05-01")
	te.later()
	if !te.row("bob").Disabled || te.row("frank").Name != "frank" {
		t.Fatalf("after ward admin: bob %+v, users %v", te.row("bob"), te.names())
	}
	if !te.team.Require.Checked || te.team.Deadline.Text != "2031-05-01" {
		t.Fatalf("after ward admin's policy: required %v, deadline %q", te.team.Require.Checked, te.team.Deadline.Text)
	}
	found := false
	for _, a := range te.team.audit {
		found = found || a.Event == "user_disabled" && a.User == "bob" && strings.Contains(a.Detail, "by ward admin")
	}
	if !found {
		t.Fatal("the page's audit does not show ward admin's disable")
	}
}

// The server starts on the address given, answers there, shows its URL with a QR
// code of it, stops on Stop, and stops with the window.
func TestTeamServerStartStop(t *testing.T) {
	te := newTeamEnv(t)
	addr := te.team.Addr.Text
	healthy := func() bool {
		c := http.Client{Timeout: 2 * time.Second}
		r, err := c.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == http.StatusOK
	}
	if healthy() {
		t.Fatal("something answers before the server starts")
	}
	test.Tap(te.team.StartBtn)
	if te.team.hosted == nil {
		t.Fatalf("the server did not start: %q", te.team.ServerNote.Text)
	}
	if !healthy() {
		t.Fatal("GET /healthz does not answer while the server runs")
	}
	url := "http://" + addr
	if te.team.URL.Text != url || te.team.Serving.Text != "Serving at "+url || !strings.Contains(te.team.ServerNote.Text, "runs while this window is open. The team enrolls at "+url) || te.team.StartBtn.Text != "Stop the server" {
		t.Fatalf("running: URL %q, note %q, button %q", te.team.URL.Text, te.team.ServerNote.Text, te.team.StartBtn.Text)
	}
	texts, err := scanner.Decode(te.team.QR.Image)
	if err != nil || len(texts) != 1 || texts[0] != url {
		t.Fatalf("the QR code reads %v (%v), want %s", texts, err, url)
	}
	// An invitation made while it runs names its address.
	test.Tap(te.team.Invite)
	test.Type(te.team.invite.Name, "gina")
	te.team.invite.dialog.Submit()
	if !strings.HasPrefix(te.team.link, url+"/invite/") {
		t.Errorf("the invitation's link is %q, want it under %s", te.team.link, url)
	}

	// A user the window adds signs in on the server it hosts, and the sign-in
	// shows in the page's audit.
	test.Tap(te.team.Invite)
	test.Type(te.team.invite.Name, "hank")
	test.Type(te.team.invite.Password, teamPassword)
	te.team.invite.dialog.Submit()
	r, err := http.Post(url+"/api/v1/login", "application/json", strings.NewReader(`{"username":"hank","password":"`+teamPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var answer struct{ Next string }
	json.NewDecoder(r.Body).Decode(&answer)
	r.Body.Close()
	if r.StatusCode != http.StatusOK || answer.Next != "enroll" { // signed in, and asked to enroll
		t.Fatalf("hank's sign-in on the window's server: %s, next %q", r.Status, answer.Next)
	}
	te.later()
	if i := slices.IndexFunc(te.team.audit, func(a store.AuditEvent) bool { return a.User == "hank" && a.Event == "login" }); i < 0 {
		t.Fatalf("hank's sign-in is not in the page's audit: %v", te.team.audit)
	}

	test.Tap(te.team.StartBtn)
	if te.team.hosted != nil || healthy() || te.team.StartBtn.Text != "Start the server" || !te.team.QR.Hidden || te.team.Serving.Text != "" {
		t.Fatal("the server still answers, or says it runs, after Stop")
	}
	// Another address in use: one sentence, nothing started.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	te.team.Addr.SetText(ln.Addr().String())
	test.Tap(te.team.StartBtn)
	if te.team.hosted != nil || !strings.HasPrefix(te.team.ServerNote.Text, "The server did not start: Listening on "+ln.Addr().String()) {
		t.Fatalf("on a port in use: running %v, note %q", te.team.hosted != nil, te.team.ServerNote.Text)
	}
	ln.Close()
	te.team.Addr.SetText(addr)

	// In a window of its own, where the page opens the folder chosen before by
	// itself, the server stops when the window closes.
	w := test.NewWindow(nil) // closed here, once (the test driver cannot close a window twice)
	u := New(w, te.config(te.kr))
	w.SetContent(u.Content())
	u.showTeam()
	if u.team.folder == nil || u.team.folder.Dir != te.dir || u.team.Addr.Text != addr {
		t.Fatalf("the page did not reopen the folder and address chosen: %q", u.team.Status.Text)
	}
	test.Tap(u.team.StartBtn)
	if !healthy() {
		t.Fatalf("the server does not answer in the second window: %q", u.team.ServerNote.Text)
	}
	w.Close()
	if healthy() || u.team.hosted != nil {
		t.Fatal("the server still answers after its window closed")
	}
}

// TestTeamScreens renders each tab of the Team page, the server running, in light
// and dark, and checks that each is drawn; with WARD_SCREENSHOTS=DIR it writes the
// Server tab (its URL and QR code) to DIR/team-server-VARIANT.png for the README
// (the Users tab is the real window's, TestTeamWindow).
func TestTeamScreens(t *testing.T) {
	dir := os.Getenv("WARD_SCREENSHOTS")
	for _, variant := range []string{"light", "dark"} {
		te := newTeamEnv(t)
		fyne.CurrentApp().Preferences().SetString(prefTheme, variant)
		te.ui.applyTheme()
		te.win.Resize(fyne.NewSize(440, 560))
		te.enroll("alice")
		te.requestReset("alice", "phone left on the train")
		te.later()
		test.Tap(te.team.StartBtn)
		if te.team.hosted == nil {
			t.Fatalf("the server did not start: %q", te.team.ServerNote.Text)
		}
		for i, name := range []string{"users", "requests", "audit", "policy", "server"} {
			te.team.Tabs.SelectIndex(i)
			img := te.win.Canvas().Capture()
			b, corner, differ := img.Bounds(), img.At(0, 0), 0
			for y := b.Min.Y; y < b.Max.Y; y += 2 {
				for x := b.Min.X; x < b.Max.X; x += 2 {
					if img.At(x, y) != corner {
						differ++
					}
				}
			}
			if share := float64(differ) / float64(b.Dx()*b.Dy()/4); share < 0.02 {
				t.Fatalf("%s-%s: only %.1f%% of the window is drawn", name, variant, 100*share)
			}
			if name != "server" {
				continue
			}
			if dir != "" {
				f, err := os.Create(filepath.Join(dir, "team-server-"+variant+".png"))
				if err != nil {
					t.Fatal(err)
				}
				png.Encode(f, img)
				f.Close()
			}
			if texts, err := scanner.Decode(img); err != nil || len(texts) != 1 || texts[0] != te.team.hosted.URL {
				t.Fatalf("the QR code on the rendered Server tab reads %v (%v), want %s", texts, err, te.team.hosted.URL)
			}
		}
		test.Tap(te.team.StartBtn)
	}
}

// Opening another data folder stops the server of the one before, and says so.
func TestTeamOtherFolder(t *testing.T) {
	te := newTeamEnv(t)
	test.Tap(te.team.StartBtn)
	if te.team.hosted == nil {
		t.Fatalf("the server did not start: %q", te.team.ServerNote.Text)
	}
	addr := te.team.hosted.Addr
	other := filepath.Join(t.TempDir(), "another")
	te.team.Folder.SetText(other)
	test.Tap(te.team.OpenBtn)
	if te.team.folder == nil || te.team.folder.Dir != other || len(te.team.users) != 0 {
		t.Fatalf("the other folder did not open: %q", te.team.Status.Text)
	}
	if te.team.hosted != nil || te.team.Serving.Text != "" || te.team.StartBtn.Text != "Start the server" {
		t.Fatalf("the page still says the server runs: %q, %q", te.team.Serving.Text, te.team.StartBtn.Text)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("something still listens on %s", addr)
	}
}

// While the window hosts the server, the tray menu says where, opens the Team
// page, and stops it; stopped, the menu says nothing of it.
func TestTeamServerInTray(t *testing.T) {
	te := newTeamEnv(t)
	c := te.ui.codes
	item := func(prefix string) *fyne.MenuItem {
		for _, it := range c.trayMenu().Items {
			if strings.HasPrefix(it.Label, prefix) {
				return it
			}
		}
		return nil
	}
	if item("Team server") != nil || item("Stop the team server") != nil {
		t.Fatal("the tray names a server before it runs")
	}
	test.Tap(te.team.StartBtn)
	if te.team.hosted == nil {
		t.Fatalf("the server did not start: %q", te.team.ServerNote.Text)
	}
	at := item("Team server at ")
	if at == nil || at.Label != "Team server at "+te.team.hosted.URL {
		t.Fatalf("running, the tray menu is %v", c.trayMenu().Items)
	}
	te.ui.show(c.content) // back to the codes; the tray's item opens the Team page
	at.Action()
	if !te.ui.teamVisible() {
		t.Fatal("the tray's server item did not open the Team page")
	}
	addr := te.team.hosted.Addr
	item("Stop the team server").Action()
	if te.team.hosted != nil || te.team.StartBtn.Text != "Start the server" || item("Team server") != nil {
		t.Fatalf("after the tray's Stop: running %v, button %q", te.team.hosted != nil, te.team.StartBtn.Text)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after the tray's Stop", addr)
	}
}

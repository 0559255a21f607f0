package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gdlogin/gdlogin/internal/browsertest"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/internal/store"
)

// installationKeyOf reads the sandbox's installation key: its id, or ""
// when there is none.
func installationKeyOf(t *testing.T, sb *sandbox) (store.Location, string) {
	t.Helper()
	a, _ := sb.app("", "auto")
	st, err := a.openStore()
	if err != nil {
		t.Fatal(err)
	}
	loc, err := st.InstallationKeyLocation()
	if err != nil || loc == "" {
		return loc, ""
	}
	k, _, err := a.savedInstallationKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return loc, k.IDText()
}

func TestInstallationKeyIsMadeOnceAndKept(t *testing.T) {
	kr := newMemKeyring()
	sb := newSandbox(t, kr, 0)
	a, errb := sb.app("", "auto")
	first, err := a.installationKey(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "stderr", errb.String(), "New installation key for this gdlogin")
	b, errb2 := sb.app("", "auto")
	again, err := b.installationKey(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if again.IDText() != first.IDText() {
		t.Fatal("a second run made another installation key")
	}
	if errb2.Len() != 0 {
		t.Errorf("the second run said %q", errb2.String())
	}
	if loc, _ := installationKeyOf(t, sb); loc != store.LocationKeyring || kr.Len() != 1 {
		t.Fatalf("key at %q, keyring holds %d items", loc, kr.Len())
	}
	// The demo's key is one-time and touches no store.
	demo, _ := sb.app("", "auto")
	once, err := demo.installationKey(context.Background(), true)
	if err != nil || once.IDText() == first.IDText() || kr.Len() != 1 {
		t.Fatalf("ephemeral key: %v, same %v, keyring %d", err, once.IDText() == first.IDText(), kr.Len())
	}
}

func TestInstallationKeyStoreFailureFallsBackToAOneTimeKey(t *testing.T) {
	sb := newSandbox(t, absentKeyring{}, 0)
	a, errb := sb.app("", "keyring") // an explicit keyring that is not there
	k, err := a.installationKey(context.Background(), false)
	if err != nil || k == nil {
		t.Fatalf("installationKey: %v", err)
	}
	mustContain(t, "stderr", errb.String(), "warning: cannot use gdlogin's saved installation key", "one-time key", "confirm the code below")
	if loc, _ := installationKeyOf(t, sb); loc != "" {
		t.Errorf("a key was recorded at %q", loc)
	}
}

func TestForgetInstallation(t *testing.T) {
	sb := newSandbox(t, newMemKeyring(), 0)
	r := run(t, "", sb.vars, "forget-installation")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
	mustContain(t, "stderr", r.stderr, "gdlogin has no installation key to forget", "every browser asks once")

	a, _ := sb.app("", "auto")
	old, err := a.installationKey(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	r = run(t, "", sb.vars, "forget-installation")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if want := "Forgot gdlogin's installation key (it was in the OS keyring). Every browser will ask you again to confirm the code of the next login.\n"; r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
	if loc, _ := installationKeyOf(t, sb); loc != "" {
		t.Fatalf("the key is still recorded at %q", loc)
	}
	b, _ := sb.app("", "auto")
	renewed, err := b.installationKey(context.Background(), false)
	if err != nil || renewed.IDText() == old.IDText() {
		t.Fatalf("after forgetting: %v, same key %v", err, renewed.IDText() == old.IDText())
	}
}

func TestForgetInstallationInFileStore(t *testing.T) {
	sb := newSandbox(t, absentKeyring{}, 0)
	a, _ := sb.app("", "file")
	if _, err := a.installationKey(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	r := run(t, "", sb.env(), "forget-installation")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, "Forgot gdlogin's installation key (it was in a 0600 file under "+sb.storeDir()+")")
}

func TestLogoutAllForgetsEveryProfileAndTheInstallationKey(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	kr := newMemKeyring()
	sb := newSandbox(t, kr, 0)
	bearer := sb.save(org, "default", "john.doe", "johns-laptop", 0)
	sb.save(org, "other", "john.doe", "johns-other", 0)
	a, _ := sb.app("", "auto")
	if _, err := a.installationKey(context.Background(), false); err != nil {
		t.Fatal(err)
	}

	r := run(t, "", sb.vars, "logout", "--all")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
	mustContain(t, "stderr", r.stderr,
		`Deleted API token "johns-laptop" of john.doe on `+org.URL(), `Removed profile "default" from this machine.`,
		`Deleted API token "johns-other" of john.doe on `+org.URL(), `Removed profile "other" from this machine.`,
		"Forgot gdlogin's installation key (it was in the OS keyring). Every browser will ask you again")
	assertNoSecret(t, "stderr", r.stderr, bearer)
	if org.HasToken("john.doe", "johns-laptop") || org.HasToken("john.doe", "johns-other") {
		t.Error("a token still exists on the server")
	}
	if profileExists(t, sb, "default") || profileExists(t, sb, "other") || kr.Len() != 0 {
		t.Errorf("left behind: profiles or %d keyring items", kr.Len())
	}
	if r := run(t, "", sb.vars, "logout", "--all", "--profile", "other"); r.code != ExitUsage {
		t.Errorf("--all with --profile: exit %d", r.code)
	}
}

func TestLogoutAllGoesOnAfterAFailure(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	sb.saveToken(closedURL(t), "down", gooddata.Profile{UserID: "john.doe"}, "johns-down", "am9obi5kb2U6am9obnMtZG93bjpzZWNyZXQ=", 0)
	sb.save(org, "up", "john.doe", "johns-up", 0)
	a, _ := sb.app("", "auto")
	if _, err := a.installationKey(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	r := run(t, "", sb.vars, "logout", "--all")
	if r.code != ExitNetwork {
		t.Fatalf("exit %d, want %d", r.code, ExitNetwork)
	}
	mustContain(t, "stderr", r.stderr, `Removed profile "up"`, "Forgot gdlogin's installation key",
		`error: not every profile could be logged out; left: "down"`, "gdlogin logout --all --force")
	if !profileExists(t, sb, "down") || profileExists(t, sb, "up") {
		t.Error("wrong profiles kept")
	}
}

// TestBrowserLoginTrustOnFirstUse: in one browser profile, the first
// browser login of an installation asks on the organization's page with
// the terminal's confirmation code; the second goes straight on with the
// one click on the bookmark; after gdlogin forget-installation the browser
// asks again.
func TestBrowserLoginTrustOnFirstUse(t *testing.T) {
	browsertest.Require(t)
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	b := browsertest.New(t, browsertest.Options{PublicHosts: []string{hostOf(org.URL())}, Timeout: 4 * time.Minute})
	login := func() *browserLogin {
		return launchLoginIn(t, org, b, sb.vars, []string{"login", org.URL(), "--timeout", "60s", "--no-save"})
	}

	first := login()
	openOrg, bm := first.openStartPage()
	first.signIn(openOrg, "john.doe", "demo")
	first.clickAndConfirm(bm)
	waitState(t, first.orgTab, "success")
	if code := first.wait(); code != 0 {
		t.Fatalf("first login: exit %d", code)
	}
	mustContain(t, "stderr", first.stderr.String(), "New installation key for this gdlogin", "Confirmation code: ")

	second := login()
	openOrg, bm = second.openStartPage()
	second.openSignedIn(openOrg)
	second.clickBookmarklet(bm)
	// No confirm: the callback page reports success on its own.
	waitState(t, second.orgTab, "success")
	if code := second.wait(); code != 0 {
		t.Fatalf("second login: exit %d", code)
	}
	if strings.Contains(second.stderr.String(), "New installation key") {
		t.Error("the second login made a new key")
	}

	if r := run(t, "", sb.vars, "forget-installation"); r.code != 0 {
		t.Fatalf("forget-installation: exit %d", r.code)
	}
	third := login()
	openOrg, bm = third.openStartPage()
	third.openSignedIn(openOrg)
	third.clickBookmarklet(bm)
	third.confirm() // fails unless the page asks
	waitState(t, third.orgTab, "success")
	if code := third.wait(); code != 0 {
		t.Fatalf("third login: exit %d", code)
	}
}

// openSignedIn opens u in a new tab of a browser that is signed in already.
func (l *browserLogin) openSignedIn(u string) {
	l.t.Helper()
	tab, _ := chromedp.NewContext(l.browser.Ctx)
	l.orgTab = tab
	l.run(tab, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-in-user"]`)))
}

// TestLogoutAllWithASharedToken: two profiles hold one token; logout
// --all keeps it on the server for the first and deletes it with the
// last, and says so.
func TestLogoutAllWithASharedToken(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	bearer := sb.save(org, "a", "john.doe", "johns-shared", 0)
	sb.saveToken(org.URL(), "b", gooddata.Profile{UserID: "john.doe"}, "johns-shared", bearer, 0)
	r := run(t, "", sb.vars, "logout", "--all")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	mustContain(t, "stderr", r.stderr,
		`Kept API token "johns-shared" on `+org.URL()+`: profile(s) b hold it too; logging out of the last of them deletes it.`, `Removed profile "a" from this machine.`,
		`Deleted API token "johns-shared" of john.doe on `+org.URL(), `Removed profile "b" from this machine.`)
	assertNoSecret(t, "stderr", r.stderr, bearer)
	if org.HasToken("john.doe", "johns-shared") {
		t.Error("the shared token outlived the last profile that held it")
	}
}

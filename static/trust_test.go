package static_test

import (
	"errors"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/handoff/handofftest"
	"github.com/gdlogin/gdlogin/static"
)

// Trust of a pairing (SPEC 3.11), in headless Chromium: the bookmark is
// clicked as a browser-initiated javascript: navigation on the
// organization's page, under its strict CSP.

// attacker is another local user: a listener on a loopback port of his own
// and a gdlogin installation key of his own, which signs his pairings.
type attacker struct {
	ln  *net.TCPListener
	key *handoff.InstallationKey
}

func newAttacker(t *testing.T) *attacker {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	key, err := handoff.NewInstallationKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &attacker{ln: ln.(*net.TCPListener), key: key}
}

func (a *attacker) port() int { return a.ln.Addr().(*net.TCPAddr).Port }

// pairing is a valid pairing for org, signed by the attacker's key, that
// hands the token to the attacker's port.
func (a *attacker) pairing(t *testing.T, org string) *handoff.Session {
	t.Helper()
	s, err := handoff.NewSession(a.port(), "gdlogin-laptop", org, a.key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// assertNoConnection waits 5 s for a connection to the attacker's port and
// fails if one arrives.
func (a *attacker) assertNoConnection(t *testing.T) {
	t.Helper()
	a.ln.SetDeadline(time.Now().Add(5 * time.Second))
	conn, err := a.ln.Accept()
	if err == nil {
		conn.Close()
		t.Fatal("the attacker's listener got a connection")
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("accept on the attacker's listener: %v", err)
	}
}

// TestForeignPairingGetsNothingWithoutConfirm: a link with somebody
// else's pairing and one click on the bookmark give him nothing, in a
// fresh browser and in one that trusts the user's own gdlogin: the panel
// asks, shows his confirmation code, and without the confirm no request
// leaves the page and his listener hears nothing for 5 s.
func TestForeignPairingGetsNothingWithoutConfirm(t *testing.T) {
	for _, trusting := range []bool{false, true} {
		name := "fresh browser"
		if trusting {
			name = "browser that trusts our installation"
		}
		t.Run(name, func(t *testing.T) {
			r := newFreshRig(t, handofftest.OrgOptions{})
			if trusting {
				r.b.Trust(r.org.URL, testInstallationKey.IDText())
			}
			evil := newAttacker(t)
			s := evil.pairing(t, r.org.URL)
			r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
			mark := r.b.Mark()
			r.b.ClickBookmarklet(static.Bookmarklet())
			if code := r.b.WaitConfirmation(); code != s.ConfirmationCode() {
				t.Errorf("the panel shows code %q, the pairing's is %q", code, s.ConfirmationCode())
			}
			status := r.b.Status("only if your terminal shows this code")
			if want := "gdlogin: send to port " + strconv.Itoa(evil.port()) + " only if your terminal shows this code:"; status != want {
				t.Errorf("status %q, want %q", status, want)
			}
			evil.assertNoConnection(t)
			if api := r.org.APIRequests(); len(api) > 0 {
				t.Errorf("the script called the API before the confirm: %v", api)
			}
			if created := r.org.Created(); len(created) > 0 {
				t.Errorf("tokens created: %v", created)
			}
			if got := r.sent(mark); len(got) > 0 {
				t.Errorf("the tab sent requests: %q", got)
			}
			want := []string{}
			if trusting {
				want = []string{testInstallationKey.IDText()}
			}
			if got := r.b.Trusted(); !slices.Equal(got, want) {
				t.Errorf("trusted ids %q, want %q", got, want)
			}
			if loc := r.b.Location(); loc != r.org.URL+"/" {
				t.Errorf("the tab is at %s", loc)
			}
		})
	}
}

// TestFirstLoginAsksOnceThenNot: the first login of an installation in a
// browser asks, and the confirm sends the token and remembers the id; the
// next login of the same installation goes straight on, with no click.
func TestFirstLoginAsksOnceThenNot(t *testing.T) {
	r := newFreshRig(t, handofftest.OrgOptions{})
	first := r.session(r.gd.Port, "gdlogin-first")
	r.b.Open(r.org.URL + "/#gdlogin=" + first.PairingCode())
	r.b.ClickBookmarklet(static.Bookmarklet())
	if code := r.b.WaitConfirmation(); code != first.ConfirmationCode() {
		t.Fatalf("panel shows %q, gdlogin %q", code, first.ConfirmationCode())
	}
	if api := r.org.APIRequests(); len(api) > 0 {
		t.Fatalf("API calls before the confirm: %v", api)
	}
	r.b.Confirm()
	r.checkPayload(r.openCallback(first), "gdlogin-first")

	r.b.Open(r.org.URL + "/")
	if got := r.b.Trusted(); !slices.Equal(got, []string{testInstallationKey.IDText()}) {
		t.Fatalf("trusted ids %q after the confirm", got)
	}
	second := r.session(r.gd.Port, "gdlogin-second")
	r.b.Open(r.org.URL + "/#gdlogin=" + second.PairingCode())
	r.b.ClickBookmarklet(static.Bookmarklet())
	// No click: the navigation happens on its own.
	r.checkPayload(r.openCallback(second), "gdlogin-second")
	r.b.Open(r.org.URL + "/")
	if got := r.b.Trusted(); !slices.Equal(got, []string{testInstallationKey.IDText()}) {
		t.Errorf("trusted ids %q after the second login", got)
	}
}

// TestPromptedPairingIsAskedAbout: a pairing typed into prompt() is
// treated like one from the URL.
func TestPromptedPairingIsAskedAbout(t *testing.T) {
	r := newFreshRig(t, handofftest.OrgOptions{})
	s := r.session(r.gd.Port, "gdlogin-prompt")
	r.b.Open(r.org.URL + "/")
	asked := answerPrompt(t, r.b.Ctx, s.PairingCode())
	r.b.ClickBookmarklet(static.Bookmarklet())
	<-asked
	r.b.WaitConfirmation()
	if api := r.org.APIRequests(); len(api) > 0 {
		t.Fatalf("API calls before the confirm: %v", api)
	}
	r.b.Confirm()
	r.checkPayload(r.openCallback(s), "gdlogin-prompt")
}

// TestSnippetGoesStraightOn: the console snippet carries the pairing that
// the user copied from gdlogin's own page; it needs no confirm, even in a
// browser that has never seen the installation.
func TestSnippetGoesStraightOn(t *testing.T) {
	r := newFreshRig(t, handofftest.OrgOptions{})
	s := r.session(r.gd.Port, "gdlogin-snippet")
	r.b.Open(r.org.URL + "/")
	snippet, err := static.Snippet(s.PairingCode())
	if err != nil {
		t.Fatal(err)
	}
	r.b.Eval(snippet)
	r.checkPayload(r.openCallback(s), "gdlogin-snippet")
}

// TestNewInstallationKeyIsAskedAgain: after gdlogin forgot its key, the
// next login signs with a new one, which no browser knows: it asks again,
// and trusting the new id keeps the old one.
func TestNewInstallationKeyIsAskedAgain(t *testing.T) {
	r := newRig(t, handofftest.OrgOptions{}) // trusts testInstallationKey
	renewed, err := handoff.NewInstallationKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := handoff.NewSession(r.gd.Port, "gdlogin-renewed", r.org.URL, renewed, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
	r.b.ClickBookmarklet(static.Bookmarklet())
	if code := r.b.WaitConfirmation(); code != s.ConfirmationCode() {
		t.Fatalf("panel shows %q, gdlogin %q", code, s.ConfirmationCode())
	}
	r.b.Confirm()
	r.checkPayload(r.openCallback(s), "gdlogin-renewed")
	r.b.Open(r.org.URL + "/")
	if got := r.b.Trusted(); !slices.Equal(got, []string{renewed.IDText(), testInstallationKey.IDText()}) {
		t.Errorf("trusted ids %q", got)
	}
}

// TestCancelSendsNothing: Close on the question ends the handoff; nothing
// leaves the page and the id is not remembered.
func TestCancelSendsNothing(t *testing.T) {
	r := newFreshRig(t, handofftest.OrgOptions{})
	s := r.session(r.gd.Port, "gdlogin-cancel")
	r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
	mark := r.b.Mark()
	r.b.ClickBookmarklet(static.Bookmarklet())
	r.b.WaitConfirmation()
	if err := chromedp.Do(r.b.Ctx, chromedp.Click(chromedp.Search(`//button[.="Close"]`))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(r.b.Ctx, chromedp.WaitNotPresent(chromedp.CSS(`[data-testid=gdlogin-confirm]`))); err != nil {
		t.Fatal(err)
	}
	r.assertNothingSent(mark, r.org.URL+"/")
	if got := r.b.Trusted(); len(got) != 0 {
		t.Errorf("trusted ids %q after a cancel", got)
	}
}

// TestJunkTrustListIsNoTrust: whatever the organization's own scripts left
// under the key, the script asks; the confirm replaces the junk with a list.
func TestJunkTrustListIsNoTrust(t *testing.T) {
	for _, junk := range []string{`{`, `"` + testInstallationKey.IDText() + `x"`, `{"0":"` + testInstallationKey.IDText() + `"}`, `null`, `5`} {
		t.Run(junk, func(t *testing.T) {
			r := newFreshRig(t, handofftest.OrgOptions{})
			r.b.Open(r.org.URL + "/")
			r.b.Eval(`localStorage.setItem('gdlogin.trusted', ` + jsQuote(junk) + `)`)
			s := r.session(r.gd.Port, "gdlogin-junk")
			r.b.Open(r.org.URL + "/#gdlogin=" + s.PairingCode())
			r.b.ClickBookmarklet(static.Bookmarklet())
			r.b.WaitConfirmation()
			r.b.Confirm()
			r.checkPayload(r.openCallback(s), "gdlogin-junk")
			r.b.Open(r.org.URL + "/")
			if got := r.b.Trusted(); !slices.Contains(got, testInstallationKey.IDText()) {
				t.Errorf("trusted ids %q", got)
			}
		})
	}
}

func jsQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

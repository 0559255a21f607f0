package static_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gdlogin/gdlogin/internal/browsertest"
	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/handoff/handofftest"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/internal/poll"
	"github.com/gdlogin/gdlogin/static"
)

// The same script against the real emulator: sign in through its login
// page, then hand a token over, as `gdlogin demo` does.

type emulatorRig struct {
	t   *testing.T
	org *orgsim.Server
	gd  *handofftest.Listener
	b   *handofftest.Browser
}

func newEmulatorRig(t *testing.T) *emulatorRig {
	t.Helper()
	return newEmulatorRigWith(t, orgsim.Options{
		Scripts: []orgsim.Script{{Path: "/assets/gdlogin-handoff.js", Body: static.HandoffScript()}},
	})
}

// newEmulatorRigWith starts the emulator with opts; without Scripts its
// pages do not include the handoff script, as a real organization's.
func newEmulatorRigWith(t *testing.T, opts orgsim.Options) *emulatorRig {
	t.Helper()
	org, err := orgsim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { org.Close() })
	host := strings.TrimPrefix(org.URL(), "http://")
	return &emulatorRig{t: t, org: org, gd: handofftest.NewListener(t), b: handofftest.NewBrowser(t, host)}
}

// signIn fills the emulator's login form; it then redirects to next.
func (r *emulatorRig) signIn(user, password, next string) {
	r.t.Helper()
	r.b.Open(r.org.URL() + "/appLogin?redirectTo=" + url.QueryEscape(next))
	err := chromedp.Do(r.b.Ctx,
		chromedp.SendKeys(chromedp.CSS(`[data-testid=login-username]`), user),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=login-password]`), password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=signed-in-user]`)),
	)
	if err != nil {
		r.t.Fatalf("sign in as %s: %v", user, err)
	}
}

func (r *emulatorRig) session(port int, tokenID string) *handoff.Session {
	r.t.Helper()
	s, err := handoff.NewSession(port, tokenID, r.org.URL(), testInstallationKey, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

func (r *emulatorRig) open(s *handoff.Session) handoff.Payload {
	r.t.Helper()
	u := r.b.WaitLocation(r.gd.URL + "/callback#")
	p, err := s.OpenText(handofftest.Fragment(r.t, u))
	if err != nil {
		r.t.Fatalf("open the envelope: %v", err)
	}
	return p
}

// TestEmulatorDemoFlow: the open-org link goes through /appLogin with the
// pairing in redirectTo, the home page's script offers the button, and the
// click hands over a token that the emulator really issued.
func TestEmulatorDemoFlow(t *testing.T) {
	browsertest.Require(t)
	r := newEmulatorRig(t)
	s := r.session(r.gd.Port, "gdlogin-demo")
	r.signIn("john.doe", "demo", "/#gdlogin="+s.PairingCode())
	if code := r.b.WaitConfirmation(); code != s.ConfirmationCode() {
		t.Errorf("the page shows code %q, gdlogin %q", code, s.ConfirmationCode())
	}
	poll.Never(t, func() string {
		if ids := r.org.TokenIDs("john.doe"); len(ids) != 0 {
			return fmt.Sprintf("tokens before the click: %v", ids)
		}
		return ""
	})
	if loc := r.b.Location(); strings.Contains(loc, "gdlogin=") {
		t.Errorf("the pairing is still in the address bar: %s", loc)
	}
	r.b.Confirm()
	p := r.open(s)
	if p.UserID != "john.doe" || p.TokenID != "gdlogin-demo" || p.Origin != r.org.URL() || !r.org.HasToken("john.doe", "gdlogin-demo") {
		t.Fatalf("payload %v; emulator tokens %v", p, r.org.TokenIDs("john.doe"))
	}
}

// TestEmulatorBookmarkletAfterSSOLostTheFragment: signed in with a plain
// redirect, the bookmarklet asks for the pairing; an existing token id
// gets a suffix.
func TestEmulatorBookmarkletAfterSSOLostTheFragment(t *testing.T) {
	browsertest.Require(t)
	r := newEmulatorRig(t)
	if _, err := r.org.IssueToken("john.doe", "gdlogin-laptop"); err != nil {
		t.Fatal(err)
	}
	s := r.session(r.gd.Port, "gdlogin-laptop")
	r.signIn("john.doe", "demo", "/")
	asked := answerPrompt(t, r.b.Ctx, s.PairingCode())
	r.b.ClickBookmarklet(static.Bookmarklet())
	<-asked
	// A pairing typed in is asked about like one from the URL (SPEC 3.11).
	if code := r.b.WaitConfirmation(); code != s.ConfirmationCode() {
		t.Errorf("the page shows code %q, gdlogin %q", code, s.ConfirmationCode())
	}
	r.b.Confirm()
	p := r.open(s)
	if !regexp.MustCompile(`^gdlogin-laptop-[0-9a-f]{4}$`).MatchString(p.TokenID) || !r.org.HasToken("john.doe", p.TokenID) {
		t.Fatalf("payload %v; emulator tokens %v", p, r.org.TokenIDs("john.doe"))
	}
}

func TestEmulatorUserWithoutPermission(t *testing.T) {
	browsertest.Require(t)
	r := newEmulatorRig(t)
	s := r.session(r.gd.Port, "gdlogin-laptop")
	r.signIn("jane.roe", "demo", "/")
	snippet, _ := static.Snippet(s.PairingCode())
	r.b.Eval(snippet)
	// The script reports the refusal to gdlogin, encrypted, without a token.
	p := r.open(s)
	if p.Token != "" || p.UserID != "jane.roe" || p.Error != "Jane Roe (jane.roe) lacks SELF_CREATE_TOKEN" {
		t.Errorf("report %v", p)
	}
	if ids := r.org.TokenIDs("jane.roe"); len(ids) != 0 {
		t.Errorf("jane.roe got tokens %v", ids)
	}
}

func TestEmulatorSignedOut(t *testing.T) {
	browsertest.Require(t)
	r := newEmulatorRig(t)
	s := r.session(r.gd.Port, "gdlogin-laptop")
	r.signIn("john.doe", "demo", "/")
	// Sign out through the page's own form, then run the snippet on the
	// login page that follows.
	if err := chromedp.Do(r.b.Ctx, chromedp.Click(chromedp.CSS(`[data-testid=logout]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-form]`))); err != nil {
		t.Fatal(err)
	}
	snippet, _ := static.Snippet(s.PairingCode())
	r.b.Eval(snippet)
	r.b.Status("gdlogin: sign in first")
}

// TestEmulatorForeignPairingGetsNothing: on the real emulator, signed in,
// in a browser that trusts the user's own gdlogin, somebody else's pairing
// and a click on the bookmark create no token: the panel asks, the
// emulator sees no API call, and the attacker's port hears nothing for 5 s.
func TestEmulatorForeignPairingGetsNothing(t *testing.T) {
	browsertest.Require(t)
	r := newEmulatorRigWith(t, orgsim.Options{})
	r.signIn("john.doe", "demo", "/")
	r.b.Trust(r.org.URL(), testInstallationKey.IDText())
	evil := newAttacker(t)
	s := evil.pairing(t, r.org.URL())
	r.b.Open(r.org.URL() + "/#gdlogin=" + s.PairingCode())
	r.org.ResetRequests()
	r.b.ClickBookmarklet(static.Bookmarklet())
	if code := r.b.WaitConfirmation(); code != s.ConfirmationCode() {
		t.Errorf("the page shows code %q, the pairing's is %q", code, s.ConfirmationCode())
	}
	evil.assertNoConnection(t)
	for _, q := range r.org.Requests() {
		if strings.HasPrefix(q.Path, "/api/") {
			t.Errorf("the script called the emulator: %s %s", q.Method, q.Path)
		}
	}
	if ids := r.org.TokenIDs("john.doe"); len(ids) != 0 {
		t.Errorf("john.doe has tokens %v", ids)
	}
}

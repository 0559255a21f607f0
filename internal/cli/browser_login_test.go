package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/gdlogin/gdlogin/internal/browsertest"
	"github.com/gdlogin/gdlogin/internal/orgsim"
)

// browserLogin is one `gdlogin login` with the browser method, run in the
// background against an emulated organization, with a real headless
// Chromium to click through it.
type browserLogin struct {
	t       *testing.T
	org     *orgsim.Server
	browser *browsertest.Browser
	start   string // the start page URL gdlogin "opened"
	done    chan int
	stdout  *bytes.Buffer
	stderr  *syncBuffer
	orgTab  context.Context
	code    int
	ended   bool
	// cancel is what Ctrl-C does: it cancels gdlogin's context.
	cancel context.CancelFunc
}

func hostOf(u string) string { p, _ := url.Parse(u); return p.Host }

// startBrowserLogin starts the emulator, the browser (with the emulator's
// address treated as a public site) and gdlogin login.
func startBrowserLogin(t *testing.T, orgOpts orgsim.Options, args ...string) *browserLogin {
	t.Helper()
	browsertest.Require(t)
	org := startOrg(t, orgOpts)
	return launchLogin(t, org, []string{hostOf(org.URL())}, nil, append([]string{"login", org.URL(), "--timeout", "60s"}, args...))
}

// launchLogin starts a browser that treats publicHosts as public sites and
// runs gdlogin with args in the background (in its own config directory
// unless vars names one), until gdlogin "opens" a page.
func launchLogin(t *testing.T, org *orgsim.Server, publicHosts []string, vars map[string]string, args []string) *browserLogin {
	t.Helper()
	b := browsertest.New(t, browsertest.Options{PublicHosts: publicHosts, Timeout: 90 * time.Second})
	return launchLoginIn(t, org, b, vars, args)
}

// launchLoginIn is launchLogin with a browser that is already running, for
// tests of several logins in one browser profile.
func launchLoginIn(t *testing.T, org *orgsim.Server, b *browsertest.Browser, vars map[string]string, args []string) *browserLogin {
	t.Helper()
	env, out, _ := testEnv("", isolated(t, vars))
	errb := &syncBuffer{}
	env.Stderr = errb
	opened := make(chan string, 1)
	env.OpenBrowser = func(u, _ string) error { opened <- u; return nil }
	ctx, cancel := context.WithCancel(context.Background())
	l := &browserLogin{t: t, org: org, browser: b, done: make(chan int, 1), stdout: out, stderr: errb, cancel: cancel}
	go func() { l.done <- Run(ctx, args, env) }()
	select {
	case l.start = <-opened:
	case code := <-l.done:
		t.Fatalf("gdlogin ended before opening a browser: exit %d\n%s", code, errb.String())
	case <-time.After(20 * time.Second):
		t.Fatal("gdlogin did not open a browser")
	}
	t.Cleanup(func() {
		cancel()
		if !l.ended {
			select {
			case <-l.done:
			case <-time.After(70 * time.Second):
			}
		}
		t.Logf("gdlogin stderr:\n%s", errb.String())
	})
	return l
}

// wait returns gdlogin's exit code.
func (l *browserLogin) wait() int {
	l.t.Helper()
	if l.ended {
		return l.code
	}
	select {
	case l.code = <-l.done:
		l.ended = true
	case <-time.After(70 * time.Second):
		l.t.Fatal("gdlogin did not end")
	}
	return l.code
}

func (l *browserLogin) run(ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	l.t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		l.t.Fatal(err)
	}
}

func evalString(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return s
}

// openStartPage loads the start page in the first tab and returns the
// hrefs of the open-org link and the bookmarklet.
func (l *browserLogin) openStartPage() (openOrg, bookmarklet string) {
	l.t.Helper()
	l.run(l.browser.Ctx, chromedp.Navigate(l.start), chromedp.WaitVisible(chromedp.CSS(`[data-testid="status"]`)))
	openOrg = evalString(l.t, l.browser.Ctx, `document.querySelector('[data-testid="open-org"]').href`)
	bookmarklet = evalString(l.t, l.browser.Ctx, `document.querySelector('[data-testid="bookmarklet"]').getAttribute('href')`)
	return openOrg, bookmarklet
}

// signIn opens u in a second tab (as the open-org link does) and signs in
// through the emulator's login form.
func (l *browserLogin) signIn(u, user, password string) {
	l.t.Helper()
	tab, _ := chromedp.NewContext(l.browser.Ctx)
	l.orgTab = tab
	l.run(tab, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)))
	l.run(tab,
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-username"]`), user),
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-password"]`), password),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-in-user"]`)),
	)
}

// clickBookmarklet clicks the bookmark on the organization's tab as a user
// does: a browser-initiated navigation to its javascript: URL, under the
// page's CSP (Chromium runs bookmarks despite it).
func (l *browserLogin) clickBookmarklet(bookmarklet string) {
	l.t.Helper()
	if !strings.HasPrefix(bookmarklet, "javascript:") {
		l.t.Fatalf("not a bookmarklet: %.40q", bookmarklet)
	}
	if _, err := chromedp.Call(l.orgTab, page.Navigate, page.NavigateParams{URL: bookmarklet}); err != nil {
		l.t.Fatal(err)
	}
}

// terminalCode is the confirmation code gdlogin printed on stderr.
func (l *browserLogin) terminalCode() string {
	l.t.Helper()
	m := regexp.MustCompile(`(?m)^Confirmation code: ([A-Z2-7]{6})$`).FindStringSubmatch(l.stderr.String())
	if m == nil {
		l.t.Fatalf("gdlogin printed no confirmation code:\n%s", l.stderr.String())
	}
	return m[1]
}

// confirm answers the organization page's question about a gdlogin it
// does not know yet (SPEC 3.11), after checking that the page shows the
// terminal's confirmation code, as the user does.
func (l *browserLogin) confirm() {
	l.t.Helper()
	l.run(l.orgTab, chromedp.WaitVisible(chromedp.CSS(`[data-testid="gdlogin-confirm"]`)))
	if got, want := evalString(l.t, l.orgTab, `document.querySelector('[data-testid="gdlogin-code"]').textContent`), l.terminalCode(); got != want {
		l.t.Fatalf("the page shows code %q, the terminal %q", got, want)
	}
	l.run(l.orgTab, chromedp.Click(chromedp.CSS(`[data-testid="gdlogin-confirm"]`)))
}

// clickAndConfirm is the first login of an installation in a browser: the
// bookmark, then the confirm.
func (l *browserLogin) clickAndConfirm(bookmarklet string) {
	l.t.Helper()
	l.clickBookmarklet(bookmarklet)
	l.confirm()
}

// statusJS reads [data-testid=status] of a tab: data-state and text.
const statusJS = `(() => { const e = document.querySelector('[data-testid="status"]'); return e ? e.dataset.state + '|' + e.innerText : 'none|' })()`

// statusOf reads [data-testid=status] of a tab: data-state and text.
// stillWaitsThenLogsIn checks that the start page still waits after what
// the test did to the login, then logs in as john.doe through openOrg and
// the bookmarklet: the organization's tab shows success and gdlogin exits
// 0.
func (l *browserLogin) stillWaitsThenLogsIn(what, openOrg, bookmarklet string) {
	l.t.Helper()
	if state, _ := statusOf(l.t, l.browser.Ctx); state != "waiting" {
		l.t.Fatalf("%s changed the login's state to %s", what, state)
	}
	l.signIn(openOrg, "john.doe", "demo")
	l.clickAndConfirm(bookmarklet)
	waitState(l.t, l.orgTab, "success")
	if code := l.wait(); code != 0 {
		l.t.Fatalf("exit %d", code)
	}
}

func statusOf(t *testing.T, ctx context.Context) (string, string) {
	t.Helper()
	state, text, _ := strings.Cut(evalString(t, ctx, statusJS), "|")
	return state, text
}

// waitState polls the status panel of a tab until it shows want, with
// its text visible: a page may take the state before its style sheet has
// loaded and its text shows (innerText is empty until then). A tab that
// is navigating (the bookmarklet sends the organization's tab to
// gdlogin's callback page) answers an evaluation with an error; the poll
// asks again.
func waitState(t *testing.T, ctx context.Context, want string) string {
	t.Helper()
	var state, text string
	var err error
	for i := 0; i < 300; i++ {
		var s string
		if s, err = chromedp.Run(ctx, chromedp.Evaluate[string](statusJS)); err == nil {
			state, text, _ = strings.Cut(s, "|")
			if state == want && strings.TrimSpace(text) != "" {
				return text
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("status stayed %q (%q; last error %v), want %q", state, text, err, want)
	return ""
}

// assertTokenNotInProfile closes the browser and searches every file of its
// profile directory for the token.
func assertTokenNotInProfile(t *testing.T, b *browsertest.Browser, token string) {
	t.Helper()
	b.Close()
	var files int
	err := filepath.WalkDir(b.ProfileDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		files++
		for _, form := range []string{token, url.QueryEscape(token), url.PathEscape(token)} {
			if bytes.Contains(data, []byte(form)) {
				t.Errorf("the token is in the browser profile file %s", p)
			}
		}
		return nil
	})
	if err != nil || files == 0 {
		t.Fatalf("walked %d files of the profile: %v", files, err)
	}
}

func TestBrowserLoginBookmarklet(t *testing.T) {
	l := startBrowserLogin(t, orgsim.Options{}, "--output", "token")
	openOrg, bm := l.openStartPage()
	if !strings.HasPrefix(openOrg, l.org.URL()+"/appLogin?redirectTo=/%23gdlogin%3D") {
		t.Fatalf("open-org link %q", openOrg)
	}
	if !strings.HasPrefix(bm, "javascript:") {
		t.Fatalf("bookmarklet %q", bm)
	}
	if state, _ := statusOf(t, l.browser.Ctx); state != "waiting" {
		t.Fatalf("start page state %q", state)
	}
	l.signIn(openOrg, "john.doe", "demo")
	// The fragment survived the sign-in through redirectTo.
	if h := evalString(t, l.orgTab, `location.hash`); !strings.HasPrefix(h, "#gdlogin=") {
		t.Fatalf("org tab hash %q", h)
	}
	l.clickAndConfirm(bm)
	text := waitState(t, l.orgTab, "success")
	if !strings.Contains(text, "John Doe (john.doe)") {
		t.Errorf("callback page says %q", text)
	}
	if title := evalString(t, l.orgTab, `document.title + '|' + document.querySelector('h1').textContent`); title != "You are logged in · gdlogin|You are logged in" {
		t.Errorf("callback title and heading %q", title)
	}
	if code := l.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	token := strings.TrimSpace(l.stdout.String())
	if p := profileOf(t, l.org, token); p.UserID != "john.doe" {
		t.Fatalf("token belongs to %s", p.UserID)
	}
	startText := waitState(t, l.browser.Ctx, "success")
	if !strings.Contains(startText, "John Doe (john.doe)") {
		t.Errorf("start page says %q", startText)
	}
	// The start page no longer asks to log in.
	host := strings.TrimPrefix(l.org.URL(), "http://")
	if got := evalString(t, l.browser.Ctx, `document.title + '|' + document.querySelector('h1').textContent`); got != "You are logged in to "+host+" · gdlogin|You are logged in to "+host {
		t.Errorf("start page title and heading %q", got)
	}
	// The callback page stripped the fragment from its address.
	if u := evalString(t, l.orgTab, `location.href`); strings.Contains(u, "#") {
		t.Errorf("callback URL keeps its fragment: %s", u)
	}
	for _, want := range []string{"Opening the login page", "a token for john.doe arrived", "Verified.", "Logged in to Example Analytics"} {
		if !strings.Contains(l.stderr.String(), want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	assertNoSecret(t, "stderr", l.stderr.String(), token)
	assertTokenNotInProfile(t, l.browser, token)
}

func TestBrowserLoginConsoleSnippet(t *testing.T) {
	l := startBrowserLogin(t, orgsim.Options{}, "--output", "json")
	l.openStartPage()
	snippet := evalString(t, l.browser.Ctx, `document.querySelector('[data-testid="snippet"]').textContent`)
	// Sign in on a plain organization tab, without the pairing in the URL.
	l.signIn(l.org.URL()+"/", "john.doe", "demo")
	l.run(l.orgTab, chromedp.Evaluate[chromedp.Void](snippet))
	waitState(t, l.orgTab, "success")
	if code := l.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(l.stdout.String(), `"userId": "john.doe"`) || !strings.Contains(l.stdout.String(), `"method": "browser"`) {
		t.Fatalf("stdout %s", l.stdout.String())
	}
}

func TestBrowserLoginPromptWhenFragmentIsLost(t *testing.T) {
	l := startBrowserLogin(t, orgsim.Options{})
	_, bm := l.openStartPage()
	pairing := evalString(t, l.browser.Ctx, `document.querySelector('[data-testid="pairing"]').textContent.trim()`)
	// A plain fragment is lost by the sign-in form's POST.
	l.signIn(l.org.URL()+"/#gdlogin="+pairing, "john.doe", "demo")
	if h := evalString(t, l.orgTab, `location.hash`); h != "" {
		t.Fatalf("the fragment survived the sign-in (%q); this test needs it lost", h)
	}
	dialogs := chromedp.Events(l.orgTab, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			if ev.Type == page.DialogTypePrompt {
				_, _ = chromedp.Call(l.orgTab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true, PromptText: pairing})
				return
			}
		}
	}()
	l.clickAndConfirm(bm)
	waitState(t, l.orgTab, "success")
	if code := l.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestBrowserLoginWithoutPermission(t *testing.T) {
	l := startBrowserLogin(t, orgsim.Options{})
	openOrg, bm := l.openStartPage()
	l.signIn(openOrg, "jane.roe", "demo")
	l.clickAndConfirm(bm)
	text := waitState(t, l.orgTab, "error")
	if !strings.Contains(text, "SELF_CREATE_TOKEN") || !strings.Contains(text, "Jane Roe (jane.roe)") {
		t.Errorf("page says %q", text)
	}
	if code := l.wait(); code != ExitAuth {
		t.Fatalf("exit %d, want %d", code, ExitAuth)
	}
	if l.stdout.Len() != 0 {
		t.Fatalf("stdout %q", l.stdout.String())
	}
	for _, want := range []string{"error: Jane Roe (jane.roe) lacks SELF_CREATE_TOKEN", "an organization admin can grant SELF_CREATE_TOKEN", "--method token --user jane.roe"} {
		if !strings.Contains(l.stderr.String(), want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if text := waitState(t, l.browser.Ctx, "error"); !strings.Contains(text, "SELF_CREATE_TOKEN") {
		t.Errorf("start page says %q", text)
	}
}

func TestBrowserLoginWrongOriginIsRefused(t *testing.T) {
	l := startBrowserLogin(t, orgsim.Options{})
	_, bm := l.openStartPage()
	pairing := evalString(t, l.browser.Ctx, `document.querySelector('[data-testid="pairing"]').textContent.trim()`)
	// Another organization, signed in, runs the bookmarklet with this
	// login's pairing: the script refuses, and nothing reaches gdlogin.
	other := startOrg(t, orgsim.Options{OrganizationName: "Other Org"})
	l.signIn(other.URL()+"/appLogin?redirectTo=/%23gdlogin%3D"+pairing, "john.doe", "demo")
	other.ResetRequests()
	l.clickBookmarklet(bm)
	// The script refuses before it calls anything; once the refusal shows,
	// whatever it would have sent is sent.
	refusal := "pairing for " + l.org.URL() + ", not " + other.URL() + "; nothing sent"
	var text string
	waitFor(t, "the refusal on the other organization's page", func() bool {
		text = evalString(t, l.orgTab, `document.body.innerText`)
		return strings.Contains(text, refusal)
	})
	if reqs := other.Requests(); len(reqs) != 0 {
		t.Errorf("the script called the other org: %v", reqs)
	}
	if u := evalString(t, l.orgTab, `location.origin`); u != other.URL() {
		t.Errorf("the tab navigated to %s", u)
	}
	// The genuine organization still works.
	l.stillWaitsThenLogsIn("the foreign organization", l.org.URL()+"/appLogin?redirectTo=/%23gdlogin%3D"+pairing, bm)
}

// TestBrowserLoginJunkThenSuccessThenReplay sends junk to the listener
// while the login waits, completes the real login, and replays it.
func TestBrowserLoginJunkThenSuccessThenReplay(t *testing.T) {
	l := startBrowserLogin(t, orgsim.Options{}, "--verbose")
	openOrg, bm := l.openStartPage()
	origin := strings.SplitN(l.start, "/?", 2)[0]
	port := strings.TrimPrefix(origin, "http://127.0.0.1:")
	junk := []struct {
		method, host, ctype, origin string
		body                        string
		want                        int
	}{
		{"POST", "evil.example:" + port, "application/json", origin, `{}`, 421},
		{"POST", "", "application/json", "https://evil.example", `{}`, 403},
		{"POST", "", "text/plain", origin, `{}`, 415},
		{"POST", "", "application/json", origin, `{"v":1,"state":"AAAA","epk":"x","iv":"y","ct":"z"}`, 400},
		{"POST", "", "application/json", origin, strings.Repeat("x", 20<<10), 413},
		{"OPTIONS", "", "application/json", origin, ``, 405},
		{"GET", "", "", "", ``, 405},
	}
	for _, j := range junk {
		req, _ := http.NewRequest(j.method, origin+"/complete", strings.NewReader(j.body))
		if j.host != "" {
			req.Host = j.host
		}
		if j.ctype != "" {
			req.Header.Set("Content-Type", j.ctype)
		}
		if j.origin != "" {
			req.Header.Set("Origin", j.origin)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != j.want {
			t.Errorf("%s host=%q type=%q origin=%q: %d, want %d", j.method, j.host, j.ctype, j.origin, res.StatusCode, j.want)
		}
	}
	l.stillWaitsThenLogsIn("junk", openOrg, bm)
	if !strings.Contains(l.stderr.String(), "refused a request to the local server") {
		t.Error("--verbose did not report the refused requests")
	}
	// Replay: the listener is closing or answers 410; either way no second result.
	req, _ := http.NewRequest("POST", origin+"/complete", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusGone {
			t.Errorf("replay after success: %d, want 410", res.StatusCode)
		}
	}
}

// TestBrowserLoginCallbackWithoutAnEnvelope opens gdlogin's callback page
// as a stray link would: without an envelope, with one damaged on the way
// (not base64url; bytes that are not ASCII) and with one that reads but
// does not open. Each page says what went wrong and leaves the address bar
// without its fragment; the first three post nothing, the last is refused;
// and the login still finishes with the real envelope.
func TestBrowserLoginCallbackWithoutAnEnvelope(t *testing.T) {
	l := startBrowserLogin(t, orgsim.Options{}, "--verbose")
	openOrg, bm := l.openStartPage()
	origin := strings.SplitN(l.start, "/?", 2)[0]
	for _, c := range []struct {
		name, fragment, want string
		refused              bool
	}{
		{"no fragment", "", "No token arrived with this page.", false},
		{"not base64url", "#%C3%A9t%C3%A9", "The address of this page was damaged on the way.", false},
		{"not ASCII", "#_w", "The address of this page was damaged on the way.", false},
		{"not an envelope", "#" + base64.RawURLEncoding.EncodeToString([]byte(`{"v":1}`)), "The token could not be read", true},
	} {
		before := strings.Count(l.stderr.String(), "refused a request to the local server")
		tab, closeTab := chromedp.NewContext(l.browser.Ctx)
		l.run(tab, chromedp.Navigate(origin+"/callback"+c.fragment))
		if text := waitState(t, tab, "error"); !strings.Contains(text, c.want) {
			t.Errorf("%s: the callback page says %q, want %q", c.name, text, c.want)
		}
		if u := evalString(t, tab, `location.href`); u != origin+"/callback" {
			t.Errorf("%s: the address bar keeps %q", c.name, u)
		}
		closeTab()
		if refused := strings.Count(l.stderr.String(), "refused a request to the local server") > before; refused != c.refused {
			t.Errorf("%s: gdlogin refused a request: %v, want %v\n%s", c.name, refused, c.refused, l.stderr.String())
		}
	}
	l.stillWaitsThenLogsIn("the stray callback pages", openOrg, bm)
}

func TestBrowserLoginTimeout(t *testing.T) {
	l := startBrowserLogin(t, orgsim.Options{}, "--timeout", "3s")
	l.openStartPage()
	if code := l.wait(); code != ExitTimeout {
		t.Fatalf("exit %d, want %d", code, ExitTimeout)
	}
	if !strings.Contains(l.stderr.String(), "error: no token arrived within 3s") {
		t.Errorf("stderr %q", l.stderr.String())
	}
	// The start page learnt why, while the server lingered: gdlogin
	// exits once the final status was delivered, and the page's script
	// applies it a moment later, so wait for it.
	if text := waitState(t, l.browser.Ctx, "error"); !strings.Contains(text, "timed out") {
		t.Errorf("start page: %q", text)
	}
	if h := evalString(t, l.browser.Ctx, `document.querySelector('h1').textContent`); h != "The login did not finish" {
		t.Errorf("start page heading %q", h)
	}
	if l.stdout.Len() != 0 {
		t.Errorf("stdout %q", l.stdout.String())
	}
}

func TestBrowserLoginWrongUser(t *testing.T) {
	l := startBrowserLogin(t, orgsim.Options{}, "--user", "jane.roe")
	openOrg, bm := l.openStartPage()
	l.signIn(openOrg, "john.doe", "demo")
	l.clickAndConfirm(bm)
	text := waitState(t, l.orgTab, "error")
	if !strings.Contains(text, "--user asks for jane.roe") {
		t.Errorf("callback page says %q", text)
	}
	// The login goes on waiting for the right user: the server decided so
	// when it set the status the start page now shows, so gdlogin is still
	// running at that point.
	waitFor(t, "the start page to say the token was not confirmed", func() bool {
		state, text := statusOf(t, l.browser.Ctx)
		return state == "waiting" && strings.Contains(text, "did not confirm")
	})
	select {
	case code := <-l.done:
		l.ended, l.code = true, code
		t.Fatalf("gdlogin ended with %d on a wrong user", code)
	default:
	}
	if !strings.Contains(l.stderr.String(), "did not confirm that token") {
		t.Errorf("stderr %q", l.stderr.String())
	}
	// Ctrl-C ends it: exit 130, the page says so, the listener closes.
	l.cancel()
	if code := l.wait(); code != ExitCancelled {
		t.Fatalf("exit %d after cancel, want %d", code, ExitCancelled)
	}
	if text := waitState(t, l.browser.Ctx, "error"); !strings.Contains(text, "cancelled") {
		t.Errorf("start page after cancel: %q", text)
	}
	if !strings.Contains(l.stderr.String(), "error: cancelled") {
		t.Errorf("stderr %q", l.stderr.String())
	}
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(strings.SplitN(l.start, "/?", 2)[0], "http://"), time.Second); err == nil {
		c.Close()
		t.Error("the listener still accepts connections after the login ended")
	}
}

// TestBrowserLoginListenerIsLoopbackOnly reads the socket gdlogin listens
// on while it waits: 127.0.0.1, never a wildcard address.
func TestBrowserLoginListenerIsLoopbackOnly(t *testing.T) {
	l := startBrowserLogin(t, orgsim.Options{})
	u, _ := url.Parse(l.start)
	if u.Hostname() != "127.0.0.1" {
		t.Fatalf("start URL host %q", u.Hostname())
	}
	port := u.Port()
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Skip("no /proc/net/tcp on this system")
	}
	p, _ := strconv.Atoi(port)
	want := fmt.Sprintf(":%04X", p)
	found := false
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasSuffix(f[1], want) || f[3] != "0A" { // 0A: LISTEN
			continue
		}
		found = true
		if f[1] != "0100007F"+want {
			t.Errorf("listening on %s, want 127.0.0.1 (0100007F)", f[1])
		}
	}
	if !found {
		t.Fatalf("no listening socket on port %s", port)
	}
	if data6, err := os.ReadFile("/proc/net/tcp6"); err == nil && strings.Contains(string(data6), want+" 00000000000000000000000000000000:0000 0A") {
		t.Error("also listening on an IPv6 address")
	}
	l.cancel()
}

// TestDemoInTheBrowser runs `gdlogin demo` as a newcomer would: the start
// page, the emulated organization's prefilled sign-in, the button of the
// script the emulated organization has installed, and the token.
func TestDemoInTheBrowser(t *testing.T) {
	browsertest.Require(t)
	env, out, _ := testEnv("", nil)
	errb := &syncBuffer{}
	env.Stderr = errb
	opened := make(chan string, 1)
	env.OpenBrowser = func(u, _ string) error { opened <- u; return nil }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"demo"}, env) }()
	var start string
	select {
	case start = <-opened:
	case <-time.After(20 * time.Second):
		t.Fatalf("demo opened nothing: %s", errb.String())
	}
	orgURL := regexp.MustCompile(`at (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(errb.String())
	if orgURL == nil {
		t.Fatalf("demo did not say where the organization is: %s", errb.String())
	}
	b := browsertest.New(t, browsertest.Options{PublicHosts: []string{hostOf(orgURL[1])}})
	l := &browserLogin{t: t, browser: b, start: start}
	openOrg, _ := l.openStartPage()
	tab, _ := chromedp.NewContext(b.Ctx)
	l.run(tab, chromedp.Navigate(openOrg), chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-form"]`)))
	if user := evalString(t, tab, `document.querySelector('[data-testid="login-username"]').value`); user != "john.doe" {
		t.Fatalf("the sign-in form is not prefilled: %q", user)
	}
	l.run(tab, chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-in-user"]`)))
	// The page asks with the terminal's confirmation code; one click both
	// confirms it and sends the token.
	l.run(tab, chromedp.WaitVisible(chromedp.CSS(`[data-testid="gdlogin-confirm"]`)))
	code := regexp.MustCompile(`(?m)^Confirmation code: ([A-Z2-7]{6})$`).FindStringSubmatch(errb.String())
	if code == nil || evalString(t, tab, `document.querySelector('[data-testid="gdlogin-code"]').textContent`) != code[1] {
		t.Fatalf("the page's code does not match the terminal's %q", code)
	}
	l.run(tab, chromedp.Click(chromedp.CSS(`[data-testid="gdlogin-confirm"]`)))
	waitState(t, tab, "success")
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not end")
	}
	tok := strings.TrimSpace(out.String())
	if tok == "" || strings.Contains(tok, "\n") {
		t.Fatalf("stdout %q", out.String())
	}
	for _, want := range []string{"Started the emulated organization", "Logged in to Example Analytics", "John Doe (john.doe)"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	assertNoSecret(t, "stderr", errb.String(), tok)
}

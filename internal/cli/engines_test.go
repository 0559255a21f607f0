package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/browsertest"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/internal/testca"
	"github.com/gdlogin/gdlogin/static"
)

// The browser login of SPEC section 3, end to end, in each engine
// (Chromium, Firefox, WebKit): every scenario of engineScenarios runs in a
// fresh tab of one browser per engine, against an emulated organization of
// its own (a fresh origin: its own session and localStorage), and ends with
// the verified token on gdlogin's stdout. After the last scenario the
// browser closes and its profile directory is searched for every token it
// handled.
//
// A bookmark click is what the engine does for a user's click: a
// browser-initiated navigation to the javascript: URL, under the
// organization's CSP (browsertest.Tab.RunBookmark). The console snippet is
// evaluated in the page's main world by the driver, which is, like the real
// DevTools console, outside the page's CSP.

// engineScenario is one row of the table.
type engineScenario struct {
	name string
	// csp of the scenario's organization, per engine.
	csp func(engine string) orgsim.CSP
	run func(s *engineLogin) string // returns the verified token
}

func strictCSP(string) orgsim.CSP { return orgsim.CSPStrict }

var engineScenarios = []engineScenario{
	{"bookmark", strictCSP, (*engineLogin).bookmarkScenario},
	{"bookmark/csp=unsafe-inline", func(string) orgsim.CSP { return orgsim.CSPUnsafeInline }, (*engineLogin).bookmarkScenario},
	{"bookmark/csp=none", func(string) orgsim.CSP { return orgsim.CSPNone }, (*engineLogin).bookmarkScenario},
	{"snippet", strictCSP, (*engineLogin).snippetScenario},
	{"prompt", promptCSP, (*engineLogin).promptScenario},
	{"paste-mode", strictCSP, (*engineLogin).pasteScenario},
	// A returning user (engines_returning_test.go).
	{"returning", strictCSP, (*engineLogin).returningScenario},
	{"returning/csp=unsafe-inline", func(string) orgsim.CSP { return orgsim.CSPUnsafeInline }, (*engineLogin).returningScenario},
	{"returning/after-snippet", strictCSP, (*engineLogin).returningAfterSnippetScenario},
	// The organization on https://analytics.example.com:PORT, its
	// certificate signed by a private CA (httpsScenario).
	{"https/bookmark", strictCSP, (*engineLogin).bookmarkScenario},
	{"https/snippet", strictCSP, (*engineLogin).snippetScenario},
	{"https/prompt", promptCSP, (*engineLogin).promptScenario},
	{"https/paste-mode", strictCSP, (*engineLogin).pasteScenario},
}

// promptCSP: the prompt comes from the bookmark, which WebKit runs only
// where the page's CSP allows inline scripts.
func promptCSP(e string) orgsim.CSP {
	if e == browsertest.WebKit {
		return orgsim.CSPUnsafeInline
	}
	return orgsim.CSPStrict
}

// bookmarkRefused says where an engine refuses a bookmark: WebKit checks a
// javascript: URL against script-src, and a strict policy has no
// 'unsafe-inline'. Chromium and Firefox run bookmarks under any CSP.
func bookmarkRefused(engine string, csp orgsim.CSP) bool {
	return engine == browsertest.WebKit && csp == orgsim.CSPStrict
}

func TestBrowserEngines(t *testing.T) {
	for _, name := range browsertest.EngineNames {
		t.Run(name, func(t *testing.T) {
			browsertest.RequireEngine(t, name)
			orgs := make([]*orgsim.Server, len(engineScenarios))
			var hosts []string
			ca := testca.ForTest(t)
			for i, sc := range engineScenarios {
				orgs[i] = startOrg(t, httpsOptions(sc, orgsim.Options{CSP: sc.csp(name)}, ca))
				hosts = append(hosts, orgs[i].Addr())
			}
			e := browsertest.StartEngine(t, name, browsertest.EngineOptions{PublicHosts: hosts, Hosts: []string{testca.Host}, CAFile: ca.CAFile})
			t.Logf("engine: %s", e.Version())
			var (
				mu       sync.Mutex
				tokens   []string
				outcomes []string
			)
			for i, sc := range engineScenarios {
				csp := sc.csp(name)
				ok := t.Run(sc.name, func(t *testing.T) {
					s := &engineLogin{t: t, engine: e, org: orgs[i], csp: csp}
					if httpsScenario(sc) {
						s.caFile = ca.CAFile
					}
					token := sc.run(s)
					if p := orgProfileOf(t, s.org, s.caFile, token); p.UserID != "john.doe" {
						t.Fatalf("the token on stdout belongs to %s", p.UserID)
					}
					mu.Lock()
					tokens = append(tokens, token)
					tokens = append(tokens, s.earlier...)
					outcomes = append(outcomes, sc.name+" (csp "+cspName(csp)+"): "+strings.Join(s.outcome, "; ")+"; token on stdout")
					mu.Unlock()
				})
				if !ok {
					mu.Lock()
					outcomes = append(outcomes, sc.name+" (csp "+cspName(csp)+"): FAILED")
					mu.Unlock()
				}
			}
			e.Close()
			assertTokensNotInDir(t, e.ProfileDir(), tokens)
			t.Logf("%s, outcomes:\n  %s", e.Version(), strings.Join(outcomes, "\n  "))
		})
	}
}

func cspName(c orgsim.CSP) string {
	if c == orgsim.CSPStrict {
		return "strict"
	}
	return string(c)
}

// engineLogin is one `gdlogin login` in one engine against one
// organization.
type engineLogin struct {
	t      *testing.T
	engine browsertest.Engine
	org    *orgsim.Server
	csp    orgsim.CSP
	// caFile is the organization's private CA, passed as --ca-cert (https
	// scenarios).
	caFile string

	start    string            // the start page URL gdlogin "opened" (or, for a returning user, the organization's)
	vars     map[string]string // the environment of every login of the scenario: one config dir
	earlier  []string          // the tokens of the scenario's earlier logins, for the profile search
	done     chan int
	stdout   *bytes.Buffer
	stderr   *syncBuffer
	startTab browsertest.Tab
	orgTab   browsertest.Tab
	outcome  []string // what happened, for the support matrix
	feed     *io.PipeWriter
	// stdoutClosed is closed when gdlogin closes its stdout (what a
	// TOKEN=$(gdlogin …) capture waits for).
	stdoutClosed chan struct{}
}

func (s *engineLogin) note(format string, args ...any) {
	s.outcome = append(s.outcome, fmt.Sprintf(format, args...))
}

// launch runs gdlogin login against the organization in the background,
// until it "opens" the start page (or, in paste mode, prints its
// instructions).
func (s *engineLogin) launch(paste bool, args ...string) {
	t := s.t
	t.Helper()
	if s.vars == nil {
		s.vars = isolated(t, nil)
	}
	env, out, _ := testEnv("", s.vars)
	s.stderr = &syncBuffer{}
	env.Stderr = s.stderr
	s.stdout = out
	stdoutClosed := make(chan struct{})
	s.stdoutClosed = stdoutClosed
	var closeOnce sync.Once
	env.CloseStdout = func() error { closeOnce.Do(func() { close(stdoutClosed) }); return nil }
	opened := make(chan string, 1)
	env.OpenBrowser = func(u, _ string) error { opened <- u; return nil }
	if paste {
		r, w := io.Pipe()
		env.Stdin, s.feed = r, w
		t.Cleanup(func() { w.Close() })
	}
	ctx, cancel := context.WithCancel(context.Background())
	// Each login has its own channel: a scenario may launch several.
	done := make(chan int, 1)
	s.done = done
	all := append([]string{"login", s.org.URL(), "--timeout", "90s"}, args...)
	if s.caFile != "" {
		all = append(all, "--ca-cert", s.caFile)
	}
	go func() { done <- Run(ctx, all, env) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}
		if t.Failed() {
			t.Logf("gdlogin stderr:\n%s", s.stderr.String())
		}
	})
	if paste {
		return
	}
	select {
	case s.start = <-opened:
	case code := <-s.done:
		t.Fatalf("gdlogin ended before opening a browser: exit %d\n%s", code, s.stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatal("gdlogin did not open a browser")
	}
}

// wait returns gdlogin's exit code.
func (s *engineLogin) wait() int {
	s.t.Helper()
	select {
	case code := <-s.done:
		s.done <- code
		return code
	case <-time.After(60 * time.Second):
		s.t.Fatal("gdlogin did not end")
		return 0
	}
}

// openStartPage loads the start page in a tab of its own, checks its live
// status, and returns the open-org link, the bookmark, the snippet and the
// way the page leads with ("bookmark" or "snippet").
func (s *engineLogin) openStartPage() (openOrg, bookmark, snippet, way string) {
	t := s.t
	t.Helper()
	s.startTab = s.engine.NewTab(t)
	s.startTab.Navigate(s.start)
	browsertest.WaitVisible(t, s.startTab, "status")
	if state, text := browsertest.Status(t, s.startTab); state != "waiting" || text == "" {
		t.Fatalf("start page status %s %q, want waiting", state, text)
	}
	openOrg = browsertest.Attr(t, s.startTab, "open-org", "href")
	bookmark = browsertest.Attr(t, s.startTab, "bookmarklet", "href")
	snippet = browsertest.Text(t, s.startTab, "snippet")
	way = browsertest.Attr(t, s.startTab, "run-step", "data-way")
	if !strings.HasPrefix(openOrg, s.org.URL()+"/appLogin?redirectTo=/%23gdlogin%3D") || !strings.HasPrefix(bookmark, "javascript:") || !strings.Contains(snippet, "(async") {
		t.Fatalf("start page: open-org %q, bookmark %.40q, snippet %.40q", openOrg, bookmark, snippet)
	}
	// The page leads with what runs in this browser.
	want := "bookmark"
	if s.engine.Name() == browsertest.WebKit {
		want = "snippet"
	}
	if way != want {
		t.Errorf("the start page leads with the %s in %s, want the %s", way, s.engine.Name(), want)
	}
	return openOrg, bookmark, snippet, way
}

// signIn opens u in the organization's tab (opening the tab first) and
// signs in through the emulator's form when it asks.
func (s *engineLogin) signIn(u string) {
	t := s.t
	t.Helper()
	if s.orgTab == nil {
		s.orgTab = s.engine.NewTab(t)
	}
	s.orgTab.Navigate(u)
	browsertest.Wait(t, s.orgTab, "the sign-in form or the home page", `document.querySelector('[data-testid="login-form"], [data-testid="signed-in-user"]')`, 0)
	if browsertest.MustEval(t, s.orgTab, `!!document.querySelector('[data-testid="login-form"]')`) == "true" {
		browsertest.SetValue(t, s.orgTab, "login-username", "john.doe")
		browsertest.SetValue(t, s.orgTab, "login-password", "demo")
		browsertest.Click(t, s.orgTab, "login-submit")
	}
	browsertest.WaitVisible(t, s.orgTab, "signed-in-user")
}

// watchCSP makes the organization's page record the CSP violations it
// sees (test instrumentation only; the page's own policy is unchanged).
func (s *engineLogin) watchCSP() {
	s.t.Helper()
	browsertest.MustEval(s.t, s.orgTab, `(() => { window.__gdloginViolations = []; document.addEventListener("securitypolicyviolation", (e) => __gdloginViolations.push(e.violatedDirective)); return ""; })()`)
}

// clickBookmark clicks the bookmark on the organization's tab and waits
// for its outcome: the handoff script started (its panel, or the tab left
// the organization), or the engine refused it under the page's CSP (a
// securitypolicyviolation). It reports whether the script ran, and checks
// it against what the engine is known to do.
func (s *engineLogin) clickBookmark(bookmark string) bool {
	t := s.t
	t.Helper()
	s.watchCSP()
	s.orgTab.RunBookmark(bookmark)
	origin := jsQuote(s.org.URL())
	browsertest.Wait(t, s.orgTab, "the bookmark to run or be refused",
		`location.origin != `+origin+` || [...document.querySelectorAll('[role=status]')].some((e) => e.textContent.startsWith("gdlogin:")) || window.__gdloginViolations?.length`, 0)
	v, _ := s.orgTab.Eval(`location.origin == ` + origin + ` && window.__gdloginViolations?.length ? "refused: " + __gdloginViolations.join() : "ran"`)
	refused := strings.HasPrefix(v, "refused")
	if refused != bookmarkRefused(s.engine.Name(), s.csp) {
		t.Fatalf("%s under csp %s: the bookmark %s", s.engine.Name(), cspName(s.csp), v)
	}
	if refused {
		s.note("bookmark refused by the CSP (%s violation)", strings.TrimPrefix(v, "refused: "))
		// Nothing happened: no API call, the login still waits.
		for _, r := range s.org.Requests() {
			if strings.Contains(r.Path, "/api/") {
				t.Fatalf("a refused bookmark called the API: %v", r)
			}
		}
		if s.startTab != nil {
			if state, _ := browsertest.Status(t, s.startTab); state != "waiting" {
				t.Fatalf("the start page says %s after a refused bookmark", state)
			}
		}
		return false
	}
	s.note("bookmark ran")
	return true
}

// confirmIfAsked confirms the pairing when the handoff script asks first
// (SPEC 3.11: a pairing whose installation this browser does not trust
// yet shows [data-testid=gdlogin-confirm] before any API call), and says
// whether it asked; it returns false as soon as the handoff went on
// without asking.
func (s *engineLogin) confirmIfAsked() bool {
	t := s.t
	t.Helper()
	origin := jsQuote(s.org.URL())
	browsertest.Wait(t, s.orgTab, "the confirmation or the handoff",
		`document.querySelector('[data-testid="gdlogin-confirm"], [data-testid="gdlogin-envelope"]') || location.origin != `+origin, 0)
	if browsertest.MustEval(t, s.orgTab, `location.origin == `+origin+` && !!document.querySelector('[data-testid="gdlogin-confirm"]')`) != "true" {
		return false
	}
	code := browsertest.Text(t, s.orgTab, "gdlogin-code")
	browsertest.Click(t, s.orgTab, "gdlogin-confirm")
	s.note("confirmation asked (code %s)", code)
	return true
}

// finishInBrowser waits for gdlogin to close its stdout with the token
// on it, then for the callback page and the start page to say success:
// the terminal finishes first, and the pages still show the outcome. It
// returns gdlogin's stdout.
func (s *engineLogin) finishInBrowser() string {
	t := s.t
	t.Helper()
	select {
	case <-s.stdoutClosed:
	case code := <-s.done:
		// Both may be ready: gdlogin ends at once when no start page
		// waits for the outcome (a returning user's login).
		select {
		case <-s.stdoutClosed:
			s.done <- code
		default:
			t.Fatalf("gdlogin ended (exit %d) without closing its stdout first", code)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("gdlogin did not close its stdout")
	}
	if strings.TrimSpace(s.stdout.String()) == "" {
		t.Fatal("gdlogin closed its stdout before writing the token")
	}
	text := browsertest.WaitState(t, s.orgTab, "success")
	if !strings.Contains(text, "John Doe (john.doe)") {
		t.Errorf("callback page says %q", text)
	}
	if u := browsertest.Location(t, s.orgTab); !strings.HasPrefix(u, "http://127.0.0.1:") || strings.Contains(u, "#") {
		t.Errorf("callback page address %s (the fragment must be gone)", u)
	} else if strings.HasPrefix(s.org.URL(), "https://") {
		s.note("the https page navigated to the http://127.0.0.1 callback")
	}
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if s.startTab != nil {
		if text := browsertest.WaitState(t, s.startTab, "success"); !strings.Contains(text, "John Doe (john.doe)") {
			t.Errorf("start page says %q", text)
		}
	}
	assertNoSecret(t, "stderr", s.stderr.String(), strings.TrimSpace(s.stdout.String()))
	return s.stdout.String()
}

// bookmarkScenario: the start page, the open-org link with the pairing in
// its fragment, sign-in, the bookmark; where the engine refuses it, the
// way the start page leads with there (the snippet).
func (s *engineLogin) bookmarkScenario() string {
	t := s.t
	s.launch(false, "--output", "token")
	openOrg, bookmark, snippet, way := s.openStartPage()
	s.signIn(openOrg)
	if h := browsertest.MustEval(t, s.orgTab, `location.hash`); !strings.HasPrefix(h, "#gdlogin=") {
		t.Fatalf("the fragment did not survive the sign-in: %q", h)
	}
	if !s.clickBookmark(bookmark) {
		if way != "snippet" {
			t.Fatalf("the bookmark was refused, and the start page leads with the %s", way)
		}
		s.orgTab.Console(snippet)
		s.note("the start page's lead, the console snippet, ran")
	}
	s.confirmIfAsked()
	return strings.TrimSpace(s.finishInBrowser())
}

// snippetScenario: the console snippet on a plain organization tab,
// without the pairing in its address.
func (s *engineLogin) snippetScenario() string {
	t := s.t
	s.launch(false, "--output", "json")
	_, _, snippet, _ := s.openStartPage()
	s.signIn(s.org.URL() + "/")
	s.watchCSP()
	s.orgTab.Console(snippet)
	s.note("console snippet ran")
	s.confirmIfAsked()
	out := s.finishInBrowser()
	var r struct {
		Token  string `json:"token"`
		UserID string `json:"userId"`
		Method string `json:"method"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.UserID != "john.doe" || r.Method != "browser" || r.Token == "" {
		t.Fatalf("stdout %q: %v", out, err)
	}
	return r.Token
}

// promptScenario: single sign-on lost the fragment; the bookmark asks for
// the pairing code, and the user pastes the one the start page shows.
func (s *engineLogin) promptScenario() string {
	t := s.t
	s.launch(false, "--output", "token")
	_, bookmark, _, _ := s.openStartPage()
	pairing := browsertest.Text(t, s.startTab, "pairing")
	// The sign-in form's POST loses a plain fragment.
	s.signIn(s.org.URL() + "/#gdlogin=" + pairing)
	if h := browsertest.MustEval(t, s.orgTab, `location.hash`); h != "" {
		t.Fatalf("the fragment survived the sign-in (%q); this scenario needs it lost", h)
	}
	s.orgTab.AnswerPrompts(pairing)
	if !s.clickBookmark(bookmark) {
		t.Fatal("the bookmark was refused where it must run")
	}
	s.confirmIfAsked()
	token := strings.TrimSpace(s.finishInBrowser())
	if p := s.orgTab.Prompts(); len(p) != 1 || p[0] != "gdlogin pairing code (start page):" {
		t.Fatalf("prompts %q, want the one asking for the pairing code", p)
	}
	s.note("prompt answered with the pairing code")
	return token
}

var (
	pasteLink    = regexp.MustCompile(`(?m)^\s+(https?://[a-z0-9.]+:\d+/appLogin\?redirectTo=\S+)$`)
	pasteCode    = regexp.MustCompile(`(?m)^Confirmation code: ([A-Z2-7]{6})$`)
	pasteSnippet = regexp.MustCompile(`(?s)paste this snippet \(for this login only\):\n\n(.*?)\n\n3\. `)
)

// pasteScenario: --remote, following only what gdlogin prints: the link,
// the bookmark (or, where the engine refuses it, the printed snippet), the
// confirmation code, and the envelope pasted back through stdin.
func (s *engineLogin) pasteScenario() string {
	t := s.t
	s.launch(true, "--remote", "--output", "token")
	var link, code, snippet string
	deadline := time.Now().Add(20 * time.Second)
	for {
		out := s.stderr.String()
		if m := pasteLink.FindStringSubmatch(out); m != nil {
			link = m[1]
		}
		if m := pasteCode.FindStringSubmatch(out); m != nil {
			code = m[1]
		}
		if m := pasteSnippet.FindStringSubmatch(out); m != nil {
			snippet = m[1]
		}
		if link != "" && code != "" && snippet != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no paste-mode instructions:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(s.stderr.String(), `Settings → Advanced → "Show features for web`) || !strings.Contains(s.stderr.String(), "Develop → Show JavaScript Console") {
		t.Error("the paste-mode instructions do not say how to open Safari's console")
	}
	s.signIn(link)
	if !s.clickBookmark(static.Bookmarklet()) {
		s.orgTab.Console(snippet)
		s.note("the printed console snippet ran")
	}
	s.confirmIfAsked()
	browsertest.WaitVisible(t, s.orgTab, "gdlogin-envelope")
	if got := browsertest.Text(t, s.orgTab, "gdlogin-code"); got != code {
		t.Fatalf("the page shows confirmation code %q, the terminal %q", got, code)
	}
	envelope := browsertest.Value(t, s.orgTab, "gdlogin-envelope")
	if _, err := io.WriteString(s.feed, envelope+"\n"); err != nil {
		t.Fatal(err)
	}
	if c := s.wait(); c != 0 {
		t.Fatalf("exit %d", c)
	}
	s.note("envelope pasted")
	token := strings.TrimSpace(s.stdout.String())
	assertNoSecret(t, "stderr", s.stderr.String(), token)
	return token
}

// assertTokensNotInDir searches every file under dir (an engine's profile,
// home and cache, after it closed) for the tokens, in the forms a browser
// could keep them.
func assertTokensNotInDir(t *testing.T, dir string, tokens []string) {
	t.Helper()
	var files int
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		files++
		for _, token := range tokens {
			for _, form := range []string{token, url.QueryEscape(token), url.PathEscape(token)} {
				if bytes.Contains(data, []byte(form)) {
					t.Errorf("a token is in the browser's file %s (%q)", p, regexp.MustCompile(`[a-zA-Z,~=]*:https?://[\x21-\x7e]+`).FindAll(data, 3))
				}
			}
		}
		return nil
	})
	if err != nil || files == 0 {
		t.Fatalf("walked %d files of the profile %s: %v", files, dir, err)
	}
	t.Logf("searched %d files of the browser's profile for %d tokens", files, len(tokens))
}

func jsQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

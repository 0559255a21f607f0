package browsertest

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Engine is one running browser of one engine (Chromium, Firefox or WebKit)
// with a profile of its own, driven the way a user drives it: tabs that
// load pages, bookmarks that are clicked, a console that code is pasted
// into, prompts that are answered. Every browser scenario runs in each
// engine through this interface.
type Engine interface {
	// Name is "chromium", "firefox" or "webkit".
	Name() string
	// Version is the browser's own product and version, e.g.
	// "Firefox 153.8.0esr".
	Version() string
	// NewTab opens a blank tab; its failures end t.
	NewTab(t testing.TB) Tab
	// ProfileDir holds everything the browser keeps on disk: its profile,
	// and its home, cache and data directories.
	ProfileDir() string
	// Close ends the browser, which flushes what it keeps on disk. It is
	// safe to call more than once and runs at the end of the test.
	Close()
}

// Tab is one top-level browsing context. Its methods end the test on a
// driver failure, except Eval, whose error a poll may wait out (a page in
// the middle of a navigation has no document to evaluate in).
type Tab interface {
	// Navigate loads u as a new document and waits for its load event.
	Navigate(u string)
	// RunBookmark is a click on a bookmark whose address is javascriptURL:
	// a browser-initiated navigation of the tab to that javascript: URL,
	// which the engine checks against the page's Content-Security-Policy
	// exactly as it does for a user's bookmark. It returns once the
	// navigation was handed to the browser, without waiting for the script.
	RunBookmark(javascriptURL string)
	// Console runs code as the DevTools console does: in the page's main
	// world, outside its Content-Security-Policy, without waiting for a
	// promise it returns.
	Console(code string)
	// Eval evaluates a JavaScript expression in the page's main world and
	// returns String(value).
	Eval(expr string) (string, error)
	// AnswerPrompts makes every window.prompt() of this tab from now on be
	// answered with answer and accepted, as a user who pastes answer and
	// presses OK; Prompts reports the messages of the prompts answered.
	AnswerPrompts(answer string)
	Prompts() []string
	// Close closes the tab.
	Close()
}

// Engine names, in the order the suites run them.
const (
	Chromium = "chromium"
	Firefox  = "firefox"
	WebKit   = "webkit"
)

// EngineNames are the engines every browser scenario runs in.
var EngineNames = []string{Chromium, Firefox, WebKit}

// EngineOptions describe the browser a test needs, whatever its engine.
type EngineOptions struct {
	// PublicHosts are host:port pairs (the emulated organization's
	// 127.0.0.1:PORT) that the engine treats as public internet addresses
	// where it has Local Network Access rules (Chromium, Firefox).
	PublicHosts []string
	// Hosts are host names (the https organization's analytics.example.com)
	// that the engine resolves to 127.0.0.1, and CAFile is a PEM
	// certificate authority it trusts the way its users add a corporate
	// CA (network.go).
	Hosts  []string
	CAFile string
	// Timeout bounds each driver command and the whole Chromium session;
	// zero means 3 minutes for the session and 30 seconds a command.
	Timeout time.Duration
}

// RequireEngine checks that the engine's browser and driver are installed
// and ends the test when they are not: a skip locally, a failure under CI.
func RequireEngine(t testing.TB, name string) {
	t.Helper()
	var err error
	switch name {
	case Chromium:
		if ExecPath() == "" {
			err = errors.New("no Chromium found (looked at $GDLOGIN_CHROMIUM, /usr/bin/chromium, PATH); install it: apt-get install -y chromium")
		}
	case Firefox:
		_, err = firefoxPath()
	case WebKit:
		_, _, _, err = webkitPaths()
	default:
		t.Fatalf("unknown engine %q", name)
	}
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v; CI must install it (.ci/run does, through scripts/install-test-tools)", err)
	}
	t.Skipf("%v; the %s tests are skipped", err, name)
}

// StartEngine starts a fresh browser of the named engine, skipping or
// failing the test as RequireEngine does when it is missing. The browser
// is closed when the test ends.
func StartEngine(t testing.TB, name string, o EngineOptions) Engine {
	t.Helper()
	RequireEngine(t, name)
	switch name {
	case Chromium:
		return startChromium(t, o)
	case Firefox:
		return startFirefox(t, o)
	default:
		return startWebKit(t, o)
	}
}

// Hooks: what every scenario reads from a page, written once over Eval.

// sel is the CSS selector of a data-testid hook.
func sel(testid string) string { return `[data-testid="` + testid + `"]` }

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string { return strconv.Quote(s) }

// MustEval evaluates expr and ends the test on an error.
func MustEval(t testing.TB, tab Tab, expr string) string {
	t.Helper()
	v, err := tab.Eval(expr)
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// Text is the trimmed textContent of the [data-testid] element, "" when
// there is none.
func Text(t testing.TB, tab Tab, testid string) string {
	t.Helper()
	return MustEval(t, tab, `(document.querySelector(`+jsString(sel(testid))+`)?.textContent ?? "").trim()`)
}

// Attr is an attribute of the [data-testid] element.
func Attr(t testing.TB, tab Tab, testid, name string) string {
	t.Helper()
	return MustEval(t, tab, `document.querySelector(`+jsString(sel(testid))+`)?.getAttribute(`+jsString(name)+`) ?? ""`)
}

// Value is the value property of the [data-testid] form field.
func Value(t testing.TB, tab Tab, testid string) string {
	t.Helper()
	return MustEval(t, tab, `document.querySelector(`+jsString(sel(testid))+`)?.value ?? ""`)
}

// SetValue sets the value of the [data-testid] form field.
func SetValue(t testing.TB, tab Tab, testid, value string) {
	t.Helper()
	if got := MustEval(t, tab, `(() => { const e = document.querySelector(`+jsString(sel(testid))+`); if (!e) return "missing"; e.value = `+jsString(value)+`; return "ok"; })()`); got != "ok" {
		t.Fatalf("set %s: %s", sel(testid), got)
	}
}

// Click clicks the [data-testid] element (its click() activation, which
// submits a form or follows a link as a pointer click does).
func Click(t testing.TB, tab Tab, testid string) {
	t.Helper()
	if got := MustEval(t, tab, `(() => { const e = document.querySelector(`+jsString(sel(testid))+`); if (!e) return "missing"; setTimeout(() => e.click()); return "ok"; })()`); got != "ok" {
		t.Fatalf("click %s: %s", sel(testid), got)
	}
}

// Location is the tab's address.
func Location(t testing.TB, tab Tab) string {
	t.Helper()
	return MustEval(t, tab, `location.href`)
}

// Status reads gdlogin's [data-testid=status]: data-state and the text.
func Status(t testing.TB, tab Tab) (state, text string) {
	t.Helper()
	s := MustEval(t, tab, `(() => { const e = document.querySelector('[data-testid="status"]'); return e ? e.dataset.state + "|" + e.textContent.replace(/\s+/g, " ").trim() : "none|"; })()`)
	state, text, _ = strings.Cut(s, "|")
	return state, text
}

// Wait polls the expression until it evaluates to "true", waiting out
// evaluation errors of a tab in the middle of a navigation, and ends the
// test after timeout (zero: 30 seconds) with what.
func Wait(t testing.TB, tab Tab, what, expr string, timeout time.Duration) {
	t.Helper()
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	deadline := time.Now().Add(timeout)
	var last string
	var lastErr error
	for {
		v, err := tab.Eval(`Boolean(` + expr + `)`)
		if err == nil && v == "true" {
			return
		}
		last, lastErr = v, err
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s (last %q, %v)", what, last, lastErr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitVisible waits for the [data-testid] element to be in the document.
func WaitVisible(t testing.TB, tab Tab, testid string) {
	t.Helper()
	Wait(t, tab, sel(testid), `document.readyState != "loading" && document.querySelector(`+jsString(sel(testid))+`)`, 0)
}

// WaitState waits until the tab's gdlogin status shows state, and returns
// its text.
func WaitState(t testing.TB, tab Tab, state string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, err := tab.Eval(`(() => { const e = document.querySelector('[data-testid="status"]'); return e ? e.dataset.state + "|" + e.textContent.replace(/\s+/g, " ").trim() : "none|"; })()`)
		if err == nil {
			got, text, _ := strings.Cut(v, "|")
			if got == state {
				return text
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the status stayed %q (%v), want %s", v, err, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// describe is a short form of a driver answer for error messages.
func describe(b []byte) string {
	s := string(b)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return fmt.Sprintf("%q", s)
}

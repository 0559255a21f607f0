package browsertest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// firefoxPath finds Firefox: $GDLOGIN_FIREFOX, or firefox-esr or firefox
// on PATH.
func firefoxPath() (string, error) {
	if p := os.Getenv("GDLOGIN_FIREFOX"); p != "" {
		return p, nil
	}
	for _, name := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Firefox found (looked at $GDLOGIN_FIREFOX, firefox-esr and firefox on PATH); install it: apt-get install -y firefox-esr")
}

// firefoxPrefs keep a test browser quiet and predictable: no first-run
// pages, no telemetry, updates or background connections to Mozilla.
var firefoxPrefs = map[string]any{
	"app.normandy.enabled":                          false,
	"app.update.auto":                               false,
	"app.update.enabled":                            false,
	"browser.aboutwelcome.enabled":                  false,
	"browser.newtabpage.enabled":                    false,
	"browser.ping-centre.telemetry":                 false,
	"browser.safebrowsing.blockedURIs.enabled":      false,
	"browser.safebrowsing.downloads.enabled":        false,
	"browser.safebrowsing.malware.enabled":          false,
	"browser.safebrowsing.phishing.enabled":         false,
	"browser.search.update":                         false,
	"browser.shell.checkDefaultBrowser":             false,
	"browser.startup.homepage_override.mstone":      "ignore",
	"browser.startup.page":                          0,
	"browser.tabs.warnOnClose":                      false,
	"datareporting.healthreport.uploadEnabled":      false,
	"datareporting.policy.dataSubmissionEnabled":    false,
	"extensions.update.enabled":                     false,
	"network.captive-portal-service.enabled":        false,
	"network.connectivity-service.enabled":          false,
	"network.dns.disablePrefetch":                   true,
	"network.prefetch-next":                         false,
	"services.settings.server":                      "data:,#remote-settings-dummy/v1",
	"toolkit.telemetry.enabled":                     false,
	"toolkit.telemetry.server":                      "",
	"toolkit.telemetry.unified":                     false,
	"toolkit.startup.max_resumed_crashes":           -1,
	"browser.sessionstore.resume_from_crash":        false,
	"browser.region.network.url":                    "",
	"browser.topsites.contile.enabled":              false,
	"extensions.getAddons.cache.enabled":            false,
	"media.gmp-manager.url":                         "",
	"network.lna.address_space.public.override":     "",
	"remote.prefs.recommended":                      true,
	"dom.disable_open_during_load":                  false,
	"browser.contentblocking.introCount":            99,
	"browser.uitour.enabled":                        false,
	"trailhead.firstrun.didSeeAboutWelcome":         true,
	"browser.urlbar.suggest.quicksuggest.sponsored": false,
}

var firefoxListening = regexp.MustCompile(`WebDriver BiDi listening on (ws://127\.0\.0\.1:\d+)`)

// firefoxEngine is headless Firefox driven over WebDriver BiDi, which it
// speaks natively on --remote-debugging-port.
type firefoxEngine struct {
	dir     string
	cmd     *exec.Cmd
	exited  chan struct{}
	conn    *bidiConn
	version string
	timeout time.Duration

	mu   sync.Mutex
	tabs map[string]*firefoxTab // by browsing context id

	closeOnce sync.Once
}

func startFirefox(t testing.TB, o EngineOptions) Engine {
	t.Helper()
	path, err := firefoxPath()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	profile := filepath.Join(root, "profile")
	home := filepath.Join(root, "home")
	for _, d := range []string{profile, home} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	all := map[string]any{}
	for name, value := range firefoxPrefs {
		all[name] = value
	}
	all["network.lna.address_space.public.override"] = strings.Join(o.PublicHosts, ",")
	firefoxNetwork(t, o, profile, all)
	var prefs strings.Builder
	for name, value := range all {
		v, _ := json.Marshal(value)
		fmt.Fprintf(&prefs, "user_pref(%q, %s);\n", name, v)
	}
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(prefs.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "--headless", "--no-remote", "--remote-debugging-port", "0", "-profile", profile, "about:blank")
	cmd.Env = append(os.Environ(), engineEnv(root)...)
	cmd.Env = append(cmd.Env, "MOZ_CRASHREPORTER_DISABLE=1", "MOZ_DISABLE_AUTO_SAFE_MODE=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Firefox %s: %v", path, err)
	}
	e := &firefoxEngine{dir: root, cmd: cmd, exited: make(chan struct{}), timeout: commandTimeout(o), tabs: map[string]*firefoxTab{}}
	go func() { _ = cmd.Wait(); close(e.exited) }()
	t.Cleanup(e.Close)

	found := make(chan string, 1)
	var log syncLog
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			log.add(line)
			if m := firefoxListening.FindStringSubmatch(line); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
	}()
	var wsURL string
	select {
	case wsURL = <-found:
	case <-e.exited:
		t.Fatalf("Firefox ended before it listened for WebDriver BiDi:\n%s", log.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("Firefox did not listen for WebDriver BiDi within two minutes:\n%s", log.String())
	}
	// A browser that has just started answers its first commands slowly on
	// a busy machine: the start has a budget of its own.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := dialBiDi(ctx, wsURL+"/session", e.event)
	if err != nil {
		t.Fatalf("connect to Firefox's WebDriver BiDi at %s: %v", wsURL, err)
	}
	e.conn = conn
	var session struct {
		Capabilities struct {
			BrowserName    string `json:"browserName"`
			BrowserVersion string `json:"browserVersion"`
		} `json:"capabilities"`
	}
	// Prompts stay open until the test answers them.
	caps := map[string]any{"alwaysMatch": map[string]any{"unhandledPromptBehavior": map[string]any{"default": "ignore"}}}
	if err := conn.call(ctx, "session.new", map[string]any{"capabilities": caps}, &session); err != nil {
		t.Fatalf("Firefox WebDriver BiDi session: %v", err)
	}
	// "Mozilla Firefox 153.8.0esr" names the ESR; BiDi's browserVersion
	// does not.
	e.version = "Firefox " + session.Capabilities.BrowserVersion
	if out, err := exec.Command(path, "--version").Output(); err == nil {
		e.version = strings.TrimPrefix(strings.TrimSpace(string(out)), "Mozilla ")
	}
	if err := conn.call(ctx, "session.subscribe", map[string]any{"events": []string{"browsingContext.userPromptOpened"}}, nil); err != nil {
		t.Fatalf("Firefox: subscribe to prompts: %v", err)
	}
	return e
}

// engineEnv points a browser's home, cache, config and data directories
// into root, so that everything it writes is in its profile directory.
func engineEnv(root string) []string {
	home := filepath.Join(root, "home")
	return []string{
		"HOME=" + home,
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".local", "state"),
		"TMPDIR=" + root,
	}
}

// event handles the events Firefox sends: an open prompt is answered when
// its tab was told to (AnswerPrompts).
func (e *firefoxEngine) event(method string, params json.RawMessage) {
	if method != "browsingContext.userPromptOpened" {
		return
	}
	var p struct {
		Context string `json:"context"`
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	if json.Unmarshal(params, &p) != nil || p.Type != "prompt" {
		return
	}
	e.mu.Lock()
	tab := e.tabs[p.Context]
	e.mu.Unlock()
	if tab == nil {
		return
	}
	tab.mu.Lock()
	armed, answer := tab.armed, tab.answer
	if armed {
		tab.prompts = append(tab.prompts, p.Message)
	}
	tab.mu.Unlock()
	if !armed {
		return
	}
	// Events arrive on the reading goroutine, which must stay free to
	// read the answer.
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
		defer cancel()
		_ = e.conn.call(ctx, "browsingContext.handleUserPrompt", map[string]any{"context": p.Context, "accept": true, "userText": answer}, nil)
	}()
}

func (e *firefoxEngine) Name() string       { return Firefox }
func (e *firefoxEngine) Version() string    { return e.version }
func (e *firefoxEngine) ProfileDir() string { return e.dir }

// Close asks Firefox to quit (browser.close), waits for it to exit, and
// kills it only when it does not.
func (e *firefoxEngine) Close() {
	e.closeOnce.Do(func() {
		if e.conn != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = e.conn.call(ctx, "browser.close", map[string]any{}, nil)
			cancel()
			e.conn.close()
		}
		select {
		case <-e.exited:
		case <-time.After(20 * time.Second):
			_ = e.cmd.Process.Kill()
			<-e.exited
		}
	})
}

func (e *firefoxEngine) NewTab(t testing.TB) Tab {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
	defer cancel()
	var created struct {
		Context string `json:"context"`
	}
	if err := e.conn.call(ctx, "browsingContext.create", map[string]any{"type": "tab"}, &created); err != nil {
		t.Fatalf("Firefox: open a tab: %v", err)
	}
	tab := &firefoxTab{t: t, e: e, id: created.Context}
	e.mu.Lock()
	e.tabs[tab.id] = tab
	e.mu.Unlock()
	t.Cleanup(tab.Close)
	return tab
}

type firefoxTab struct {
	t  testing.TB
	e  *firefoxEngine
	id string

	mu      sync.Mutex
	armed   bool
	answer  string
	prompts []string
	closed  bool
}

func (f *firefoxTab) call(method string, params map[string]any, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), f.e.timeout)
	defer cancel()
	return f.e.conn.call(ctx, method, params, out)
}

func (f *firefoxTab) target() map[string]any { return map[string]any{"context": f.id} }

func (f *firefoxTab) Navigate(u string) {
	f.t.Helper()
	if err := f.call("browsingContext.navigate", map[string]any{"context": f.id, "url": u, "wait": "complete"}, nil); err != nil {
		f.t.Fatalf("Firefox: open %s: %v", u, err)
	}
}

// RunBookmark: browsingContext.navigate is a navigation that the browser
// starts (with the system principal), as a bookmark is; the page's CSP
// does not govern it in Firefox, as it does not govern a bookmark.
func (f *firefoxTab) RunBookmark(javascriptURL string) {
	f.t.Helper()
	// Firefox answers the command only when a new document starts
	// loading, which a javascript: URL that evaluates to undefined never
	// makes: the command is sent, and the wait for its answer (an error
	// comes at once) bounded. The caller waits for the script's effect.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err := f.e.conn.call(ctx, "browsingContext.navigate", map[string]any{"context": f.id, "url": javascriptURL, "wait": "none"}, nil)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		f.t.Fatalf("Firefox: run the bookmark: %v", err)
	}
}

// Console: script.evaluate in the page's window realm (not a sandbox) is
// the page's main world, and like the Web Console it is not subject to the
// page's CSP.
func (f *firefoxTab) Console(code string) {
	f.t.Helper()
	var r bidiEvalResult
	if err := f.call("script.evaluate", map[string]any{"expression": code, "target": f.target(), "awaitPromise": false}, &r); err != nil {
		f.t.Fatalf("Firefox: run in the console: %v", err)
	}
	if r.Type == "exception" {
		f.t.Fatalf("Firefox: the console code threw: %s", r.ExceptionDetails.Text)
	}
}

func (f *firefoxTab) Eval(expr string) (string, error) {
	var r bidiEvalResult
	if err := f.call("script.evaluate", map[string]any{"expression": "String(" + expr + ")", "target": f.target(), "awaitPromise": false}, &r); err != nil {
		return "", err
	}
	return r.str()
}

func (f *firefoxTab) AnswerPrompts(answer string) {
	f.mu.Lock()
	f.armed, f.answer = true, answer
	f.mu.Unlock()
}

func (f *firefoxTab) Prompts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.prompts...)
}

func (f *firefoxTab) Close() {
	f.mu.Lock()
	closed := f.closed
	f.closed = true
	f.mu.Unlock()
	if closed {
		return
	}
	select {
	case <-f.e.exited:
		return
	default:
	}
	_ = f.call("browsingContext.close", map[string]any{"context": f.id}, nil)
	f.e.mu.Lock()
	delete(f.e.tabs, f.id)
	f.e.mu.Unlock()
}

// syncLog keeps a browser's output for error messages.
type syncLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *syncLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) < 200 {
		l.lines = append(l.lines, s)
	}
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// Write makes a syncLog the output of a process.
func (l *syncLog) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		l.add(line)
	}
	return len(p), nil
}

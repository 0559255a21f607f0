package browsertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// webkitPaths finds WebKitWebDriver, MiniBrowser (WebKitGTK's browser for
// automation) and Xvfb: $GDLOGIN_WEBKITWEBDRIVER, $GDLOGIN_MINIBROWSER or
// the places Debian's packages put them.
func webkitPaths() (driver, browser, xvfb string, err error) {
	driver = os.Getenv("GDLOGIN_WEBKITWEBDRIVER")
	if driver == "" {
		driver, _ = exec.LookPath("WebKitWebDriver")
	}
	browser = os.Getenv("GDLOGIN_MINIBROWSER")
	if browser == "" {
		for _, pattern := range []string{"/usr/lib/*/webkit2gtk-4.1/MiniBrowser", "/usr/lib/*/webkit2gtk-4.0/MiniBrowser", "/usr/lib/*/webkitgtk-6.0/MiniBrowser", "/usr/libexec/webkit2gtk-4.1/MiniBrowser"} {
			if m, _ := filepath.Glob(pattern); len(m) > 0 {
				browser = m[0]
				break
			}
		}
	}
	xvfb, _ = exec.LookPath("Xvfb")
	var missing []string
	if driver == "" {
		missing = append(missing, "WebKitWebDriver (apt-get install -y webkit2gtk-driver)")
	}
	if browser == "" {
		missing = append(missing, "MiniBrowser (apt-get install -y webkit2gtk-driver libwebkit2gtk-4.1-0)")
	}
	if xvfb == "" {
		missing = append(missing, "Xvfb (apt-get install -y xvfb)")
	}
	if len(missing) > 0 {
		return "", "", "", errors.New("WebKit cannot run here: no " + strings.Join(missing, ", no "))
	}
	return driver, browser, xvfb, nil
}

// webkitEngine is WebKitGTK's MiniBrowser driven by WebKitWebDriver over
// W3C WebDriver (plain HTTP and JSON), on an X server of its own (Xvfb).
type webkitEngine struct {
	dir      string
	xvfb     *exec.Cmd
	driver   *exec.Cmd
	exited   chan struct{} // the driver's
	base     string        // http://127.0.0.1:PORT/session/ID
	version  string
	timeout  time.Duration
	client   *http.Client
	firstWin string

	// mu serializes the commands: WebDriver has one current window per
	// session, and a tab's command first makes its window current.
	mu      sync.Mutex
	current string

	closeOnce sync.Once
}

func startWebKit(t testing.TB, o EngineOptions) Engine {
	t.Helper()
	driverPath, browserPath, xvfbPath, err := webkitPaths()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "home"), 0o700); err != nil {
		t.Fatal(err)
	}
	e := &webkitEngine{dir: root, timeout: commandTimeout(o), exited: make(chan struct{}), client: &http.Client{}}
	t.Cleanup(e.Close)

	// An X server on a display number it picks itself (-displayfd).
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	e.xvfb = exec.Command(xvfbPath, "-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "1280x1024x24")
	e.xvfb.ExtraFiles = []*os.File{w}
	var xlog syncLog
	e.xvfb.Stderr = &xlog
	if err := e.xvfb.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	display := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		r.Close()
		display <- strings.TrimSpace(line)
	}()
	var disp string
	select {
	case disp = <-display:
	case <-time.After(time.Minute):
	}
	if _, err := strconv.Atoi(disp); err != nil {
		t.Fatalf("Xvfb did not report its display: %q\n%s", disp, xlog.String())
	}

	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	argv := append(webkitNamespace(t, o, root), driverPath, "--port="+strconv.Itoa(port), "--host=local")
	e.driver = exec.Command(argv[0], argv[1:]...)
	e.driver.Env = append(os.Environ(), engineEnv(root)...)
	e.driver.Env = append(e.driver.Env, "DISPLAY=:"+disp, "GDK_BACKEND=x11", "WAYLAND_DISPLAY=", "WEBKIT_DISABLE_COMPOSITING_MODE=1", "LIBGL_ALWAYS_SOFTWARE=1",
		// No session bus: nothing is started on the machine's bus (or by
		// autolaunch) on the browser's behalf, no accessibility bus, no portals.
		"DBUS_SESSION_BUS_ADDRESS=disabled:", "NO_AT_BRIDGE=1", "GTK_A11Y=none", "GTK_USE_PORTAL=0", "GIO_USE_VFS=local")
	var dlog syncLog
	e.driver.Stdout, e.driver.Stderr = &dlog, &dlog
	if err := e.driver.Start(); err != nil {
		t.Fatalf("start WebKitWebDriver: %v", err)
	}
	go func() { _ = e.driver.Wait(); close(e.exited) }()
	root0 := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := e.client.Get(root0 + "/status")
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("WebKitWebDriver did not answer: %v\n%s", err, dlog.String())
		}
		select {
		case <-e.exited:
			t.Fatalf("WebKitWebDriver ended:\n%s", dlog.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	caps := map[string]any{
		"capabilities": map[string]any{"alwaysMatch": map[string]any{
			"browserName":             "MiniBrowser",
			"unhandledPromptBehavior": "ignore",
			// WebKit counts a javascript: URL as a navigation that never
			// completes, and with the "normal" strategy every later command
			// would wait for it; Navigate waits for its pages itself.
			"pageLoadStrategy": "none",
			"webkitgtk:browserOptions": map[string]any{
				"binary": browserPath,
				"args":   []string{"--automation"},
			},
		}},
	}
	var session struct {
		SessionID    string `json:"sessionId"`
		Capabilities struct {
			BrowserName    string `json:"browserName"`
			BrowserVersion string `json:"browserVersion"`
		} `json:"capabilities"`
	}
	// Starting MiniBrowser takes a while on a busy machine.
	if err := e.sendWithin(2*time.Minute, http.MethodPost, root0+"/session", caps, &session); err != nil {
		t.Fatalf("WebKitWebDriver session: %v\n%s", err, dlog.String())
	}
	e.base = root0 + "/session/" + session.SessionID
	e.version = "WebKitGTK " + session.Capabilities.BrowserVersion
	if err := e.send(http.MethodGet, e.base+"/window", nil, &e.firstWin); err != nil {
		t.Fatalf("WebKit: the first window: %v", err)
	}
	e.current = e.firstWin
	return e
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// webdriverError is an error answer of WebDriver (section 6.6).
type webdriverError struct {
	status        int
	code, message string
}

func (e *webdriverError) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.code, e.status, e.message)
}

func isAlertOpen(err error) bool {
	var we *webdriverError
	return errors.As(err, &we) && we.code == "unexpected alert open"
}

// send is one WebDriver command; out receives its "value".
func (e *webkitEngine) send(method, u string, body any, out any) error {
	return e.sendWithin(e.timeout, method, u, body, out)
}

// sendWithin is send with a timeout of its own.
func (e *webkitEngine) sendWithin(timeout time.Duration, method, u string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	} else if method == http.MethodPost {
		rd = strings.NewReader("{}")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	res, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return err
	}
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return fmt.Errorf("%s %s: HTTP %d, not JSON: %s", method, u, res.StatusCode, describe(data))
	}
	if res.StatusCode != http.StatusOK {
		var we struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(env.Value, &we)
		return &webdriverError{status: res.StatusCode, code: we.Error, message: we.Message}
	}
	if out != nil {
		return json.Unmarshal(env.Value, out)
	}
	return nil
}

func (e *webkitEngine) Name() string       { return WebKit }
func (e *webkitEngine) Version() string    { return e.version }
func (e *webkitEngine) ProfileDir() string { return e.dir }

// Close ends the session (MiniBrowser quits), then the driver and the X
// server.
func (e *webkitEngine) Close() {
	e.closeOnce.Do(func() {
		if e.base != "" {
			_ = e.send(http.MethodDelete, e.base, nil, nil)
		}
		if e.driver != nil && e.driver.Process != nil {
			_ = e.driver.Process.Signal(os.Interrupt)
			select {
			case <-e.exited:
			case <-time.After(10 * time.Second):
				_ = e.driver.Process.Kill()
				<-e.exited
			}
		}
		if e.xvfb != nil && e.xvfb.Process != nil {
			_ = e.xvfb.Process.Kill()
			_ = e.xvfb.Wait()
		}
	})
}

func (e *webkitEngine) NewTab(t testing.TB) Tab {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	var w struct {
		Handle string `json:"handle"`
	}
	// New Window needs a current window that is still open: the first
	// one stays open for that.
	if e.current != e.firstWin {
		if err := e.send(http.MethodPost, e.base+"/window", map[string]any{"handle": e.firstWin}, nil); err != nil {
			t.Fatalf("WebKit: switch to the first window: %v", err)
		}
		e.current = e.firstWin
	}
	if err := e.send(http.MethodPost, e.base+"/window/new", map[string]any{"type": "tab"}, &w); err != nil {
		t.Fatalf("WebKit: open a tab: %v", err)
	}
	tab := &webkitTab{t: t, e: e, handle: w.Handle}
	t.Cleanup(tab.Close)
	return tab
}

type webkitTab struct {
	t      testing.TB
	e      *webkitEngine
	handle string

	navs int

	mu      sync.Mutex
	armed   bool
	answer  string
	prompts []string
	closed  bool
}

// do runs one command in this tab's window. An open prompt that this tab
// was told to answer is answered, and the command sent again (a
// navigation is not: the prompt came from it, and answering lets it go on).
func (w *webkitTab) do(method, path string, body any, out any) error {
	return w.doWithin(w.e.timeout, method, path, body, out)
}

func (w *webkitTab) doWithin(timeout time.Duration, method, path string, body any, out any) error {
	w.e.mu.Lock()
	defer w.e.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if w.e.current != w.handle {
			err := w.e.send(http.MethodPost, w.e.base+"/window", map[string]any{"handle": w.handle}, nil)
			if err != nil && !isAlertOpen(err) {
				return fmt.Errorf("switch to the tab: %w", err)
			}
			if err == nil {
				w.e.current = w.handle
			}
		}
		err := w.e.sendWithin(timeout, method, w.e.base+path, body, out)
		if !isAlertOpen(err) || attempt > 3 {
			return err
		}
		answered, aerr := w.answerPromptLocked()
		if aerr != nil || !answered {
			return err
		}
		if path == "/url" {
			return nil
		}
	}
}

// answerPromptLocked answers the open prompt when the tab is armed.
func (w *webkitTab) answerPromptLocked() (bool, error) {
	w.mu.Lock()
	armed, answer := w.armed, w.answer
	w.mu.Unlock()
	if !armed {
		return false, nil
	}
	var text string
	if err := w.e.send(http.MethodGet, w.e.base+"/alert/text", nil, &text); err != nil {
		return false, err
	}
	if err := w.e.send(http.MethodPost, w.e.base+"/alert/text", map[string]any{"text": answer}, nil); err != nil {
		return false, err
	}
	if err := w.e.send(http.MethodPost, w.e.base+"/alert/accept", nil, nil); err != nil {
		return false, err
	}
	w.mu.Lock()
	w.prompts = append(w.prompts, text)
	w.mu.Unlock()
	return true, nil
}

// Navigate: the session's page load strategy is "none" (see startWebKit),
// so Navigate To returns at once; the old document is marked first, and
// the wait is for a document without the mark that has loaded.
func (w *webkitTab) Navigate(u string) {
	w.t.Helper()
	w.navs++
	mark := strconv.Quote("gdlogin-nav-" + strconv.Itoa(w.navs))
	if _, err := w.Eval(`window.__gdloginNav = ` + mark); err != nil {
		w.t.Fatalf("WebKit: mark the page before opening %s: %v", u, err)
	}
	if err := w.do(http.MethodPost, "/url", map[string]any{"url": u}, nil); err != nil {
		w.t.Fatalf("WebKit: open %s: %v", u, err)
	}
	Wait(w.t, w, "the page "+u+" to load", `window.__gdloginNav !== `+mark+` && document.readyState == "complete"`, 0)
}

// RunBookmark: WebDriver's Navigate To is a navigation that the browser
// starts (WebPageProxy::loadRequest), as a bookmark click is; WebKit checks
// a javascript: URL against the page's CSP for both, as Safari does for a
// bookmark.
func (w *webkitTab) RunBookmark(javascriptURL string) {
	w.t.Helper()
	if err := w.do(http.MethodPost, "/url", map[string]any{"url": javascriptURL}, nil); err != nil {
		w.t.Fatalf("WebKit: run the bookmark: %v", err)
	}
}

// Console: Execute Script runs in the page's main world through the same
// automation channel as Web Inspector's console, which is not subject to
// the page's CSP.
func (w *webkitTab) Console(code string) {
	w.t.Helper()
	if err := w.do(http.MethodPost, "/execute/sync", map[string]any{"script": code + "\n;return null", "args": []any{}}, nil); err != nil {
		w.t.Fatalf("WebKit: run in the console: %v", err)
	}
}

// Eval has a short timeout of its own: WebKit can drop the answer to a
// script that runs while the tab commits a new document, and a poll
// (Wait) then tries again.
func (w *webkitTab) Eval(expr string) (string, error) {
	var s string
	err := w.doWithin(min(w.e.timeout, 5*time.Second), http.MethodPost, "/execute/sync", map[string]any{"script": "return String(" + expr + ")", "args": []any{}}, &s)
	return s, err
}

func (w *webkitTab) AnswerPrompts(answer string) {
	w.mu.Lock()
	w.armed, w.answer = true, answer
	w.mu.Unlock()
}

func (w *webkitTab) Prompts() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.prompts...)
}

func (w *webkitTab) Close() {
	w.mu.Lock()
	closed := w.closed
	w.closed = true
	w.mu.Unlock()
	if closed {
		return
	}
	select {
	case <-w.e.exited:
		return
	default:
	}
	_ = w.do(http.MethodDelete, "/window", nil, nil)
	w.e.mu.Lock()
	if w.e.current == w.handle {
		w.e.current = ""
	}
	w.e.mu.Unlock()
}

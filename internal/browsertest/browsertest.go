// Package browsertest starts the real browsers that gdlogin's browser
// tests drive, each with a fresh profile: headless Chromium over the
// DevTools protocol (New, with the flags the project agreed on), and behind
// one small Engine interface Chromium, Firefox (WebDriver BiDi) and WebKit
// (WebKitGTK's MiniBrowser over W3C WebDriver, on its own Xvfb), so that
// every browser scenario runs in each engine. The organization is treated
// as a public site where an engine has Local Network Access rules, so that
// the browser applies the rules real users meet.
//
// Locally a missing browser skips the test; under CI (CI=true) it fails it,
// because a skipped browser test proves nothing.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Options describe the browser a test needs.
type Options struct {
	// PublicHosts are host:port pairs (for example the emulated
	// organization's 127.0.0.1:PORT) that the browser must treat as public
	// internet addresses.
	PublicHosts []string
	// Timeout bounds the whole browser session; zero means 60 seconds.
	Timeout time.Duration
	// WindowWidth and WindowHeight are in CSS pixels; zero means 1280x900.
	WindowWidth, WindowHeight int
	// Flags are extra Chromium flags (for example host-resolver-rules and
	// ignore-certificate-errors for an https organization on loopback).
	Flags map[string]any
	// Env are extra environment variables of the browser (KEY=value).
	Env []string
}

// Browser is one running headless Chromium with its own profile directory.
type Browser struct {
	// Ctx drives the first tab; pass it to chromedp.Do / chromedp.Run.
	Ctx context.Context
	// ProfileDir is the fresh --user-data-dir, for tests that inspect what
	// the browser kept on disk.
	ProfileDir string

	close func()
}

// Close ends the browser, which flushes what it keeps on disk; it is safe
// to call more than once and runs again at the end of the test.
func (b *Browser) Close() { b.close() }

// ExecPath finds Chromium: $GDLOGIN_CHROMIUM, /usr/bin/chromium, or the
// usual names on PATH. It returns "" when there is none.
func ExecPath() string {
	if p := os.Getenv("GDLOGIN_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Require returns the Chromium path or ends the test: a skip locally, a
// failure under CI.
func Require(t testing.TB) string {
	t.Helper()
	p := ExecPath()
	if p != "" {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found (looked at $GDLOGIN_CHROMIUM, /usr/bin/chromium, PATH); CI must install it (.ci/run runs apt-get install -y chromium, and so does scripts/install-test-tools when it is missing)")
	}
	t.Skip("no Chromium found; install it (apt-get install -y chromium) to run the browser tests")
	return ""
}

// New starts a headless Chromium with a fresh profile directory. The
// browser is closed when the test ends.
func New(t testing.TB, o Options) *Browser {
	t.Helper()
	path := Require(t)
	dir := t.TempDir()
	w, h := o.WindowWidth, o.WindowHeight
	if w == 0 || h == 0 {
		w, h = 1280, 900
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(w, h),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
	}
	if len(o.PublicHosts) > 0 {
		var parts []string
		for _, hp := range o.PublicHosts {
			parts = append(parts, hp+"=public")
		}
		opts = append(opts, chromedp.Flag("ip-address-space-overrides", strings.Join(parts, ",")))
	}
	if len(o.Env) > 0 {
		opts = append(opts, chromedp.Env(o.Env...))
	}
	for name, value := range o.Flags {
		opts = append(opts, chromedp.Flag(name, value))
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	base, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	alloc, cancelAlloc := chromedp.NewExecAllocator(base, opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	// Start the browser now so that a broken install fails here, clearly.
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		cancelTimeout()
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	var once sync.Once
	closeAll := func() {
		once.Do(func() {
			// Closing the tab context first lets Chromium shut down cleanly.
			cancelCtx()
			cancelAlloc()
			cancelTimeout()
		})
	}
	t.Cleanup(closeAll)
	return &Browser{Ctx: ctx, ProfileDir: dir, close: closeAll}
}

package browsertest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromiumEngine is headless Chromium over the DevTools protocol (chromedp).
type chromiumEngine struct {
	b       *Browser
	version string
	timeout time.Duration
}

func startChromium(t testing.TB, o EngineOptions) Engine {
	t.Helper()
	session := o.Timeout
	if session == 0 {
		session = 10 * time.Minute
	}
	flags, env := chromiumNetwork(t, o, t.TempDir())
	b := New(t, Options{PublicHosts: o.PublicHosts, Timeout: session, Flags: flags, Env: env})
	v, err := chromedp.CallBrowser(b.Ctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		t.Fatalf("Chromium version: %v", err)
	}
	// "Chrome/156.0.8078.114" → "Chromium 156.0.8078.114"
	_, number, _ := strings.Cut(v.Product, "/")
	version := "Chromium " + number
	return &chromiumEngine{b: b, version: version, timeout: commandTimeout(o)}
}

func commandTimeout(o EngineOptions) time.Duration {
	if o.Timeout > 0 && o.Timeout < 30*time.Second {
		return o.Timeout
	}
	return 30 * time.Second
}

func (e *chromiumEngine) Name() string       { return Chromium }
func (e *chromiumEngine) Version() string    { return e.version }
func (e *chromiumEngine) ProfileDir() string { return e.b.ProfileDir }
func (e *chromiumEngine) Close()             { e.b.Close() }

func (e *chromiumEngine) NewTab(t testing.TB) Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(e.b.Ctx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("open a Chromium tab: %v", err)
	}
	tab := &chromiumTab{t: t, ctx: ctx, cancel: cancel, timeout: e.timeout}
	err := chromedp.Listen(ctx, func(ev any) {
		if ev, ok := ev.(*page.EventJavascriptDialogOpening); ok && ev.Type == page.DialogTypePrompt {
			tab.mu.Lock()
			answer, armed := tab.answer, tab.armed
			if armed {
				tab.prompts = append(tab.prompts, ev.Message)
			}
			tab.mu.Unlock()
			if armed {
				// The event arrives on the tab's event loop; the answer
				// must go out from another goroutine.
				go func() {
					_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true, PromptText: answer})
				}()
			}
		}
	})
	if err != nil {
		cancel()
		t.Fatalf("listen to the Chromium tab: %v", err)
	}
	t.Cleanup(tab.Close)
	return tab
}

type chromiumTab struct {
	t       testing.TB
	ctx     context.Context
	cancel  context.CancelFunc
	timeout time.Duration

	mu      sync.Mutex
	armed   bool
	answer  string
	prompts []string
}

func (c *chromiumTab) cmd() (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.ctx, c.timeout)
}

func (c *chromiumTab) Navigate(u string) {
	c.t.Helper()
	ctx, cancel := c.cmd()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		c.t.Fatalf("Chromium: open %s: %v", u, err)
	}
}

// RunBookmark: Page.navigate to a javascript: URL is the navigation that
// Chromium's own bookmark bar starts; like a bookmark, it runs in the page
// without the page's CSP.
func (c *chromiumTab) RunBookmark(javascriptURL string) {
	c.t.Helper()
	ctx, cancel := c.cmd()
	defer cancel()
	if _, err := chromedp.Call(ctx, page.Navigate, page.NavigateParams{URL: javascriptURL}); err != nil {
		c.t.Fatalf("Chromium: run the bookmark: %v", err)
	}
}

// Console: Runtime.evaluate is what the DevTools console sends.
func (c *chromiumTab) Console(code string) {
	c.t.Helper()
	ctx, cancel := c.cmd()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](code)); err != nil {
		c.t.Fatalf("Chromium: run in the console: %v", err)
	}
}

func (c *chromiumTab) Eval(expr string) (string, error) {
	ctx, cancel := c.cmd()
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[string](`String(`+expr+`)`))
}

func (c *chromiumTab) AnswerPrompts(answer string) {
	c.mu.Lock()
	c.armed, c.answer = true, answer
	c.mu.Unlock()
}

func (c *chromiumTab) Prompts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.prompts...)
}

func (c *chromiumTab) Close() { c.cancel() }

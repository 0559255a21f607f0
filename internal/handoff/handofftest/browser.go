package handofftest

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/gdlogin/gdlogin/internal/browsertest"
)

// Browser is one headless Chromium tab that treats the fake organization as
// a public site and records every request the tab sends, navigations
// included, so that a test can prove that nothing was sent.
type Browser struct {
	Ctx context.Context
	t   testing.TB
	rec *recorder
}

type recorder struct {
	mu   sync.Mutex
	sent []string // URLs, in order
}

// NewBrowser starts Chromium that treats publicHosts (the organization's
// 127.0.0.1:PORT) as public sites; see browsertest.New: a missing browser
// skips the test locally and fails it under CI.
func NewBrowser(t testing.TB, publicHosts ...string) *Browser {
	t.Helper()
	bt := browsertest.New(t, browsertest.Options{PublicHosts: publicHosts, Timeout: 3 * time.Minute})
	b := &Browser{Ctx: bt.Ctx, t: t, rec: &recorder{}}
	err := chromedp.Listen(b.Ctx, func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok {
			b.rec.mu.Lock()
			b.rec.sent = append(b.rec.sent, ev.Request.URL+ev.Request.URLFragment)
			b.rec.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	return b
}

// For returns the same browser reporting failures to t, for subtests.
func (b *Browser) For(t testing.TB) *Browser {
	return &Browser{Ctx: b.Ctx, t: t, rec: b.rec}
}

// Open loads u as a new document (never as a same-document fragment
// change) and waits for it.
func (b *Browser) Open(u string) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.Navigate("about:blank")); err != nil {
		b.t.Fatalf("open about:blank: %v", err)
	}
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(u)); err != nil {
		b.t.Fatalf("open %s: %v", u, err)
	}
}

// Mark returns a position in the request record, for Sent.
func (b *Browser) Mark() int {
	b.rec.mu.Lock()
	defer b.rec.mu.Unlock()
	return len(b.rec.sent)
}

// Sent returns the URLs of the requests the tab sent since mark.
func (b *Browser) Sent(mark int) []string {
	b.rec.mu.Lock()
	defer b.rec.mu.Unlock()
	return slices.Clone(b.rec.sent[mark:])
}

// Eval runs code in the page the way the DevTools console does: outside
// the page's CSP, without waiting for a promise it returns.
func (b *Browser) Eval(code string) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.Evaluate[chromedp.Void](code)); err != nil {
		b.t.Fatalf("run script: %v", err)
	}
}

// ClickBookmarklet navigates the tab to a javascript: URL, as a click on a
// bookmark does (a browser-initiated navigation, which the page's CSP does
// not govern).
func (b *Browser) ClickBookmarklet(javascriptURL string) {
	b.t.Helper()
	_, err := chromedp.Call(b.Ctx, page.Navigate, page.NavigateParams{URL: javascriptURL})
	if err != nil {
		b.t.Fatalf("run bookmarklet: %v", err)
	}
}

// Status waits until the status line of the newest handoff panel contains
// want and returns the whole line.
func (b *Browser) Status(want string) string {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := b.StatusNow()
		if strings.Contains(got, want) {
			return got
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting for a status with %q; status now: %q", want, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// StatusNow returns the status line as it is, or "" when there is none.
func (b *Browser) StatusNow() string {
	s, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('[role=status]')].pop()?.textContent ?? ''`))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return s
}

// Location returns the tab's URL.
func (b *Browser) Location() string {
	b.t.Helper()
	u, err := chromedp.Run(b.Ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("read location: %v", err)
	}
	return u
}

// WaitLocation waits until the tab's URL starts with prefix and returns it.
func (b *Browser) WaitLocation(prefix string) string {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		u, err := chromedp.Run(b.Ctx, chromedp.Location())
		if err == nil && strings.HasPrefix(u, prefix) {
			return u
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting for a navigation to %s: the tab is at %s (%v); status %q", prefix, u, err, b.StatusNow())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Fragment returns the fragment of a URL, without "#".
func Fragment(t testing.TB, u string) string {
	t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatalf("parse %s: %v", u, err)
	}
	return parsed.EscapedFragment()
}

// TrustKey is the organization origin's localStorage item that lists the
// installation ids the user has confirmed (SPEC 3.11).
const TrustKey = "gdlogin.trusted"

// Trust makes the tab's browser trust installation id for origin, as the
// user's confirmation of an earlier login does: it opens origin and adds id
// to localStorage's TrustKey list.
func (b *Browser) Trust(origin, id string) {
	b.t.Helper()
	b.Open(origin + "/")
	js := `localStorage.setItem('` + TrustKey + `', JSON.stringify([...(JSON.parse(localStorage.getItem('` + TrustKey + `')) || []), '` + id + `']))`
	if err := chromedp.Do(b.Ctx, chromedp.Evaluate[chromedp.Void](js)); err != nil {
		b.t.Fatalf("trust %s: %v", id, err)
	}
}

// Trusted returns the tab's origin's list of trusted installation ids, or
// the raw item when it is not a JSON list of strings.
func (b *Browser) Trusted() []string {
	b.t.Helper()
	ids, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](`(() => { try { const v = JSON.parse(localStorage.getItem('`+TrustKey+`')); return v == null ? [] : Array.isArray(v) ? v.map(String) : [String(v)] } catch { return [] } })()`))
	if err != nil {
		b.t.Fatalf("read the trusted ids: %v", err)
	}
	return ids
}

// WaitConfirmation waits for the confirmation panel of an unknown
// installation (SPEC 3.11) and returns the confirmation code it shows.
func (b *Browser) WaitConfirmation() string {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=gdlogin-confirm]`))); err != nil {
		b.t.Fatalf("waiting for the confirmation panel: %v; status %q", err, b.StatusNow())
	}
	code, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS(`[data-testid=gdlogin-code]`)))
	if err != nil {
		b.t.Fatalf("read the confirmation code: %v", err)
	}
	return code
}

// Confirm clicks the confirmation panel's "Send a token to gdlogin".
func (b *Browser) Confirm() {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.Click(chromedp.CSS(`[data-testid=gdlogin-confirm]`))); err != nil {
		b.t.Fatalf("confirm: %v", err)
	}
}

// Asking reports whether a confirmation panel is on the page now.
func (b *Browser) Asking() bool {
	b.t.Helper()
	n, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid=gdlogin-confirm]').length`))
	if err != nil {
		b.t.Fatalf("look for the confirmation panel: %v", err)
	}
	return n > 0
}

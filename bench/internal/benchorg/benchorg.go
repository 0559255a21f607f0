// Package benchorg is what the browser benchmarks share: the emulated
// organization reached on the site they ask for, a headless Chromium with
// the flags the browser tests use, signed in once as john.doe, and the
// median of a set of figures.
package benchorg

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gdlogin/gdlogin/internal/browsertest"
	"github.com/gdlogin/gdlogin/internal/orgsim"
)

// Sites are the host names an organization can be reached on: localhost, a
// site of its own as every real organization is a site other than the
// 127.0.0.1 callback, or 127.0.0.1, the callback's own site.
var Sites = []string{"localhost", "127.0.0.1"}

// Org is a running emulated organization and a browser signed in to it.
type Org struct {
	Server *orgsim.Server
	// URL is the organization as the browser reaches it, on the site asked
	// for.
	URL string
	// Browser is the signed-in browser; each chromedp.NewContext of it is
	// a fresh tab that shares the session cookie.
	Browser context.Context
	close   []func()
}

// Start runs the emulated organization, reached as http://site:PORT, and a
// headless Chromium whose profile lives under dir, and signs in once.
func Start(site, dir string) (*Org, error) {
	if !slices.Contains(Sites, site) {
		return nil, fmt.Errorf("-site must be one of %s", strings.Join(Sites, ", "))
	}
	chromium := browsertest.ExecPath()
	if chromium == "" {
		return nil, errors.New("no Chromium found (apt-get install -y chromium)")
	}
	srv, err := orgsim.Start(orgsim.Options{})
	if err != nil {
		return nil, err
	}
	o := &Org{Server: srv, close: []func(){func() { _ = srv.Close() }}}
	host := strings.TrimPrefix(srv.URL(), "http://")
	o.URL = "http://" + site + ":" + strings.TrimPrefix(host, "127.0.0.1:")
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(filepath.Join(dir, "chromium")),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("ip-address-space-overrides", host+"=public"))
	browser, cancel := chromedp.NewContext(alloc)
	o.Browser, o.close = browser, append(o.close, cancelAlloc, cancel)
	if err := chromedp.Do(browser, chromedp.Navigate(o.URL+"/appLogin?redirectTo=/"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-username"]`), "john.doe"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="login-password"]`), "demo"),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-in-user"]`))); err != nil {
		o.Close()
		return nil, fmt.Errorf("sign in: %w", err)
	}
	return o, nil
}

// Close stops the browser and the organization.
func (o *Org) Close() {
	for i := len(o.close) - 1; i >= 0; i-- {
		o.close[i]()
	}
}

// Median is the median of d.
func Median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

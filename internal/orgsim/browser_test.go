package orgsim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gdlogin/gdlogin/internal/browsertest"
)

// TestBrowserLogin drives the login page, the home page and the DevTools
// snippet of the documentation in headless Chromium: the CSP must block
// nothing of ours, the fragment carried by redirectTo must survive the
// sign-in, the session cookie must stay out of reach of scripts, and a
// same-origin fetch with the session must create a token.
func TestBrowserLogin(t *testing.T) {
	s := start(t, Options{Scripts: []Script{{
		Path: "/probe.js",
		Body: []byte(`document.getElementById('gdlogin-root').textContent = 'hash=' + location.hash;`),
	}}})
	b := browsertest.New(t, browsertest.Options{})
	cctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	messages := chromedp.Console(cctx)

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	eval := func(js string, opts ...chromedp.EvaluateOption) string {
		t.Helper()
		v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](js, opts...))
		must(err)
		return v
	}

	must(chromedp.Do(b.Ctx,
		chromedp.Navigate(s.URL()+"/appLogin?redirectTo=/%23gdlogin%3Dpairing-123"),
		chromedp.WaitVisible(`[data-testid=login-username]`),
		chromedp.SendKeys(`[data-testid=login-username]`, "john.doe"),
		chromedp.SendKeys(`[data-testid=login-password]`, "demo"),
		chromedp.Click(`[data-testid=login-submit]`),
		chromedp.WaitVisible(`[data-testid=signed-in-user]`),
	))
	if loc := eval(`location.href`); loc != s.URL()+"/#gdlogin=pairing-123" {
		t.Errorf("after sign-in the browser is at %q", loc)
	}
	if got := eval(`document.getElementById('gdlogin-root').textContent`); got != "hash=#gdlogin=pairing-123" {
		t.Errorf("the configured script saw %q", got)
	}
	if got := eval(`getComputedStyle(document.querySelector('.topbar')).borderBottomStyle`); got != "solid" {
		t.Errorf("the stylesheet is not applied (border %q)", got)
	}
	if c := eval(`document.cookie`); strings.Contains(c, SessionCookieName) {
		t.Errorf("scripts can read the session cookie: %q", c)
	}

	// The snippet of reference/seed-generating-auth-token.md, verbatim in
	// substance: no X-Requested-With, the vendor content type.
	bearer := eval(`fetch('/api/v1/entities/users/john.doe/apiTokens', {
		method: 'POST',
		body: JSON.stringify({data: {id: 'mynewtoken', type: 'apiToken'}}),
		headers: {'Content-type': 'application/vnd.gooddata.api+json'}
	}).then(res => res.json()).then(data => data.data.attributes.bearerToken)`, chromedp.EvalAwaitPromise)
	if bearer == "" || !s.HasToken("john.doe", "mynewtoken") {
		t.Errorf("the DevTools snippet did not create the token (bearer %q)", bearer)
	}
	var snippetAuth string
	for _, r := range s.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/apiTokens") {
			snippetAuth = r.Auth
		}
	}
	if snippetAuth != "session:john.doe" {
		t.Errorf("the snippet's request was authenticated as %q", snippetAuth)
	}

	// Nothing went to the console: no CSP violation, no failed load.
	eval(`console.log('orgsim-done'), ''`)
	for m, err := range messages {
		must(err)
		if m.Text == "orgsim-done" {
			break
		}
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
			t.Errorf("console %s: %s", m.Type, m.Text)
		}
	}
}

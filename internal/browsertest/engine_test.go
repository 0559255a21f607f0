package browsertest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// cspServer serves a page under the policy named by ?csp=: strict (the
// script-src of a GoodData organization, without 'unsafe-inline'),
// unsafe-inline, or none. The page records CSP violations it can see.
func cspServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("csp") {
		case "strict":
			w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'")
		case "unsafe-inline":
			w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'")
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>csp</title><p data-testid="p">hello</p><script src="/watch.js"></script>`))
	})
	mux.HandleFunc("/watch.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write([]byte(`window.violations = []; document.addEventListener("securitypolicyviolation", (e) => violations.push(e.violatedDirective));`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestEngines proves what each engine does with the three things the
// browser scenarios rely on: a bookmark click (a javascript: navigation)
// under each CSP, the console, and an answered prompt. Chromium and
// Firefox run a bookmark whatever the page's CSP; WebKit checks it against
// script-src, as Safari does, and refuses it without 'unsafe-inline'.
func TestEngines(t *testing.T) {
	for _, name := range EngineNames {
		t.Run(name, func(t *testing.T) {
			srv := cspServer(t)
			e := StartEngine(t, name, EngineOptions{PublicHosts: []string{strings.TrimPrefix(srv.URL, "http://")}})
			t.Logf("%s", e.Version())
			tab := e.NewTab(t)
			bookmark := "javascript:" + url.PathEscape(`document.body.dataset.ran="yes";void 0`)
			for _, csp := range []string{"strict", "unsafe-inline", "none"} {
				tab.Navigate(srv.URL + "/?csp=" + csp)
				if got := Text(t, tab, "p"); got != "hello" {
					t.Fatalf("page text %q", got)
				}
				tab.RunBookmark(bookmark)
				// Either the bookmark runs, or the engine refuses it and
				// reports a violation of the policy: wait for one of them.
				Wait(t, tab, "the bookmark to run or be refused", `document.body.dataset.ran || violations.length`, 0)
				got := MustEval(t, tab, `document.body.dataset.ran ? "ran" : "refused: " + violations.join()`)
				want := "ran"
				if name == WebKit && csp == "strict" {
					want = "refused: script-src-elem"
				}
				if got != want {
					t.Errorf("bookmark under csp=%s: %s, want %s", csp, got, want)
				}
			}
			tab.Navigate(srv.URL + "/?csp=strict")
			tab.Console(`document.body.dataset.console = "yes"`)
			if got := MustEval(t, tab, `document.body.dataset.console`); got != "yes" {
				t.Errorf("console code did not run under the strict CSP: %q", got)
			}
			tab.AnswerPrompts("pairing-123")
			tab.Console(`setTimeout(() => { document.body.dataset.answer = prompt("gdlogin: paste the pairing code") })`)
			Wait(t, tab, "the prompt's answer", `document.body.dataset.answer == "pairing-123"`, 0)
			if p := tab.Prompts(); len(p) != 1 || p[0] != "gdlogin: paste the pairing code" {
				t.Errorf("prompts %q", p)
			}
		})
	}
}

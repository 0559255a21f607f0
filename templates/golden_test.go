package templates

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const testNonce = "dGVzdC1ub25jZS0xMjM0"

func sampleStart() StartData {
	return StartData{
		OrgOrigin:   "https://analytics.example.com",
		OrgHost:     "analytics.example.com",
		OpenOrgURL:  "https://analytics.example.com/appLogin?redirectTo=/%23gdlogin%3DeyJ2IjoxfQ",
		Bookmarklet: "javascript:(async%20()%3D%3E%7B%7D)();void%200",
		Snippet:     `(async () => {})("eyJ2IjoxfQ")`,
		PairingCode: "eyJ2IjoxfQ",
		StatusURL:   "/status?k=abc",
		TokenID:     "gdlogin-laptop-20261129T182200Z",
		ExpectUser:  "john.doe",
		Deadline:    "18:27:00",
		Status:      Status{State: "waiting", Message: "Waiting for you to sign in…", Hint: "Use the steps on this page."},
	}
}

// sampleSafari is the start page as Safari gets it.
func sampleSafari() StartData {
	d := sampleStart()
	d.WebKit = true
	return d
}

var pages = map[string]templ.Component{
	"oidc-success.html": OIDCPage(OIDCData{Title: "Signed in", Heading: "You are signed in", Issuer: "https://login.example.com",
		Status: Status{State: "success", Message: "API token for John Doe (john.doe) created and verified with Example Analytics."},
		Next:   "You can close this tab and go back to the terminal."}),
	"oidc-refused.html": OIDCPage(OIDCData{Title: "This answer is not for this login", Heading: "This answer is not for this login", Issuer: "https://login.example.com",
		Status:   Status{State: "waiting", Message: "The identity provider's answer on this page does not belong to the login gdlogin is waiting for, so gdlogin ignored it.", Hint: "gdlogin is still waiting for your sign-in."},
		RetryURL: "http://127.0.0.1:49152/"}),
	"oidc-error.html": OIDCPage(OIDCData{Title: "Login failed", Heading: "The identity provider refused the sign-in", Issuer: "https://login.example.com",
		Status: Status{State: "error", Message: "The identity provider refused the sign-in: access_denied (The user cancelled the sign-in.)", Hint: "Sign in again and allow the access."},
		Next:   "The terminal shows the same error. Run gdlogin login again once it is fixed."}),
	"start.html":           StartPage(sampleStart()),
	"start-safari.html":    StartPage(sampleSafari()),
	"callback.html":        CallbackPage(Status{State: "waiting", Message: "Receiving the token…"}),
	"finished.html":        FinishedPage(Status{State: "success", Message: "Token for John Doe (john.doe) created and verified."}),
	"error-forbidden.html": ErrorPage(ErrorData{Code: 403, Title: "Open the link from the terminal", Message: "This page only opens with the full link that gdlogin printed.", Hint: "Copy the link."}),
}

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(templ.WithNonce(context.Background(), testNonce), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestGolden guards the rendered pages; run `go test ./templates -update`
// after an intended change and review the diff.
func TestGolden(t *testing.T) {
	for name, c := range pages {
		t.Run(name, func(t *testing.T) {
			got := render(t, c)
			path := filepath.Join("testdata", name)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./templates -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden file; run go test ./templates -update and review the diff.\ngot:\n%s", name, got)
			}
		})
	}
}

func TestPagesAreWellFormedForCSP(t *testing.T) {
	for name, c := range pages {
		html := render(t, c)
		if regexp.MustCompile(`\sstyle=`).MatchString(html) {
			t.Errorf("%s: inline style attribute (blocked by style-src 'self')", name)
		}
		if regexp.MustCompile(`\son[a-z]+=`).MatchString(html) {
			t.Errorf("%s: inline event handler (blocked by the CSP)", name)
		}
		for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(html, -1) {
			if !strings.Contains(tag, `nonce="`+testNonce+`"`) {
				t.Errorf("%s: script without this request's nonce: %s", name, tag)
			}
		}
		for _, want := range []string{`<html lang="en">`, `<main id="main"`, `<meta name="color-scheme" content="light dark">`, `data-testid="status"`, `role="status"`} {
			if !strings.Contains(html, want) {
				t.Errorf("%s lacks %s", name, want)
			}
		}
		if strings.Contains(html, "http://") && !strings.Contains(html, "http://127.0.0.1") && !strings.HasPrefix(name, "start") {
			t.Errorf("%s links somewhere unexpected", name)
		}
	}
}

func TestStartPageHooksAndEscaping(t *testing.T) {
	d := sampleStart()
	d.Snippet = `</code><script>alert(1)</script>`
	d.OrgHost = `<img src=x>`
	html := render(t, StartPage(d))
	if strings.Contains(html, "<script>alert(1)") || strings.Contains(html, "<img src=x>") {
		t.Fatal("data is not escaped")
	}
	for _, hook := range []string{`data-testid="open-org"`, `data-testid="bookmarklet"`, `data-testid="snippet"`, `data-testid="pairing"`, `data-state="waiting"`} {
		if !strings.Contains(html, hook) {
			t.Errorf("lacks %s", hook)
		}
	}
	if !strings.Contains(html, `href="javascript:(async%20()%3D%3E%7B%7D)();void%200"`) {
		t.Error("the bookmarklet href was altered or neutered")
	}
	if !strings.Contains(html, `href="https://analytics.example.com/appLogin?redirectTo=/%23gdlogin%3DeyJ2IjoxfQ"`) {
		t.Error("the open-org link was altered")
	}
	// An org link that is not http(s) must be neutered by templ.
	d.OpenOrgURL = "javascript:alert(1)"
	if html := render(t, StartPage(d)); strings.Contains(html, `href="javascript:alert(1)"`) {
		t.Fatal("a javascript: org link was rendered")
	}
}

// TestCallbackScriptIsInlineAndFirst: the callback page carries its script
// inline, before the style sheet, so the envelope leaves at once.
func TestCallbackScriptIsInlineAndFirst(t *testing.T) {
	html := render(t, CallbackPage(Status{State: "waiting", Message: "x"}))
	script := strings.Index(html, `<script nonce="`+testNonce+`">`)
	css := strings.Index(html, `<link rel="stylesheet"`)
	if script < 0 || css < 0 || script > css {
		t.Fatalf("inline script at %d, style sheet at %d", script, css)
	}
	if !strings.Contains(html, `fetch("/complete"`) || !strings.Contains(html, "history.replaceState") {
		t.Fatal("the callback code is not inlined")
	}
	var buf bytes.Buffer
	if err := inlineScript("x</SCRIPT>y").Render(context.Background(), &buf); err == nil {
		t.Fatal("an inline script with a closing tag was written")
	}
}

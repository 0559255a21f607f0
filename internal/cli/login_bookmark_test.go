package cli

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/internal/store"
)

// The returning user's login, without a browser: what gdlogin opens, what
// it says, and what it remembers in the profile. The script's side is
// played in Go: it reads the pairing from the page gdlogin opened, seals a
// real token of the emulator the way the handoff script does, saying
// whether it ran as the bookmark, and posts it as the callback page would.
// The same paths in real browsers are the "returning" scenarios of
// engines_test.go.

// bookmarkLogin is one gdlogin login whose browser is played by the test.
type bookmarkLogin struct {
	t      *testing.T
	org    *orgsim.Server
	opened string // what gdlogin handed the browser opener
	stdout *bytes.Buffer
	stderr *syncBuffer
	done   chan int
}

func startBookmarkLogin(t *testing.T, org *orgsim.Server, vars map[string]string, args ...string) *bookmarkLogin {
	t.Helper()
	env, out, _ := testEnv("", vars)
	l := &bookmarkLogin{t: t, org: org, stdout: out, stderr: &syncBuffer{}, done: make(chan int, 1)}
	env.Stderr = l.stderr
	opened := make(chan string, 1)
	env.OpenBrowser = func(u, _ string) error { opened <- u; return nil }
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { l.done <- Run(ctx, append([]string{"login", org.URL(), "--output", "token"}, args...), env) }()
	select {
	case l.opened = <-opened:
	case code := <-l.done:
		t.Fatalf("gdlogin ended (exit %d) before opening a browser:\n%s", code, l.stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("gdlogin opened no browser:\n%s", l.stderr.String())
	}
	return l
}

var openOrgHref = regexp.MustCompile(`data-testid="open-org"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*data-testid="open-org"`)

// pairing is the pairing the opened page carries: the organization's
// address itself, or the start page's "Open the organization" link.
func (l *bookmarkLogin) pairing() handoff.Pairing {
	t := l.t
	t.Helper()
	orgURL := l.opened
	if !strings.HasPrefix(l.opened, l.org.URL()+"/") { // the start page
		res, err := http.Get(l.opened)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		m := openOrgHref.FindStringSubmatch(b.String())
		if m == nil {
			t.Fatalf("no open-org link on the start page:\n%s", b.String())
		}
		orgURL = html.UnescapeString(m[1] + m[2])
	}
	prefix := l.org.URL() + "/appLogin?redirectTo=/%23gdlogin%3D"
	if !strings.HasPrefix(orgURL, prefix) {
		t.Fatalf("the organization link is %s, want it under %s", orgURL, prefix)
	}
	p, err := handoff.DecodePairing(strings.TrimPrefix(orgURL, prefix))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// handOver plays the handoff script and the callback page.
func (l *bookmarkLogin) handOver(asBookmark bool) {
	t := l.t
	t.Helper()
	p := l.pairing()
	// Every login of the test has the same default token id (the clock
	// stands still): a taken one gets a suffix, as the script does it.
	tokenID := fmt.Sprintf("%s-%04x", p.TokenID, time.Now().UnixNano()&0xffff)
	token, err := l.org.IssueToken("john.doe", tokenID)
	if err != nil {
		t.Fatal(err)
	}
	env, err := handoff.Seal(p, handoff.Payload{Token: token, TokenID: tokenID, UserID: "john.doe", Origin: l.org.URL(), Bookmark: asBookmark}, nil)
	if err != nil {
		t.Fatal(err)
	}
	origin := fmt.Sprintf("http://127.0.0.1:%d", p.Port)
	req, _ := http.NewRequest("POST", origin+"/complete", bytes.NewReader(env))
	req.Header.Set("Origin", origin)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/complete answered %d", res.StatusCode)
	}
}

func (l *bookmarkLogin) wait() int {
	l.t.Helper()
	select {
	case code := <-l.done:
		return code
	case <-time.After(30 * time.Second):
		l.t.Fatal("gdlogin did not end")
		return 0
	}
}

// openedStartPage reports whether gdlogin opened its start page (else the
// organization).
func (l *bookmarkLogin) openedStartPage() bool {
	l.t.Helper()
	switch {
	case strings.HasPrefix(l.opened, l.org.URL()+"/appLogin?redirectTo=/%23gdlogin%3D"):
		return false
	case regexp.MustCompile(`^http://127\.0\.0\.1:\d+/\?k=[\w-]+$`).MatchString(l.opened):
		return true
	}
	l.t.Fatalf("gdlogin opened %s", l.opened)
	return false
}

func bookmarkWorkedOf(t *testing.T, vars map[string]string, name string) time.Time {
	t.Helper()
	st, err := store.Open(store.Options{ConfigDir: vars[EnvConfigDir], Keyring: newMemKeyring()})
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return p.BookmarkWorked
}

// TestReturningUserLogin: the first login opens the start page; once the
// bookmark has worked, the next one opens the organization with the pairing
// and prints the start page's address; --start-page opens the start page;
// a token from the snippet makes the next login open the start page again.
func TestReturningUserLogin(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	vars := isolated(t, nil)
	steps := []struct {
		what       string
		args       []string
		startPage  bool   // gdlogin opens the start page, not the organization
		asBookmark bool   // the token comes from the bookmark, not the snippet
		remembered bool   // the profile then says the bookmark worked
		news       string // what gdlogin says about the next login: "worked", "snippet" or nothing
	}{
		{"first login", nil, true, true, true, "worked"},
		{"returning user", nil, false, true, true, ""},
		{"--start-page, then the snippet", []string{"--start-page"}, true, false, false, "snippet"},
		{"after the snippet", nil, true, true, true, "worked"},
		{"--no-save leaves the profile as it is", []string{"--no-save"}, false, false, true, ""},
		{"returning user again, as profile default", []string{"--profile", "default"}, false, true, true, ""},
		{"another profile", []string{"--profile", "other"}, true, true, true, "worked"},
	}
	for _, s := range steps {
		l := startBookmarkLogin(t, org, vars, s.args...)
		if got := l.openedStartPage(); got != s.startPage {
			t.Fatalf("%s: gdlogin opened %s (start page %t, want %t)\n%s", s.what, l.opened, got, s.startPage, l.stderr.String())
		}
		l.handOver(s.asBookmark)
		if code := l.wait(); code != 0 {
			t.Fatalf("%s: exit %d\n%s", s.what, code, l.stderr.String())
		}
		if tok := strings.TrimSpace(l.stdout.String()); profileOf(t, org, tok).UserID != "john.doe" {
			t.Fatalf("%s: stdout %q", s.what, tok)
		}
		stderr := l.stderr.String()
		for _, news := range []struct {
			says bool
			line string
		}{
			{s.news == "worked", "The bookmark worked: the next login of profile %q opens the organization directly, and you click the bookmark there (gdlogin login --start-page opens the start page instead).\n"},
			{s.news == "snippet", "The token came from the console snippet: the next login of profile %q opens gdlogin's start page again.\n"},
		} {
			if line := fmt.Sprintf(news.line, profileArg(s.args)); strings.Contains(stderr, line) != news.says {
				t.Fatalf("%s: stderr says %q: %t, want %t\n%s", s.what, line, !news.says, news.says, stderr)
			}
		}
		start := regexp.MustCompile(`http://127\.0\.0\.1:\d+/\?k=[\w-]+`).FindString(stderr)
		if s.startPage {
			if start != l.opened || strings.Contains(stderr, "If you have no gdlogin bookmark") {
				t.Fatalf("%s: stderr does not lead with the start page %s:\n%s", s.what, l.opened, stderr)
			}
		} else {
			host := org.URL()
			for _, want := range []string{
				"Opening " + host + " in your browser: click the gdlogin bookmark on that tab (it worked for profile \"default\" on 2026-11-29).\n",
				"If you have no gdlogin bookmark, open " + start + "\n",
				"That page also has the pairing code, if the bookmark asks for one; gdlogin login --start-page opens it first.\n",
			} {
				if start == "" || !strings.Contains(stderr, want) {
					t.Fatalf("%s: stderr lacks %q:\n%s", s.what, want, stderr)
				}
			}
			if strings.Contains(stderr, l.opened) || strings.Contains(stderr, url.QueryEscape(l.pairingCode())) {
				t.Fatalf("%s: stderr shows the organization link with the pairing:\n%s", s.what, stderr)
			}
		}
		name := profileArg(s.args)
		if got := !bookmarkWorkedOf(t, vars, name).IsZero(); got != s.remembered {
			t.Fatalf("%s: profile %s remembers the bookmark: %t, want %t", s.what, name, got, s.remembered)
		}
	}
	data, err := os.ReadFile(filepath.Join(vars[EnvConfigDir], "gdlogin", "config.yaml"))
	if err != nil || strings.Count(string(data), "bookmark_worked: 2026-11-29T18:22:00Z\n") != 2 {
		t.Fatalf("config.yaml (%v):\n%s", err, data)
	}
}

// profileArg is the profile that args name, "default" when none.
func profileArg(args []string) string {
	if len(args) == 2 && args[0] == "--profile" {
		return args[1]
	}
	return "default"
}

func (l *bookmarkLogin) pairingCode() string {
	c, err := l.pairing().Code()
	if err != nil {
		l.t.Fatal(err)
	}
	return c
}

// TestReturningLoginTimesOut: a login that opened the organization and
// timed out without a token makes the next login open the start page, and
// says so; a cancelled one changes nothing.
func TestReturningLoginTimesOut(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	vars := isolated(t, nil)
	l := startBookmarkLogin(t, org, vars)
	l.handOver(true)
	if code := l.wait(); code != 0 {
		t.Fatalf("exit %d\n%s", code, l.stderr.String())
	}

	// Ctrl-C while the organization is open: the bookmark is still trusted.
	env, _, _ := testEnv("", vars)
	errb := &syncBuffer{}
	env.Stderr = errb
	opened := make(chan string, 1)
	env.OpenBrowser = func(u, _ string) error { opened <- u; return nil }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"login", org.URL()}, env) }()
	if u := <-opened; !strings.HasPrefix(u, org.URL()+"/appLogin?") {
		t.Fatalf("opened %s, want the organization", u)
	}
	cancel()
	if code := <-done; code != ExitCancelled {
		t.Fatalf("exit %d, want %d\n%s", code, ExitCancelled, errb.String())
	}
	if bookmarkWorkedOf(t, vars, "default").IsZero() {
		t.Fatal("a cancelled login forgot the bookmark")
	}

	l = startBookmarkLogin(t, org, vars, "--timeout", "2s")
	if l.openedStartPage() {
		t.Fatalf("opened the start page, want the organization")
	}
	if code := l.wait(); code != ExitTimeout {
		t.Fatalf("exit %d, want %d\n%s", code, ExitTimeout, l.stderr.String())
	}
	if want := "No token came from the bookmark: the next login of profile \"default\" opens gdlogin's start page again.\n"; !strings.Contains(l.stderr.String(), want) {
		t.Fatalf("stderr lacks %q:\n%s", want, l.stderr.String())
	}
	if !bookmarkWorkedOf(t, vars, "default").IsZero() {
		t.Fatal("the profile still remembers the bookmark")
	}
	l = startBookmarkLogin(t, org, vars)
	if !l.openedStartPage() {
		t.Fatalf("after the timeout gdlogin opened %s, want the start page", l.opened)
	}
	l.handOver(true)
	if code := l.wait(); code != 0 {
		t.Fatalf("exit %d\n%s", code, l.stderr.String())
	}
	if bookmarkWorkedOf(t, vars, "default").IsZero() {
		t.Fatal("the bookmark from the start page is not remembered")
	}
}

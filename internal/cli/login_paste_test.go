package cli

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gdlogin/gdlogin/internal/browsertest"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/static"
)

// waitFor polls f until it is true or the test gives up.
func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	for i := 0; i < 300; i++ {
		if f() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("gave up waiting for %s", what)
}

// TestPasteModeEndToEnd follows only what gdlogin prints, as a newcomer
// on an SSH-only box would: the link, the bookmark, the confirmation code,
// and a paste through a pipe. A corrupted paste is refused first and the
// prompt goes on.
func TestPasteModeEndToEnd(t *testing.T) {
	browsertest.Require(t)
	org := startOrg(t, orgsim.Options{})
	env, out, _ := testEnv("", isolated(t, nil))
	errb := &syncBuffer{}
	env.Stderr = errb
	stdin, feed := io.Pipe()
	env.Stdin = stdin
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"login", org.URL(), "--remote", "--output", "token"}, env) }()
	defer feed.Close()

	var link, pairing, code string
	waitFor(t, "the paste-mode instructions", func() bool {
		s := errb.String()
		if m := regexp.MustCompile(`(?m)^\s+(http://127\.0\.0\.1:\d+/appLogin\?redirectTo=\S+)$`).FindStringSubmatch(s); m != nil {
			link = m[1]
		}
		if m := regexp.MustCompile(`(?m)^\s+([A-Za-z0-9_-]{100,})$`).FindStringSubmatch(s); m != nil {
			pairing = m[1]
		}
		if m := regexp.MustCompile(`(?m)^Confirmation code: ([A-Z2-7]{6})$`).FindStringSubmatch(s); m != nil {
			code = m[1]
		}
		return link != "" && pairing != "" && code != ""
	})
	if !strings.Contains(link, pairing) {
		t.Fatalf("the printed link does not carry the printed pairing code")
	}

	b := browsertest.New(t, browsertest.Options{PublicHosts: []string{hostOf(org.URL())}})
	l := &browserLogin{t: t, org: org, browser: b}
	l.signIn(link, "john.doe", "demo")
	l.stderr = errb
	l.clickAndConfirm(static.Bookmarklet())
	l.run(l.orgTab, chromedp.WaitVisible(chromedp.CSS(`[data-testid="gdlogin-envelope"]`)))
	pageCode := evalString(t, l.orgTab, `document.querySelector('[data-testid="gdlogin-code"]').textContent.trim()`)
	envelope := evalString(t, l.orgTab, `document.querySelector('[data-testid="gdlogin-envelope"]').value`)
	if pageCode != code {
		t.Fatalf("the page shows confirmation code %q, the terminal %q", pageCode, code)
	}

	// A corrupted paste: one character changed.
	bad := []byte(envelope)
	bad[len(bad)/2] ^= 1
	if _, err := io.WriteString(feed, string(bad)+"\n"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refusal of the corrupted paste", func() bool {
		return strings.Contains(errb.String(), "That is not this login's envelope")
	})
	select {
	case c := <-done:
		t.Fatalf("gdlogin ended (%d) on a corrupted paste", c)
	default:
	}
	if _, err := io.WriteString(feed, "  "+envelope+"  \n"); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-done:
		if c != 0 {
			t.Fatalf("exit %d\n%s", c, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("gdlogin did not finish after the good paste")
	}
	tok := strings.TrimSpace(out.String())
	if profileOf(t, org, tok).UserID != "john.doe" {
		t.Fatal("wrong owner")
	}
	assertNoSecret(t, "stderr", errb.String(), tok)
}

func TestSSHWithoutDisplayChoosesPasteMode(t *testing.T) {
	old := goos
	goos = "linux"
	defer func() { goos = old }()
	cases := []struct {
		vars map[string]string
		want bool
	}{
		{map[string]string{"SSH_CONNECTION": "192.0.2.1 50000 192.0.2.2 22"}, true},
		{map[string]string{"SSH_CONNECTION": "192.0.2.1 50000 192.0.2.2 22", "DISPLAY": "localhost:10.0"}, false},
		{map[string]string{"SSH_CONNECTION": "192.0.2.1 50000 192.0.2.2 22", "WAYLAND_DISPLAY": "wayland-0"}, false},
		{map[string]string{}, false},
	}
	for _, tc := range cases {
		got, why := sshWithoutDisplay(func(k string) string { return tc.vars[k] })
		if got != tc.want || (got && !strings.Contains(why, "SSH_CONNECTION")) {
			t.Errorf("%v: %v %q", tc.vars, got, why)
		}
	}
	goos = "darwin"
	if got, _ := sshWithoutDisplay(func(k string) string { return cases[0].vars[k] }); got {
		t.Error("paste mode chosen on macOS, which has its own display")
	}
	goos = "linux"

	// The login says why, and how to forward a port instead; --remote=false
	// keeps the browser method. An unreachable org ends both quickly.
	vars := map[string]string{"SSH_CONNECTION": "192.0.2.1 50000 192.0.2.2 22"}
	r := run(t, "", vars, "login", "https://analytics.example.invalid", "--timeout", "1s")
	for _, want := range []string{"Using paste mode: you are connected over SSH", "ssh -L 8085:127.0.0.1:8085", "Confirmation code: "} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if r.code != ExitUsage && r.code != ExitTimeout {
		t.Errorf("exit %d", r.code)
	}
	r = run(t, "", vars, "login", "https://analytics.example.invalid", "--timeout", "1s", "--remote=false")
	if strings.Contains(r.stderr, "paste mode") || !strings.Contains(r.stderr, "Opening the login page") {
		t.Errorf("--remote=false: %q", r.stderr)
	}
	r = run(t, "", vars, "login", "https://analytics.example.invalid", "--method", "token")
	if strings.Contains(r.stderr, "paste mode") {
		t.Errorf("--method token chose paste mode: %q", r.stderr)
	}
}

package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/poll"
)

// testInstallationKey signs the pairings of these tests, as gdlogin's own
// installation key does.
var testInstallationKey = func() *handoff.InstallationKey {
	k, err := handoff.NewInstallationKey(nil)
	if err != nil {
		panic(err)
	}
	return k
}()

const (
	testOrg   = "https://analytics.example.com"
	goodToken = "am9obi5kb2U6dDE6Z29vZA=="
)

type fixture struct {
	srv    *Server
	sess   *handoff.Session
	origin string
	mu     sync.Mutex
	events []Event
	// callbacks counts the CallbackOpened calls.
	callbacks atomic.Int32
}

func (f *fixture) eventKinds() []EventKind {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []EventKind
	for _, e := range f.events {
		out = append(out, e.Kind)
	}
	return out
}

// newFixture starts a login whose verifier accepts goodToken for john.doe.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	sess, err := handoff.NewSession(port, "gdlogin-test", testOrg, testInstallationKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{sess: sess}
	srv, err := New(Config{
		Listener:    ln,
		Session:     sess,
		Org:         testOrg,
		OpenOrgURL:  testOrg + "/appLogin?redirectTo=/%23gdlogin%3D" + sess.PairingCode(),
		Bookmarklet: "javascript:void%200",
		Snippet:     "(snippet)",
		Grace:       200 * time.Millisecond,
		Verify: func(ctx context.Context, p handoff.Payload) (*gooddata.Profile, error) {
			if p.Token != goodToken {
				return nil, errors.New("the token is not valid for this organization")
			}
			return &gooddata.Profile{UserID: "john.doe", Name: "John Doe", OrganizationName: "Example Analytics"}, nil
		},
		Events: func(e Event) {
			f.mu.Lock()
			f.events = append(f.events, e)
			f.mu.Unlock()
		},
		CallbackOpened: func() { f.callbacks.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
	})
	f.srv, f.origin = srv, srv.Origin()
	return f
}

func (f *fixture) envelope(t *testing.T, token, origin string) []byte {
	t.Helper()
	env, err := handoff.Seal(f.sess.Pairing(), handoff.Payload{Token: token, TokenID: "gdlogin-test", UserID: "john.doe", Origin: origin}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

type answer struct {
	code   int
	header http.Header
	body   string
	status status
}

func (f *fixture) do(t *testing.T, method, path string, body []byte, hdr map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, f.origin+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := answer{code: res.StatusCode, header: res.Header, body: string(b)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(b, &a.status)
	}
	return a
}

func (f *fixture) post(t *testing.T, body []byte) answer {
	return f.do(t, http.MethodPost, "/complete", body, map[string]string{
		"Content-Type": "application/json", "Origin": f.origin, "Sec-Fetch-Site": "same-origin"})
}

func TestListenerMustBeLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Skip(err)
	}
	defer ln.Close()
	sess, _ := handoff.NewSession(1, "x", testOrg, testInstallationKey, nil)
	_, err = New(Config{Listener: ln, Session: sess, Verify: func(context.Context, handoff.Payload) (*gooddata.Profile, error) { return nil, nil }})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("New accepted %s: %v", ln.Addr(), err)
	}
}

var nonceRe = regexp.MustCompile(`script-src 'nonce-([A-Za-z0-9_-]{22})'`)

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	f := newFixture(t)
	key := strings.SplitN(f.srv.StartURL(), "?k=", 2)[1]
	nonces := map[string]bool{}
	for _, path := range []string{"/?k=" + key, "/callback", "/nothing-here", "/static/app.css", "/?k=wrong", "/status?k=" + key + "&v=99"} {
		method := http.MethodGet
		if strings.HasPrefix(path, "/status") {
			// answered at once: the page is ahead of the server
			path = "/status?k=" + key + "&v=0"
		}
		a := f.do(t, method, path, nil, nil)
		csp := a.header.Get("Content-Security-Policy")
		m := nonceRe.FindStringSubmatch(csp)
		if m == nil {
			t.Fatalf("%s: CSP %q has no nonce", path, csp)
		}
		nonces[m[1]] = true
		want := "default-src 'none'; script-src 'nonce-" + m[1] + "'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
		if csp != want {
			t.Errorf("%s: CSP\n %q, want\n %q", path, csp, want)
		}
		for h, v := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Cross-Origin-Opener-Policy": "same-origin"} {
			if a.header.Get(h) != v {
				t.Errorf("%s: %s = %q, want %q", path, h, a.header.Get(h), v)
			}
		}
		for h := range a.header {
			if strings.HasPrefix(h, "Access-Control-") {
				t.Errorf("%s: CORS header %s", path, h)
			}
		}
		if strings.Contains(a.body, "<script") {
			for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(a.body, -1) {
				if !strings.Contains(tag, `nonce="`+m[1]+`"`) {
					t.Errorf("%s: script tag without this request's nonce: %s", path, tag)
				}
			}
		}
	}
	if len(nonces) != 6 {
		t.Errorf("nonces repeat across requests: %v", nonces)
	}
}

func TestStartPageNeedsItsKey(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/", "/?k=", "/?k=guess"} {
		if a := f.do(t, http.MethodGet, path, nil, nil); a.code != http.StatusForbidden || !strings.Contains(a.body, "link that gdlogin printed") && !strings.Contains(a.body, "full link") {
			t.Errorf("%s: %d %q", path, a.code, a.body)
		}
	}
	a := f.do(t, http.MethodGet, strings.TrimPrefix(f.srv.StartURL(), f.origin), nil, nil)
	if a.code != 200 {
		t.Fatalf("start page: %d", a.code)
	}
	for _, hook := range []string{`data-testid="open-org"`, `data-testid="bookmarklet"`, `data-testid="snippet"`, `data-testid="pairing"`, `data-testid="status"`, `data-state="waiting"`, f.sess.PairingCode()} {
		if !strings.Contains(a.body, hook) {
			t.Errorf("start page lacks %s", hook)
		}
	}
	// Reloading works.
	if again := f.do(t, http.MethodGet, strings.TrimPrefix(f.srv.StartURL(), f.origin), nil, nil); again.code != 200 {
		t.Fatalf("reload: %d", again.code)
	}
}

func TestHostCheck(t *testing.T) {
	f := newFixture(t)
	port := strings.TrimPrefix(f.origin, "http://127.0.0.1:")
	for _, host := range []string{"evil.example:" + port, "localhost:" + port, "127.0.0.1", "127.0.0.1:1", "[::1]:" + port} {
		a := f.do(t, http.MethodGet, "/callback", nil, map[string]string{"Host": host})
		if a.code != http.StatusMisdirectedRequest || !strings.Contains(a.body, "only answers at "+f.origin) {
			t.Errorf("Host %s: %d", host, a.code)
		}
	}
}

// TestJunkNeverEndsTheLogin sends every kind of bad request, then the
// genuine one, which must still succeed; afterwards replays get 410.
func TestJunkNeverEndsTheLogin(t *testing.T) {
	f := newFixture(t)
	port := strings.TrimPrefix(f.origin, "http://127.0.0.1:")
	good := f.envelope(t, goodToken, testOrg)
	other, _ := handoff.NewSession(1234, "gdlogin-test", testOrg, testInstallationKey, nil)
	foreign, _ := handoff.Seal(other.Pairing(), handoff.Payload{Token: goodToken, TokenID: "x", UserID: "john.doe", Origin: testOrg}, nil)
	json := map[string]string{"Content-Type": "application/json", "Origin": f.origin}
	with := func(k, v string) map[string]string {
		m := map[string]string{"Content-Type": "application/json", "Origin": f.origin}
		m[k] = v
		return m
	}
	cases := []struct {
		name   string
		method string
		body   []byte
		hdr    map[string]string
		code   int
	}{
		{"wrong host", "POST", good, with("Host", "evil.example:"+port), 421},
		{"GET", "GET", nil, json, 405},
		{"OPTIONS", "OPTIONS", nil, with("Access-Control-Request-Method", "POST"), 405},
		{"PUT", "PUT", good, json, 405},
		{"no origin", "POST", good, map[string]string{"Content-Type": "application/json"}, 403},
		{"foreign origin", "POST", good, with("Origin", "https://evil.example"), 403},
		{"null origin", "POST", good, with("Origin", "null"), 403},
		{"localhost origin", "POST", good, with("Origin", "http://localhost:"+port), 403},
		{"cross-site fetch", "POST", good, with("Sec-Fetch-Site", "cross-site"), 403},
		{"text/plain", "POST", good, with("Content-Type", "text/plain"), 415},
		{"form", "POST", good, with("Content-Type", "application/x-www-form-urlencoded"), 415},
		{"oversized", "POST", append([]byte(`{"v":1,"x":"`), bytes.Repeat([]byte("a"), MaxBody+10)...), json, 413},
		{"not json", "POST", []byte("hello"), json, 400},
		{"bad state", "POST", foreign, json, 400},
		{"other org", "POST", f.envelope(t, goodToken, "https://evil.example"), json, 400},
		{"token the org rejects", "POST", f.envelope(t, "bm9wZQ==", testOrg), json, 422},
	}
	for _, tc := range cases {
		a := f.do(t, tc.method, "/complete", tc.body, tc.hdr)
		if a.code != tc.code {
			t.Errorf("%s: %d, want %d (%s)", tc.name, a.code, tc.code, a.body)
		}
		if a.code == 200 || a.status.State == "success" {
			t.Fatalf("%s was accepted", tc.name)
		}
		if strings.Contains(a.body, goodToken) {
			t.Fatalf("%s: answer echoes the token", tc.name)
		}
		select {
		case <-f.srv.Done():
			t.Fatalf("%s ended the login", tc.name)
		default:
		}
	}
	if a := f.do(t, "OPTIONS", "/complete", nil, json); a.header.Get("Access-Control-Allow-Origin") != "" || a.header.Get("Allow") == "" {
		t.Errorf("OPTIONS headers %v", a.header)
	}

	a := f.post(t, good)
	if a.code != 200 || a.status.State != "success" || !strings.Contains(a.status.Message, "John Doe (john.doe)") {
		t.Fatalf("genuine envelope: %d %+v", a.code, a.status)
	}
	<-f.srv.Done()
	res, err := f.srv.Result()
	if err != nil || res.Payload.Token != goodToken || res.Profile.UserID != "john.doe" {
		t.Fatalf("result %v %v", res, err)
	}
	if a := f.post(t, good); a.code != http.StatusGone {
		t.Errorf("replay: %d", a.code)
	}
	if a := f.do(t, "GET", "/callback", nil, nil); a.code != http.StatusGone || !strings.Contains(a.body, "finished") {
		t.Errorf("callback after success: %d", a.code)
	}
	kinds := f.eventKinds()
	if kinds[len(kinds)-1] != EventCommitted {
		t.Errorf("events %v", kinds)
	}
}

func TestOnlyOneOfConcurrentGenuineRequestsCommits(t *testing.T) {
	f := newFixture(t)
	good := f.envelope(t, goodToken, testOrg)
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i] = f.post(t, good).code
		}(i)
	}
	wg.Wait()
	ok, gone := 0, 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 410:
			gone++
		}
	}
	if ok != 1 || gone != len(codes)-1 {
		t.Fatalf("codes %v", codes)
	}
}

func TestStatusLongPoll(t *testing.T) {
	f := newFixture(t)
	key := strings.SplitN(f.srv.StartURL(), "?k=", 2)[1]
	if a := f.do(t, "GET", "/status?k=nope&v=0", nil, nil); a.code != 403 {
		t.Fatalf("status without key: %d", a.code)
	}
	first := f.do(t, "GET", "/status?k="+key+"&v=0", nil, nil)
	if first.status.State != "waiting" || first.status.Version == 0 {
		t.Fatalf("first %+v", first.status)
	}
	got := make(chan status, 1)
	go func() {
		got <- f.do(t, "GET", "/status?k="+key+"&v="+strconv.Itoa(first.status.Version), nil, nil).status
	}()
	f.post(t, f.envelope(t, goodToken, testOrg))
	// A poll that answered without waiting for a change would carry the
	// first version, still waiting.
	s := <-got
	if s.State != "success" || s.Version <= first.status.Version || !strings.Contains(s.Message, "john.doe") {
		t.Fatalf("after commit %+v (first %+v)", s, first.status)
	}
	select {
	case <-f.srv.delivered:
	default:
		t.Fatal("delivering the final status was not noticed")
	}
}

func TestFailShowsWhyAndClosesCompletion(t *testing.T) {
	f := newFixture(t)
	key := strings.SplitN(f.srv.StartURL(), "?k=", 2)[1]
	f.srv.Fail(context.DeadlineExceeded, "gdlogin stopped waiting: the login timed out.", "Run it again.")
	<-f.srv.Done()
	if _, err := f.srv.Result(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	s := f.do(t, "GET", "/status?k="+key+"&v=0", nil, nil).status
	if s.State != "error" || !strings.Contains(s.Message, "timed out") {
		t.Fatalf("status %+v", s)
	}
	if a := f.post(t, f.envelope(t, goodToken, testOrg)); a.code != http.StatusGone {
		t.Fatalf("complete after failure: %d", a.code)
	}
	if a := f.do(t, "GET", "/?k="+key, nil, nil); !strings.Contains(a.body, `data-state="error"`) {
		t.Fatal("start page does not show the failure")
	}
}

// TestWaitStatusDeliveredThenClose: the wait ends when the start page's
// long poll carried the final status, not before; Close then closes the
// listener.
func TestWaitStatusDeliveredThenClose(t *testing.T) {
	f := newFixture(t)
	key := strings.TrimPrefix(f.srv.StartURL(), f.origin+"/?k=")
	first := f.do(t, "GET", "/status?k="+key+"&v=0", nil, nil).status
	polled := make(chan status, 1)
	go func() {
		polled <- f.do(t, "GET", "/status?k="+key+"&v="+strconv.Itoa(first.Version), nil, nil).status
	}()
	f.srv.Fail(context.DeadlineExceeded, "gdlogin stopped waiting: the login timed out.", "")
	// Grace is 200ms in the fixture; a page that got the status ends the
	// wait with nil, a grace that ran out with an error.
	st := <-polled
	if st.State != "error" || st.Message != "gdlogin stopped waiting: the login timed out." {
		t.Fatalf("the long poll got %+v", st)
	}
	if err := f.srv.WaitStatusDelivered(context.Background()); err != nil {
		t.Fatalf("WaitStatusDelivered after delivery: %v", err)
	}
	if err := f.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(f.origin, "http://"), time.Second); err == nil {
		c.Close()
		t.Fatal("listener still accepts connections after Close")
	}
}

func TestWaitStatusDeliveredGivesUpAfterGrace(t *testing.T) {
	f := newFixture(t)
	f.srv.Fail(context.Canceled, "cancelled", "")
	if err := f.srv.WaitStatusDelivered(context.Background()); err == nil || !strings.Contains(err.Error(), "grace period") {
		t.Fatalf("nobody polled, but WaitStatusDelivered said %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.srv.WaitStatusDelivered(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("with a done context: %v", err)
	}
}

func TestAssetsAndUnknownPaths(t *testing.T) {
	f := newFixture(t)
	for path, ct := range map[string]string{"/static/app.css": "text/css", "/static/start.js": "text/javascript", "/static/callback.js": "text/javascript", "/static/ui.js": "text/javascript"} {
		a := f.do(t, "GET", path, nil, nil)
		if a.code != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), ct) || len(a.body) < 100 {
			t.Errorf("%s: %d %s", path, a.code, a.header.Get("Content-Type"))
		}
	}
	for _, path := range []string{"/static/handoff.js", "/static/../go.mod", "/static/", "/.git/config"} {
		if a := f.do(t, "GET", path, nil, nil); a.code != 404 {
			t.Errorf("%s: %d", path, a.code)
		}
	}
	if a := f.do(t, "GET", "/nowhere", nil, map[string]string{"Accept": "text/html"}); !strings.Contains(a.body, "<title>Nothing here · gdlogin</title>") {
		t.Errorf("404 page: %q", a.body)
	}
}

func TestReportEndsTheLogin(t *testing.T) {
	f := newFixture(t)
	msg := "Jane Roe (jane.roe) may not create API tokens: an admin must grant the SELF_CREATE_TOKEN permission"
	env, err := handoff.Seal(f.sess.Pairing(), handoff.Payload{Error: msg, UserID: "jane.roe", Origin: testOrg}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := f.post(t, env)
	if a.code != 200 || a.status.State != "error" || a.status.Message != msg {
		t.Fatalf("%d %+v", a.code, a.status)
	}
	<-f.srv.Done()
	_, rerr := f.srv.Result()
	var re *ReportedError
	if !errors.As(rerr, &re) || re.UserID != "jane.roe" || !strings.Contains(rerr.Error(), "SELF_CREATE_TOKEN") {
		t.Fatalf("result error %v", rerr)
	}
	if kinds := f.eventKinds(); kinds[len(kinds)-1] != EventReported {
		t.Fatalf("events %v", kinds)
	}
}

// TestServeFailureEndsTheLogin: when the listener dies under the server,
// the login ends with that error instead of waiting for its deadline.
func TestServeFailureEndsTheLogin(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sess, _ := handoff.NewSession(ln.Addr().(*net.TCPAddr).Port, "x", testOrg, testInstallationKey, nil)
	srv, err := New(Config{Listener: ln, Session: sess, Org: testOrg,
		Verify: func(context.Context, handoff.Payload) (*gooddata.Profile, error) { return nil, errors.New("unused") }})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	// Closed before or after Serve took it, the listener ends the login.
	ln.Close()
	select {
	case <-srv.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the login did not end when its listener died")
	}
	if _, err := srv.Result(); err == nil || !strings.Contains(err.Error(), "local server on "+strings.TrimPrefix(srv.Origin(), "http://")+" stopped") {
		t.Fatalf("result error %v", err)
	}
}

// TestStartPageLeadsWithWhatRunsInTheBrowser: Safari and the other
// WebKit-only browsers get the console snippet first, with the steps to
// Safari's console; Chromium-based browsers and Firefox get the bookmark.
func TestStartPageLeadsWithWhatRunsInTheBrowser(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, ua, way string
	}{
		{"Safari on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Safari/605.1.15", "snippet"},
		{"Safari on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Mobile/15E148 Safari/604.1", "snippet"},
		{"Chrome on iPhone (WebKit)", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/133.0.6943.84 Mobile/15E148 Safari/604.1", "snippet"},
		{"WebKitGTK MiniBrowser", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15", "snippet"},
		{"Chrome", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36", "bookmark"},
		{"Edge", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36 Edg/133.0.3065.69", "bookmark"},
		{"Firefox", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "bookmark"},
		{"no User-Agent", "", "bookmark"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := f.do(t, http.MethodGet, strings.TrimPrefix(f.srv.StartURL(), f.origin), nil, map[string]string{"User-Agent": tc.ua})
			if a.code != 200 {
				t.Fatalf("start page: %d", a.code)
			}
			if !strings.Contains(a.body, `data-testid="run-step" data-way="`+tc.way+`"`) {
				t.Errorf("the page does not lead with the %s", tc.way)
			}
			safari := strings.Contains(a.body, `data-testid="safari-console-steps"`)
			if safari != (tc.way == "snippet") {
				t.Errorf("Safari's console steps shown: %v", safari)
			}
			if tc.way == "snippet" {
				for _, want := range []string{"Settings → Advanced", "Show features for web developers", "Develop → Show JavaScript Console", "Safari does not run bookmarks"} {
					if !strings.Contains(a.body, want) {
						t.Errorf("lacks %q", want)
					}
				}
				if strings.Index(a.body, `data-testid="snippet"`) > strings.Index(a.body, `data-testid="bookmarklet"`) {
					t.Error("the bookmark comes before the snippet")
				}
			} else {
				if !strings.Contains(a.body, "allow pasting") {
					t.Error("the snippet lacks the allow pasting note")
				}
				if strings.Index(a.body, `data-testid="bookmarklet"`) > strings.Index(a.body, `data-testid="snippet"`) {
					t.Error("the snippet comes before the bookmark")
				}
			}
			for _, hook := range []string{`data-testid="bookmarklet"`, `data-testid="snippet"`, `data-testid="pairing"`} {
				if strings.Count(a.body, hook) != 1 {
					t.Errorf("%s appears %d times", hook, strings.Count(a.body, hook))
				}
			}
		})
	}
}

// TestCallbackPageTellsTheLoginTheTokenIsNear: serving the callback page
// calls CallbackOpened, where the login warms its connection to the
// organization for the verification.
func TestCallbackPageTellsTheLoginTheTokenIsNear(t *testing.T) {
	f := newFixture(t)
	if a := f.do(t, "GET", "/callback", nil, nil); a.code != http.StatusOK {
		t.Fatalf("callback page: %d", a.code)
	}
	poll.Until(t, "CallbackOpened", func() bool { return f.callbacks.Load() >= 1 })
	if n := f.callbacks.Load(); n != 1 {
		t.Errorf("CallbackOpened called %d times, want 1", n)
	}
}

// TestCallbackAnswerIsDeliveryWithoutStartPage: when gdlogin opened the
// organization directly and no start page was ever loaded, the callback
// page's answer is the delivery of the outcome, and the server need not
// wait out its grace period; once the start page was loaded, it waits for
// the start page's long poll as before.
func TestCallbackAnswerIsDeliveryWithoutStartPage(t *testing.T) {
	for _, loadStart := range []bool{false, true} {
		t.Run(fmt.Sprintf("start page loaded %t", loadStart), func(t *testing.T) {
			f := newFixture(t)
			if loadStart {
				if a := f.do(t, "GET", strings.TrimPrefix(f.srv.StartURL(), f.origin), nil, nil); a.code != http.StatusOK {
					t.Fatalf("start page: %d", a.code)
				}
			}
			if a := f.post(t, f.envelope(t, goodToken, testOrg)); a.code != http.StatusOK || a.status.State != "success" {
				t.Fatalf("/complete: %d %+v", a.code, a.status)
			}
			err := f.srv.WaitStatusDelivered(context.Background())
			if loadStart && (err == nil || !strings.Contains(err.Error(), "grace period")) {
				t.Fatalf("with a start page that did not poll, WaitStatusDelivered = %v", err)
			}
			if !loadStart && err != nil {
				t.Fatalf("without a start page, WaitStatusDelivered = %v", err)
			}
		})
	}
}

package oidcflow

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/httpclient"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/internal/poll"
)

// startIdP starts an emulated organization and its identity provider.
func startIdP(t *testing.T, o orgsim.IdPOptions) (*orgsim.Server, *orgsim.IdP) {
	t.Helper()
	org, err := orgsim.Start(orgsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { org.Close() })
	idp, err := orgsim.StartIdP(org, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idp.Close() })
	return org, idp
}

// recorder keeps the events of a flow.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) add(ev Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *recorder) kinds() []EventKind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ks []EventKind
	for _, ev := range r.events {
		ks = append(ks, ev.Kind)
	}
	return ks
}

func listen(t *testing.T, port int) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// startFlow starts a login against idp with the public client.
func startFlow(t *testing.T, idp *orgsim.IdP, edit func(*Config)) (*Flow, *recorder) {
	t.Helper()
	rec := &recorder{}
	cfg := Config{Issuer: idp.Issuer(), ClientID: idp.ClientID(), Listener: listen(t, 0), Events: rec.add, Grace: -1}
	if edit != nil {
		edit(&cfg)
	}
	f, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, rec
}

// browser is a minimal user agent: cookies, redirects, forms.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

type page struct {
	status int
	url    string
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, url: resp.Request.URL.String(), body: string(body)}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

var (
	csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	reqField  = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)
	stateAttr = regexp.MustCompile(`data-state="([a-z]+)"`)
)

// signIn opens the start URL, which leads to the identity provider's
// sign-in form, and submits it with action "signin" or "cancel". It
// returns the page the browser ends on.
func (b *browser) signIn(f *Flow, user, password, action string) page {
	b.t.Helper()
	form := b.get(f.StartURL())
	if form.status != http.StatusOK || !strings.Contains(form.body, `data-testid="idp-login-form"`) {
		b.t.Fatalf("no sign-in form: %d %s\n%s", form.status, form.url, form.body)
	}
	csrf, id := csrfField.FindStringSubmatch(form.body), reqField.FindStringSubmatch(form.body)
	if csrf == nil || id == nil {
		b.t.Fatalf("sign-in form without its hidden fields:\n%s", form.body)
	}
	u, _ := url.Parse(form.url)
	v := url.Values{"_csrf": {csrf[1]}, "authRequestID": {id[1]}, "username": {user}, "password": {password}, "action": {action}}
	req, _ := http.NewRequest(http.MethodPost, u.Scheme+"://"+u.Host+"/login", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func pageState(p page) string {
	m := stateAttr.FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return m[1]
}

func wait(t *testing.T, f *Flow) (*Tokens, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return f.Wait(ctx)
}

func assertWaiting(t *testing.T, f *Flow) {
	t.Helper()
	select {
	case <-f.Done():
		_, err := f.Wait(context.Background())
		t.Fatalf("the login ended: %v", err)
	default:
	}
}

func TestLoginSucceedsAndTheIDTokenIsABearer(t *testing.T) {
	org, idp := startIdP(t, orgsim.IdPOptions{})
	f, rec := startFlow(t, idp, nil)
	b := newBrowser(t)
	p := b.signIn(f, "john.doe", "demo", "signin")
	if p.status != http.StatusOK || pageState(p) != "success" || !strings.Contains(p.body, "Signed in as John Doe (john.doe).") {
		t.Fatalf("callback page: %d %s\n%s", p.status, p.url, p.body)
	}
	if !strings.HasPrefix(p.url, f.RedirectURL()+"?") {
		t.Errorf("the browser ended on %s", p.url)
	}
	tok, err := wait(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Subject != "john.doe" || tok.Name != "John Doe" || tok.Issuer != idp.Issuer() {
		t.Errorf("tokens %+v", tok)
	}
	if tok.KeyID != idp.KeyID() || tok.Algorithm != "RS256" || tok.Type != "JWT" {
		t.Errorf("ID token header kid=%q alg=%q typ=%q", tok.KeyID, tok.Algorithm, tok.Type)
	}
	if tok.RefreshToken != "" {
		t.Error("a refresh token without offline_access")
	}
	if d := time.Until(tok.Expiry); d < 50*time.Minute || d > 61*time.Minute {
		t.Errorf("expiry in %s", d)
	}
	if s := fmt.Sprintf("%v %+v %#v", tok, tok, tok); strings.Contains(s, tok.IDToken.Reveal()) {
		t.Error("formatting Tokens shows the ID token")
	}
	// The organization accepts the ID token as a bearer (SPEC 1).
	c, err := gooddata.New(org.URL(), tok.IDToken.Reveal(), gooddata.Options{})
	if err != nil {
		t.Fatal(err)
	}
	prof, err := c.Profile(context.Background())
	if err != nil || prof.UserID != "john.doe" {
		t.Fatalf("profile with the ID token: %v %+v", prof, err)
	}
	// Committed once: the callback and the start URL now answer 410.
	if again := b.get(p.url); again.status != http.StatusGone || pageState(again) != "success" {
		t.Errorf("callback after success: %d %s", again.status, pageState(again))
	}
	if again := b.get(f.StartURL()); again.status != http.StatusGone {
		t.Errorf("start URL after success: %d", again.status)
	}
	if got := rec.kinds(); !slices.Equal(got, []EventKind{EventOpened, EventReceived, EventCommitted}) {
		t.Errorf("events %v", got)
	}
	if idp.CodeExchanges() != 1 {
		t.Errorf("%d code exchanges", idp.CodeExchanges())
	}
}

func TestAuthorizationRequestCarriesPKCEStateNonceAndLoopbackRedirect(t *testing.T) {
	_, idp := startIdP(t, orgsim.IdPOptions{})
	f, _ := startFlow(t, idp, func(c *Config) { c.Scopes = []string{"profile", "email"} })
	u, err := url.Parse(f.AuthURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	redirect, _ := url.Parse(q.Get("redirect_uri"))
	if redirect == nil || redirect.Scheme != "http" || redirect.Hostname() != "127.0.0.1" || redirect.Path != "/callback" || redirect.Port() == "" {
		t.Errorf("redirect_uri %q", q.Get("redirect_uri"))
	}
	if q.Get("redirect_uri") != f.RedirectURL() || !strings.HasPrefix(f.StartURL(), "http://127.0.0.1:"+redirect.Port()+"/") {
		t.Errorf("redirect %s, start %s: not one listener", f.RedirectURL(), f.StartURL())
	}
	for k, want := range map[string]string{"response_type": "code", "client_id": "gdlogin", "code_challenge_method": "S256", "scope": "openid profile email"} {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, q.Get(k), want)
		}
	}
	sum := sha256.Sum256([]byte(f.pkce))
	if q.Get("code_challenge") != base64.RawURLEncoding.EncodeToString(sum[:]) {
		t.Error("code_challenge is not S256 of the verifier")
	}
	if len(q.Get("state")) < 43 || len(q.Get("nonce")) < 43 || q.Get("state") == q.Get("nonce") {
		t.Errorf("state %q, nonce %q: want 32 random bytes each", q.Get("state"), q.Get("nonce"))
	}
	if q.Has("client_secret") || strings.Contains(f.AuthURL(), f.pkce) {
		t.Error("a secret is in the authorization URL")
	}

	// What the identity provider received is the same request.
	b := newBrowser(t)
	b.signIn(f, "john.doe", "demo", "signin")
	if _, err := wait(t, f); err != nil {
		t.Fatal(err)
	}
	got := idp.AuthRequests()
	if len(got) != 1 {
		t.Fatalf("%d authorization requests", len(got))
	}
	r := got[0]
	if r.CodeChallengeMethod != "S256" || r.CodeChallenge != q.Get("code_challenge") || r.State != q.Get("state") ||
		r.Nonce != q.Get("nonce") || r.RedirectURI != f.RedirectURL() || r.ClientID != "gdlogin" || r.ResponseType != "code" {
		t.Errorf("the identity provider received %+v", r)
	}

	// Every run is fresh.
	f2, _ := startFlow(t, idp, nil)
	q2, _ := url.ParseQuery(strings.SplitN(f2.AuthURL(), "?", 2)[1])
	for _, k := range []string{"state", "nonce", "code_challenge", "redirect_uri"} {
		if q2.Get(k) == q.Get(k) {
			t.Errorf("%s repeats across runs", k)
		}
	}
}

func TestJunkCallbacksAreAnsweredAndTheLoginKeepsWaiting(t *testing.T) {
	_, idp := startIdP(t, orgsim.IdPOptions{})
	f, rec := startFlow(t, idp, nil)
	b := newBrowser(t)
	cb := f.RedirectURL()
	for _, tc := range []struct {
		name, url string
		status    int
	}{
		{"wrong state", cb + "?code=forged&state=forged", http.StatusBadRequest},
		{"no state", cb + "?code=forged", http.StatusBadRequest},
		{"wrong state with an error", cb + "?error=access_denied&state=forged", http.StatusBadRequest},
		{"empty", cb, http.StatusBadRequest},
		{"unknown path", strings.TrimSuffix(f.StartURL(), "/") + "/complete", http.StatusNotFound},
	} {
		p := b.get(tc.url)
		if p.status != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, p.status, tc.status)
		}
		if tc.status == http.StatusBadRequest && (pageState(p) != "waiting" || !strings.Contains(p.body, `data-testid="retry" href="`+f.StartURL()+`"`)) {
			t.Errorf("%s: page does not say that gdlogin still waits:\n%s", tc.name, p.body)
		}
		if strings.Contains(p.body, f.state) || strings.Contains(p.body, f.nonce) {
			t.Fatalf("%s: the page shows the expected state or nonce", tc.name)
		}
		assertWaiting(t, f)
	}
	// The right state without a code is junk too.
	if p := b.get(cb + "?state=" + url.QueryEscape(f.state)); p.status != http.StatusBadRequest {
		t.Errorf("no code: %d", p.status)
	}
	// A code the provider never issued: refused by the token endpoint, and
	// the login still waits.
	if p := b.get(cb + "?code=forged&state=" + url.QueryEscape(f.state)); p.status != http.StatusBadGateway || pageState(p) != "waiting" {
		t.Errorf("forged code: %d %s", p.status, pageState(p))
	}
	assertWaiting(t, f)

	// The genuine sign-in still succeeds.
	p := b.signIn(f, "john.doe", "demo", "signin")
	if pageState(p) != "success" {
		t.Fatalf("genuine sign-in: %d\n%s", p.status, p.body)
	}
	if tok, err := wait(t, f); err != nil || tok.Subject != "john.doe" {
		t.Fatalf("%+v %v", tok, err)
	}
	n := 0
	for _, k := range rec.kinds() {
		if k == EventRejected {
			n++
		}
	}
	if n < 6 {
		t.Errorf("%d rejections reported: %v", n, rec.kinds())
	}
}

func TestLoopbackHardening(t *testing.T) {
	_, idp := startIdP(t, orgsim.IdPOptions{})
	f, _ := startFlow(t, idp, nil)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, u string, edit func(*http.Request)) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, u, nil)
		if edit != nil {
			edit(req)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	// The start URL redirects to the identity provider, with SPEC 4's headers.
	resp := do(http.MethodGet, f.StartURL(), nil)
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != f.AuthURL() {
		t.Fatalf("start: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'nonce-", "form-action 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "Cross-Origin-Opener-Policy": "same-origin"} {
		if resp.Header.Get(h) != want {
			t.Errorf("%s: %q", h, resp.Header.Get(h))
		}
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS header")
	}
	// DNS rebinding: another Host is refused.
	if r := do(http.MethodGet, f.RedirectURL()+"?code=x&state="+f.state, func(r *http.Request) { r.Host = "evil.example.com:" + strings.Split(f.base.Host, ":")[1] }); r.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("wrong Host: %d", r.StatusCode)
	}
	if r := do(http.MethodGet, f.StartURL(), func(r *http.Request) { r.Host = "localhost:" + strings.Split(f.base.Host, ":")[1] }); r.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("localhost Host: %d", r.StatusCode)
	}
	if r := do(http.MethodOptions, f.RedirectURL(), nil); r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("OPTIONS: %d", r.StatusCode)
	}
	if r := do(http.MethodPost, f.RedirectURL(), nil); r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", r.StatusCode)
	}
	if r := do(http.MethodGet, f.StartURL()+"static/app.css", nil); r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Errorf("app.css: %d", r.StatusCode)
	}
	assertWaiting(t, f)
}

func TestProviderErrorEndsTheLogin(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   orgsim.IdPOptions
		action string
		desc   string
	}{
		{"the user cancels", orgsim.IdPOptions{}, "cancel", "The user cancelled the sign-in."},
		{"the provider denies the user", orgsim.IdPOptions{Deny: true}, "signin", "john.doe has not been given access to gdlogin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, idp := startIdP(t, tc.opts)
			f, rec := startFlow(t, idp, nil)
			p := newBrowser(t).signIn(f, "john.doe", "demo", tc.action)
			if p.status != http.StatusForbidden || pageState(p) != "error" || !strings.Contains(p.body, "access_denied") {
				t.Fatalf("page %d %s:\n%s", p.status, pageState(p), p.body)
			}
			_, err := wait(t, f)
			var pe *ProviderError
			if !errors.As(err, &pe) || pe.Code != "access_denied" || !strings.Contains(pe.Description, tc.desc) {
				t.Fatalf("error %v", err)
			}
			if !strings.Contains(err.Error(), "access_denied") || pe.Hint() == "" {
				t.Errorf("error text %q hint %q", err, pe.Hint())
			}
			if ks := rec.kinds(); ks[len(ks)-1] != EventFailed {
				t.Errorf("events %v", ks)
			}
		})
	}
}

func TestUnacceptableIDTokensAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts orgsim.IdPOptions
		want string
	}{
		{"expired", orgsim.IdPOptions{ExpiredIDTokens: true}, "it expired at"},
		{"another audience", orgsim.IdPOptions{IDTokenAudience: "another-app"}, `it is for the audience another-app, not for the client "gdlogin"`},
		{"wrong nonce", orgsim.IdPOptions{WrongNonce: true}, "its nonce is not the one this login sent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, idp := startIdP(t, tc.opts)
			f, _ := startFlow(t, idp, nil)
			p := newBrowser(t).signIn(f, "john.doe", "demo", "signin")
			if pageState(p) != "error" || !strings.Contains(p.body, "ID token was refused") {
				t.Fatalf("page %d:\n%s", p.status, p.body)
			}
			tok, err := wait(t, f)
			var te *TokenError
			if tok != nil || !errors.As(err, &te) || !strings.Contains(err.Error(), tc.want) || te.Hint() == "" {
				t.Fatalf("got %v, %v; want a TokenError with %q", tok, err, tc.want)
			}
		})
	}
	// Wrong issuer: the flow is pointed at the provider under another name.
	t.Run("issuer", func(t *testing.T) {
		_, idp := startIdP(t, orgsim.IdPOptions{})
		cfg := Config{Issuer: idp.Issuer() + "/", ClientID: "gdlogin", Listener: listen(t, 0)}
		if _, err := Start(context.Background(), cfg); err == nil {
			t.Fatal("discovery accepted an issuer that the document does not name")
		}
	})
}

func TestUseDecidesTheOutcome(t *testing.T) {
	_, idp := startIdP(t, orgsim.IdPOptions{})
	f, _ := startFlow(t, idp, func(c *Config) {
		c.Use = func(_ context.Context, tk *Tokens) (string, error) {
			return "", &TokenError{Reason: "the organization refused it", hint: "register the key " + tk.KeyID}
		}
	})
	p := newBrowser(t).signIn(f, "john.doe", "demo", "signin")
	if pageState(p) != "error" || !strings.Contains(p.body, "The identity provider&#39;s ID token was refused: the organization refused it.") ||
		!strings.Contains(p.body, "Register the key "+idp.KeyID()) {
		t.Fatalf("page:\n%s", p.body)
	}
	if _, err := wait(t, f); err == nil || !strings.Contains(err.Error(), "organization refused") {
		t.Fatal(err)
	}

	f2, _ := startFlow(t, idp, func(c *Config) {
		c.Use = func(_ context.Context, tk *Tokens) (string, error) {
			return "Token for " + tk.Subject + " created.", nil
		}
	})
	if p := newBrowser(t).signIn(f2, "john.doe", "demo", "signin"); !strings.Contains(p.body, "Token for john.doe created.") {
		t.Fatalf("page:\n%s", p.body)
	}
}

func TestConfidentialClientWithAnExactRedirect(t *testing.T) {
	ln, ln2 := listen(t, 0), listen(t, 0)
	redirect := func(l net.Listener) string { return fmt.Sprintf("http://%s/callback", l.Addr()) }
	_, idp := startIdP(t, orgsim.IdPOptions{Clients: []orgsim.IdPClient{{
		ID: "gdlogin-web", Secret: "s3cret-for-tests", RedirectURIs: []string{redirect(ln), redirect(ln2)},
	}}})
	f, err := Start(context.Background(), Config{Issuer: idp.Issuer(), ClientID: "gdlogin-web", ClientSecret: "s3cret-for-tests", Listener: ln, Grace: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if p := newBrowser(t).signIn(f, "john.doe", "demo", "signin"); pageState(p) != "success" {
		t.Fatalf("page:\n%s", p.body)
	}
	if _, err := wait(t, f); err != nil {
		t.Fatal(err)
	}

	// Another port is not a registered redirect: the provider refuses the
	// authorization request before any sign-in.
	g, _ := startFlow(t, idp, func(c *Config) { c.ClientID, c.ClientSecret = "gdlogin-web", "s3cret-for-tests" })
	if p := newBrowser(t).get(g.StartURL()); p.status != http.StatusBadRequest || strings.Contains(p.body, "idp-login-form") {
		t.Errorf("unregistered port: %d %s", p.status, p.url)
	}

	// A wrong secret: the code is not redeemed, and the login waits on.
	h, rec := startFlow(t, idp, func(c *Config) {
		c.ClientID, c.ClientSecret = "gdlogin-web", "wrong-secret"
		c.Listener.Close()
		c.Listener = ln2
	})
	p := newBrowser(t).signIn(h, "john.doe", "demo", "signin")
	if p.status != http.StatusBadGateway || pageState(p) != "waiting" {
		t.Errorf("wrong secret: %d %s\n%s", p.status, pageState(p), p.body)
	}
	assertWaiting(t, h)
	if !slices.Contains(rec.kinds(), EventExchangeFailed) {
		t.Errorf("events %v", rec.kinds())
	}
}

func TestRefresh(t *testing.T) {
	org, idp := startIdP(t, orgsim.IdPOptions{IDTokenLifetime: 5 * time.Minute})
	f, _ := startFlow(t, idp, func(c *Config) { c.Offline = true })
	if !slices.Contains(f.Scopes(), "offline_access") {
		t.Fatalf("scopes %v", f.Scopes())
	}
	newBrowser(t).signIn(f, "john.doe", "demo", "signin")
	first, err := wait(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if first.RefreshToken == "" {
		t.Fatal("no refresh token with offline_access")
	}
	cfg := Config{Issuer: idp.Issuer(), ClientID: idp.ClientID()}
	second, err := Refresh(context.Background(), cfg, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if second.IDToken == first.IDToken || second.Subject != "john.doe" || second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		t.Errorf("refreshed tokens %+v", second)
	}
	if !second.Expiry.After(time.Now().Add(4 * time.Minute)) {
		t.Errorf("refreshed expiry %s", second.Expiry)
	}
	if idp.Refreshes() != 1 {
		t.Errorf("%d refreshes", idp.Refreshes())
	}
	if p := profile(t, org, second.IDToken); p.UserID != "john.doe" {
		t.Errorf("refreshed ID token belongs to %s", p.UserID)
	}
	// The provider rotates refresh tokens: the first one is spent.
	_, err = Refresh(context.Background(), cfg, first.RefreshToken)
	var re *RefreshError
	if !errors.As(err, &re) || !strings.Contains(re.Hint(), "log in again") {
		t.Fatalf("spent refresh token: %v", err)
	}
	if _, err := Refresh(context.Background(), cfg, ""); err == nil {
		t.Error("refresh without a token")
	}
	// A refreshed ID token is verified like the first one.
	_, bad := startIdP(t, orgsim.IdPOptions{ExpiredIDTokens: true})
	g, _ := startFlow(t, bad, func(c *Config) { c.Offline = true; c.ClockSkew = time.Hour })
	newBrowser(t).signIn(g, "john.doe", "demo", "signin")
	tok, err := wait(t, g)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Refresh(context.Background(), Config{Issuer: bad.Issuer(), ClientID: "gdlogin"}, tok.RefreshToken)
	var te *TokenError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired refreshed ID token: %v", err)
	}
}

func profile(t *testing.T, org *orgsim.Server, bearer gooddata.Secret) *gooddata.Profile {
	t.Helper()
	c, err := gooddata.New(org.URL(), bearer.Reveal(), gooddata.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Profile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWaitEndsWithItsContext(t *testing.T) {
	_, idp := startIdP(t, orgsim.IdPOptions{})
	f, _ := startFlow(t, idp, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := f.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	p := newBrowser(t).get(f.RedirectURL() + "?code=x&state=" + url.QueryEscape(f.state))
	if p.status != http.StatusGone || !strings.Contains(p.body, "timed out") {
		t.Errorf("after the timeout: %d\n%s", p.status, p.body)
	}
}

func TestStartFailuresCloseTheListener(t *testing.T) {
	ln := listen(t, 0)
	dead := listen(t, 0)
	deadURL := "http://" + dead.Addr().String()
	dead.Close()
	_, err := Start(context.Background(), Config{Issuer: deadURL, ClientID: "gdlogin", Listener: ln})
	var de *DiscoveryError
	if !errors.As(err, &de) || de.Hint() == "" || !strings.Contains(err.Error(), "/.well-known/openid-configuration") {
		t.Fatalf("%v", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("the listener is still open")
	}
	if _, err := Start(context.Background(), Config{Issuer: "http://login.example.com", ClientID: "gdlogin", Listener: listen(t, 0)}); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("plain http issuer: %v", err)
	}
}

func TestEffectiveScopes(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		offline bool
		want    string
	}{
		{nil, false, "openid profile"},
		{nil, true, "openid profile offline_access"},
		{[]string{"email"}, false, "openid email"},
		{[]string{"profile", "openid", "email", "profile"}, false, "openid profile email"},
		{[]string{"openid", "offline_access"}, true, "openid offline_access"},
		{ParseScopes("openid, profile  groups"), false, "openid profile groups"},
	} {
		if got := strings.Join(EffectiveScopes(tc.in, tc.offline), " "); got != tc.want {
			t.Errorf("%v %v: %q, want %q", tc.in, tc.offline, got, tc.want)
		}
	}
}

func TestValidateIssuer(t *testing.T) {
	for issuer, ok := range map[string]bool{
		"https://login.example.com":                 true,
		"https://login.example.com/realms/example/": true,
		"http://127.0.0.1:8080":                     true,
		"http://localhost:5556/dex":                 true,
		"http://[::1]:5556":                         true,
		"":                                          false,
		"login.example.com":                         false,
		"ftp://login.example.com":                   false,
		"http://login.example.com":                  false,
		"https://john.doe@login.example.com":        false,
		"https://login.example.com/?x=1":            false,
		"https://login.example.com/#x":              false,
	} {
		if err := ValidateIssuer(issuer); (err == nil) != ok {
			t.Errorf("%q: %v", issuer, err)
		}
	}
}

func TestPublishedKeyIsWhatTheOrganizationRegisters(t *testing.T) {
	_, idp := startIdP(t, orgsim.IdPOptions{KeyID: "example-sso-2026"})
	f, _ := startFlow(t, idp, nil)
	k, err := f.PublishedKey(context.Background(), "example-sso-2026", "RS256")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Data struct {
			Attributes struct {
				Content JWK `json:"content"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(idp.JWKDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	if *k != doc.Data.Attributes.Content {
		t.Errorf("published %+v, registered %+v", *k, doc.Data.Attributes.Content)
	}
	if _, err := f.PublishedKey(context.Background(), "no-such-kid", "RS256"); err == nil || !strings.Contains(err.Error(), "no-such-kid") {
		t.Errorf("unknown kid: %v", err)
	}
	if !strings.HasPrefix(f.JWKSURI(), idp.Issuer()+"/") {
		t.Errorf("jwks_uri %s", f.JWKSURI())
	}
}

func TestCloseLetsTheOutcomePageLoadItsStyleSheet(t *testing.T) {
	_, idp := startIdP(t, orgsim.IdPOptions{})
	// closing runs Close and reports when it returns.
	closing := func(f *Flow) <-chan error {
		ch := make(chan error, 1)
		go func() { ch <- f.Close() }()
		return ch
	}
	returns := func(t *testing.T, ch <-chan error, why string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(20 * time.Second):
			t.Fatalf("Close did not return %s", why)
		}
	}
	closedListener := func(t *testing.T, f *Flow) {
		t.Helper()
		if _, err := net.Dial("tcp", f.base.Host); err == nil {
			t.Error("the listener is still open")
		}
	}
	// An outcome page and Close, with a grace period longer than any test.
	shown := func(t *testing.T) (*Flow, *browser) {
		f, _ := startFlow(t, idp, func(c *Config) { c.Grace = time.Hour })
		b := newBrowser(t)
		if p := b.signIn(f, "john.doe", "demo", "signin"); !strings.Contains(p.body, `href="/static/app.css"`) {
			t.Fatalf("the page has no style sheet:\n%s", p.body)
		}
		if _, err := wait(t, f); err != nil {
			t.Fatal(err)
		}
		return f, b
	}
	styles := func(t *testing.T, f *Flow, b *browser) {
		t.Helper()
		if p := b.get(f.StartURL() + "static/app.css"); p.status != http.StatusOK {
			t.Fatalf("app.css: %d", p.status)
		}
	}

	t.Run("styled before Close", func(t *testing.T) {
		f, b := shown(t)
		styles(t, f, b)
		returns(t, closing(f), "although the page had its style sheet")
		closedListener(t, f)
	})
	t.Run("styled while Close waits", func(t *testing.T) {
		f, b := shown(t)
		done := closing(f)
		poll.Never(t, func() string {
			select {
			case <-done:
				return "Close returned before the page loaded its style sheet"
			default:
				return ""
			}
		})
		styles(t, f, b) // the server still answers while Close waits
		returns(t, done, "once the page had its style sheet")
		closedListener(t, f)
	})
	t.Run("never styled", func(t *testing.T) {
		f, _ := startFlow(t, idp, func(c *Config) { c.Grace = 300 * time.Millisecond })
		b := newBrowser(t)
		b.signIn(f, "john.doe", "demo", "signin")
		if _, err := wait(t, f); err != nil {
			t.Fatal(err)
		}
		returns(t, closing(f), "at the end of the grace period")
		closedListener(t, f)
	})
}

// endless answers every request with a JSON document that never ends, as
// fast as the client reads; it records whether the client hung up.
func endless(t *testing.T, path string, before http.HandlerFunc) (*httptest.Server, chan struct{}) {
	t.Helper()
	hungUp := make(chan struct{}, 8)
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			before(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"keys":[`))
		chunk := []byte(strings.Repeat(`{"kty":"RSA","n":"AAAA","e":"AQAB"},`, 1000))
		for {
			if _, err := w.Write(chunk); err != nil {
				hungUp <- struct{}{}
				return
			}
		}
	}))
	t.Cleanup(ts.Close)
	return ts, hungUp
}

// TestEndlessProviderDocumentsFailFast: discovery and the key set are read
// with the capped client, so a provider that streams forever ends the
// login with a clear error instead of filling the memory.
func TestEndlessProviderDocumentsFailFast(t *testing.T) {
	ts, hungUp := endless(t, "/.well-known/openid-configuration", http.NotFound)
	// The default client (nil HTTPClient) is the capped one too.
	_, err := Start(context.Background(), Config{Issuer: ts.URL, ClientID: "gdlogin", Listener: listen(t, 0)})
	var de *DiscoveryError
	if !errors.As(err, &de) {
		t.Fatalf("discovery: %v", err)
	}
	// go-oidc formats the cause into its message (no %w).
	if want := "the answer of " + ts.URL + "/.well-known/openid-configuration is larger than 1 MiB"; !strings.HasSuffix(err.Error(), want) {
		t.Errorf("discovery: %v", err)
	}
	<-hungUp

	// go-oidc's key set, fetched with the client Start passes it.
	var keys *httptest.Server
	keys, hungUp = endless(t, "/keys", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	hc, err := httpclient.New(httpclient.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := oidc.ClientContext(context.Background(), hc)
	const jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.e30.c2ln"
	_, err = oidc.NewRemoteKeySet(ctx, keys.URL+"/keys").VerifySignature(ctx, jwt)
	if err == nil || !strings.Contains(err.Error(), "is larger than 1 MiB") {
		t.Errorf("key set: %v", err)
	}
	<-hungUp
}

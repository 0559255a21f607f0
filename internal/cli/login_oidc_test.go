package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gdlogin/gdlogin/internal/browsertest"
	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/internal/usecase/login"
)

// oidcLogin is one `gdlogin login --method oidc` against an emulated
// organization and its identity provider, with a real headless Chromium.
// It reuses browserLogin (browser_login_test.go) for waiting and driving.
type oidcLogin struct {
	*browserLogin
	idp *orgsim.IdP
}

// startIdPFor starts the identity provider of org; both are public sites
// for the browser.
func startIdPFor(t *testing.T, org *orgsim.Server, o orgsim.IdPOptions) *orgsim.IdP {
	t.Helper()
	idp, err := orgsim.StartIdP(org, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idp.Close() })
	return idp
}

// startOIDCLogin starts the organization, its identity provider, the
// browser and gdlogin login --method oidc in the background, and waits
// until gdlogin "opens" the start URL.
func startOIDCLogin(t *testing.T, idpOpts orgsim.IdPOptions, args ...string) *oidcLogin {
	t.Helper()
	browsertest.Require(t)
	org := startOrg(t, orgsim.Options{})
	idp := startIdPFor(t, org, idpOpts)
	full := append([]string{"login", org.URL(), "--method", "oidc", "--issuer", idp.Issuer(), "--client-id", idp.ClientID(), "--timeout", "60s", "--no-save"}, args...)
	l := launchLogin(t, org, []string{hostOf(org.URL()), hostOf(idp.Issuer())}, nil, full)
	return &oidcLogin{browserLogin: l, idp: idp}
}

// openIdP opens the start URL in the first tab, which must land on the
// identity provider's sign-in form.
func (l *oidcLogin) openIdP() {
	l.t.Helper()
	l.run(l.browser.Ctx, chromedp.Navigate(l.start), chromedp.WaitVisible(chromedp.CSS(`[data-testid="idp-login-form"]`)))
	if u := evalString(l.t, l.browser.Ctx, `location.origin`); u != l.idp.Issuer() {
		l.t.Fatalf("the start URL led to %s, not to the identity provider", u)
	}
}

// submit fills the identity provider's form and clicks button ("submit"
// or "cancel"); the browser then lands on gdlogin's callback page.
func (l *oidcLogin) submit(user, password, button string) {
	l.t.Helper()
	l.run(l.browser.Ctx,
		chromedp.SetValue(chromedp.CSS(`[data-testid="idp-username"]`), user),
		chromedp.SetValue(chromedp.CSS(`[data-testid="idp-password"]`), password),
		chromedp.Click(chromedp.CSS(`[data-testid="idp-`+button+`"]`)),
	)
}

// signIn is openIdP and submit for john.doe.
func (l *oidcLogin) signIn() {
	l.t.Helper()
	l.openIdP()
	l.submit("john.doe", "demo", "submit")
}

func TestOIDCLoginCreatesAnAPIToken(t *testing.T) {
	l := startOIDCLogin(t, orgsim.IdPOptions{}, "--output", "json")
	start, err := url.Parse(l.start)
	if err != nil || start.Scheme != "http" || start.Hostname() != "127.0.0.1" || start.Path != "/" || start.RawQuery != "" {
		t.Fatalf("start URL %q is not the short loopback address", l.start)
	}
	l.signIn()
	text := waitState(t, l.browser.Ctx, "success")
	if !strings.Contains(text, "API token for John Doe (john.doe) created and verified with Example Analytics") {
		t.Errorf("callback page says %q", text)
	}
	if u := evalString(t, l.browser.Ctx, `location.origin + location.pathname`); u != "http://"+start.Host+"/callback" {
		t.Errorf("the browser ended on %s", u)
	}
	if code := l.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	out := l.stdout.String()
	if !strings.Contains(out, `"userId": "john.doe"`) || !strings.Contains(out, `"method": "oidc"`) {
		t.Fatalf("stdout %s", out)
	}
	ids := l.org.TokenIDs("john.doe")
	if len(ids) != 1 || !strings.Contains(out, `"tokenId": "`+ids[0]+`"`) {
		t.Fatalf("tokens of john.doe %v; stdout %s", ids, out)
	}
	token := between(out, `"token": "`, `"`)
	if strings.Count(token, ".") == 2 {
		t.Fatal("the credential is the ID token, not an API token")
	}
	if p := profileOf(t, l.org, token); p.UserID != "john.doe" {
		t.Fatalf("the API token belongs to %s", p.UserID)
	}
	// The organization saw the ID token as a JWT bearer first.
	var jwtCalls int
	for _, r := range l.org.Requests() {
		if r.Auth == "jwt:john.doe" {
			jwtCalls++
		}
	}
	if jwtCalls == 0 {
		t.Error("the organization never saw the ID token")
	}
	for _, want := range []string{"Opening your identity provider", "Verified.", "Logged in to Example Analytics"} {
		if !strings.Contains(l.stderr.String(), want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	assertNoSecret(t, "stderr", l.stderr.String(), token)
	assertOIDCAuthRequest(t, l.idp, start.Port(), false)
}

// assertOIDCAuthRequest checks what the identity provider received: the
// authorization code flow with PKCE S256, a state, a nonce and the
// loopback redirect URI on gdlogin's port.
func assertOIDCAuthRequest(t *testing.T, idp *orgsim.IdP, port string, offline bool) {
	t.Helper()
	reqs := idp.AuthRequests()
	if len(reqs) == 0 {
		t.Fatal("the identity provider received no authorization request")
	}
	r := reqs[len(reqs)-1]
	if r.CodeChallengeMethod != "S256" || len(r.CodeChallenge) != 43 {
		t.Errorf("PKCE: method %q, challenge %q", r.CodeChallengeMethod, r.CodeChallenge)
	}
	if len(r.State) < 43 || len(r.Nonce) < 43 || r.State == r.Nonce {
		t.Errorf("state %q, nonce %q", r.State, r.Nonce)
	}
	if r.RedirectURI != "http://127.0.0.1:"+port+"/callback" || r.ResponseType != "code" || r.ClientID != "gdlogin" {
		t.Errorf("request %+v", r)
	}
	if !slices.Contains(r.Scopes, "openid") || !slices.Contains(r.Scopes, "profile") || slices.Contains(r.Scopes, "offline_access") != offline {
		t.Errorf("scopes %v (offline %v)", r.Scopes, offline)
	}
}

func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(rest, to)
	return v
}

func TestOIDCLoginExplainsAnOrganizationThatRejectsTheJWT(t *testing.T) {
	l := startOIDCLogin(t, orgsim.IdPOptions{SkipJWKRegistration: true, KeyID: "example-sso-2026"})
	l.signIn()
	text := waitState(t, l.browser.Ctx, "error")
	if !strings.Contains(text, "refused the identity provider's ID token") || !strings.Contains(text, "curl -X POST") {
		t.Errorf("callback page says %q", text)
	}
	if code := l.wait(); code != ExitAuth {
		t.Fatalf("exit %d, want %d", code, ExitAuth)
	}
	stderr := l.stderr.String()
	errLine := between(stderr, "error: ", "\nhint: ")
	for _, want := range []string{"401 invalid_token", `kid "example-sso-2026"`, `sub "john.doe"`, "not the id of a user"} {
		if !strings.Contains(errLine, want) {
			t.Errorf("error lacks %q: %s", want, errLine)
		}
	}
	// The hint holds the exact call an admin makes, with the provider's
	// published key filled in.
	call := between(stderr, "    curl ", "\n")
	for _, want := range []string{
		"-X POST " + l.org.URL() + "/api/v1/entities/jwks",
		`-H "Authorization: Bearer $ADMIN_TOKEN"`,
		"-H 'Content-Type: application/vnd.gooddata.api+json'",
		`"kid":"example-sso-2026"`, `"alg":"RS256"`, `"kty":"RSA"`, `"use":"sig"`, `"e":"AQAB"`, `"type":"jwk"`,
	} {
		if !strings.Contains(call, want) {
			t.Errorf("the curl call lacks %s:\n%s", want, call)
		}
	}
	if n := between(call, `"n":"`, `"`); len(n) < 300 {
		t.Errorf("n is not the provider's modulus: %q", n)
	}
	if !strings.Contains(stderr, "browser method: gdlogin login "+l.org.URL()) {
		t.Error("no suggestion of the browser method")
	}
	if l.stdout.Len() != 0 || len(l.org.TokenIDs("john.doe")) != 0 {
		t.Fatalf("a credential came out: %q", l.stdout.String())
	}
	body := between(call, "-d '", "'")
	if !strings.HasPrefix(body, `{"data":{"id":"example-sso-2026","type":"jwk","attributes":{"content":{"kty":"RSA","alg":"RS256","use":"sig","kid":"example-sso-2026","n":"`) {
		t.Errorf("body %s", body)
	}
	// The admin's call, run in a shell exactly as printed, registers the key,
	// and the organization then accepts the provider's ID tokens.
	requireTool(t, "curl")
	sh := exec.Command("sh", "-c", "curl -sS -o /dev/null -w '%{http_code}' "+strings.TrimPrefix(call, "curl "))
	sh.Env = append(os.Environ(), "ADMIN_TOKEN="+l.org.AdminToken())
	status, err := sh.CombinedOutput()
	if err != nil || string(status) != "201" {
		t.Fatalf("the printed call answered %q: %v", status, err)
	}
	var registered bool
	for _, r := range l.org.Requests() {
		registered = registered || (r.Method == "POST" && r.Path == "/api/v1/entities/jwks" && r.Status == 201 && r.Auth == "bearer:admin")
	}
	if !registered {
		t.Error("the organization did not register the key from the printed call")
	}
}

func TestOIDCLoginAccessDenied(t *testing.T) {
	l := startOIDCLogin(t, orgsim.IdPOptions{})
	l.openIdP()
	l.submit("john.doe", "demo", "cancel")
	text := waitState(t, l.browser.Ctx, "error")
	if !strings.Contains(text, "access_denied") || !strings.Contains(text, "The user cancelled the sign-in") {
		t.Errorf("callback page says %q", text)
	}
	if code := l.wait(); code != ExitAuth {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(l.stderr.String(), "error: the identity provider refused the sign-in: access_denied (The user cancelled the sign-in.)") {
		t.Errorf("stderr %s", l.stderr.String())
	}
}

func TestOIDCLoginForgedCallbackThenGenuineLogin(t *testing.T) {
	l := startOIDCLogin(t, orgsim.IdPOptions{})
	forged := strings.TrimSuffix(l.start, "/") + "/callback?code=forged&state=" + url.QueryEscape(strings.Repeat("A", 43))
	l.run(l.browser.Ctx, chromedp.Navigate(forged))
	text := waitState(t, l.browser.Ctx, "waiting")
	if !strings.Contains(text, "does not belong to the login gdlogin is waiting for") {
		t.Errorf("forged callback page says %q", text)
	}
	// The flow answered the forged callback with "waiting" only after it
	// decided to go on, so the login is still running now.
	select {
	case code := <-l.done:
		t.Fatalf("the forged callback ended the login: exit %d", code)
	default:
	}
	l.signIn()
	waitState(t, l.browser.Ctx, "success")
	if code := l.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if p := profileOf(t, l.org, strings.TrimSpace(l.stdout.String())); p.UserID != "john.doe" {
		t.Fatalf("token of %s", p.UserID)
	}
}

func TestOIDCLoginRefusesUnacceptableIDTokens(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts orgsim.IdPOptions
		want string
	}{
		{"expired", orgsim.IdPOptions{ExpiredIDTokens: true}, "it expired at"},
		{"wrong audience", orgsim.IdPOptions{IDTokenAudience: "another-app"}, `it is for the audience another-app, not for the client "gdlogin"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := startOIDCLogin(t, tc.opts)
			l.signIn()
			if text := waitState(t, l.browser.Ctx, "error"); !strings.Contains(text, "ID token was refused") {
				t.Errorf("callback page says %q", text)
			}
			if code := l.wait(); code != ExitAuth {
				t.Fatalf("exit %d", code)
			}
			if !strings.Contains(l.stderr.String(), tc.want) || l.stdout.Len() != 0 {
				t.Errorf("stderr %s\nstdout %s", l.stderr.String(), l.stdout.String())
			}
			// The token never reached the organization.
			for _, r := range l.org.Requests() {
				if strings.HasPrefix(r.Path, "/api/") && r.Auth != "none" && r.Auth != "bearer:admin" {
					t.Errorf("the organization saw %s %s as %s", r.Method, r.Path, r.Auth)
				}
			}
		})
	}
}

func TestOIDCLoginKeepJWT(t *testing.T) {
	l := startOIDCLogin(t, orgsim.IdPOptions{IDTokenLifetime: 10 * time.Minute}, "--keep-jwt")
	l.signIn()
	if text := waitState(t, l.browser.Ctx, "success"); !strings.Contains(text, "The terminal has the ID token") {
		t.Errorf("callback page says %q", text)
	}
	if code := l.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	idToken := strings.TrimSpace(l.stdout.String())
	if strings.Count(idToken, ".") != 2 {
		t.Fatalf("stdout is not a JWT: %q", idToken)
	}
	if p := profileOf(t, l.org, idToken); p.UserID != "john.doe" {
		t.Fatalf("the ID token belongs to %s", p.UserID)
	}
	if ids := l.org.TokenIDs("john.doe"); len(ids) != 0 {
		t.Errorf("--keep-jwt created API tokens %v", ids)
	}
	if !strings.Contains(l.stderr.String(), "The ID token is valid until") {
		t.Errorf("stderr %s", l.stderr.String())
	}
	assertNoSecret(t, "stderr", l.stderr.String(), idToken)
	start, _ := url.Parse(l.start)
	assertOIDCAuthRequest(t, l.idp, start.Port(), true)
}

// TestOIDCKeepJWTRefreshesSilently runs the --keep-jwt login use case,
// whose credential also carries what the profile store keeps, saves it as
// the profile store will, and lets KeptJWT (what UsableToken calls for
// gdlogin token) renew the ID token with the refresh token.
func TestOIDCKeepJWTRefreshesSilently(t *testing.T) {
	browsertest.Require(t)
	org := startOrg(t, orgsim.Options{})
	idp := startIdPFor(t, org, orgsim.IdPOptions{IDTokenLifetime: 10 * time.Minute})
	b := browsertest.New(t, browsertest.Options{PublicHosts: []string{hostOf(org.URL()), hostOf(idp.Issuer())}})
	env, _, _ := testEnv("", nil)
	env.Stderr = &syncBuffer{}
	opened := make(chan string, 1)
	env.OpenBrowser = func(u, _ string) error { opened <- u; return nil }
	a := &app{env: env}
	type outcome struct {
		cred credential.Credential
		oc   *credential.OIDC
		err  error
	}
	done := make(chan outcome, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	deps := login.Deps{Now: env.Now, NewTokenID: a.defaultTokenID, Client: a.client, Events: func(ev login.Event) {
		if ev.Kind == login.StartPage {
			env.OpenBrowser(ev.URL, "")
		}
	}}
	go func() {
		c, pages, err := deps.Run(ctx, login.Input{Org: org.URL(), Method: methodOIDC, Timeout: time.Minute,
			OIDC: login.OIDCInput{Issuer: idp.Issuer(), ClientID: idp.ClientID(), KeepJWT: true}})
		pages.Close()
		done <- outcome{c, c.OIDC, err}
	}()
	l := &oidcLogin{browserLogin: &browserLogin{t: t, org: org, browser: b, start: <-opened}, idp: idp}
	l.signIn()
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	cred, oc := res.cred, res.oc
	if oc.Issuer != idp.Issuer() || oc.ClientID != "gdlogin" || !slices.Equal(oc.Scopes, []string{"openid", "profile"}) || !oc.KeepJWT {
		t.Errorf("oidc result %+v", oc)
	}
	if oc.RefreshToken == "" || time.Until(oc.IDTokenExpiry) < 9*time.Minute || cred.Method != methodOIDC || cred.TokenID != "" {
		t.Fatalf("credential %+v, oidc %+v", cred, oc)
	}
	if s := fmt.Sprintf("%v %+v", cred, oc); strings.Contains(s, oc.RefreshToken.Reveal()) || strings.Contains(s, cred.Token.Reveal()) {
		t.Error("formatting shows a secret")
	}

	// Saved as the profile store keeps an oidc --keep-jwt login, with the
	// ID token about to expire.
	sb := newSandbox(t, newMemKeyring(), 0)
	sa, errb := sb.app("sso", "auto")
	st, err := sa.openStore()
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.Save(ctx, store.Profile{Name: "sso", Host: org.URL(), UserID: cred.Profile.UserID, OrganizationID: cred.Profile.OrganizationID,
		Method: store.MethodOIDC, OIDC: &store.OIDCSettings{Issuer: oc.Issuer, ClientID: oc.ClientID, Scopes: oc.Scopes}},
		store.Secret{Token: cred.Token.Reveal(), IDToken: cred.Token.Reveal(), IDTokenExpiry: time.Now().Add(30 * time.Second), RefreshToken: oc.RefreshToken.Reveal()})
	if err != nil {
		t.Fatal(err)
	}
	sec, _ := st.Secret(ctx, "sso")
	fresh, err := sa.profiles(st).KeptJWT(ctx, p, sec)
	if err != nil {
		t.Fatal(err)
	}
	if fresh == cred.Token || idp.Refreshes() != 1 {
		t.Fatalf("not renewed (%d refreshes)", idp.Refreshes())
	}
	if who := profileOf(t, org, fresh.Reveal()); who.UserID != "john.doe" {
		t.Errorf("the renewed ID token belongs to %s", who.UserID)
	}
	saved, _ := st.Secret(ctx, "sso")
	if saved.IDToken != fresh.Reveal() || saved.Token != fresh.Reveal() || saved.RefreshToken == oc.RefreshToken.Reveal() || time.Until(saved.IDTokenExpiry) < 9*time.Minute {
		t.Error("the renewed tokens were not saved")
	}
	// Valid for long enough: used as it is, no refresh.
	if again, err := sa.profiles(st).KeptJWT(ctx, p, saved); err != nil || again != fresh || idp.Refreshes() != 1 {
		t.Errorf("second use: %v, %d refreshes", err, idp.Refreshes())
	}
	// The spent refresh token, or none at all: never an expired token.
	sec.IDTokenExpiry = time.Now().Add(-time.Minute)
	if _, err := sa.profiles(st).KeptJWT(ctx, p, sec); exitCode(err) != ExitAuth || !strings.Contains(errHint(err), "gdlogin login --profile sso --keep-jwt") {
		t.Errorf("spent refresh token: %v", err)
	}
	sec.RefreshToken = ""
	if _, err := sa.profiles(st).KeptJWT(ctx, p, sec); exitCode(err) != ExitAuth || !strings.Contains(err.Error(), "no refresh token") {
		t.Errorf("no refresh token: %v", err)
	}
	assertNoSecret(t, "stderr", errb.String(), fresh.Reveal(), oc.RefreshToken.Reveal())
}

func errHint(err error) string {
	var ue *failure.Error
	if errors.As(err, &ue) {
		return ue.Advice
	}
	return ""
}

func TestOIDCLoginUsageErrors(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := fmt.Sprint(busy.Addr().(*net.TCPAddr).Port)
	idp := startIdPFor(t, org, orgsim.IdPOptions{})
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--client-id", "gdlogin"}, ExitUsage, "--method oidc needs --issuer URL and --client-id ID"},
		{[]string{"--issuer", idp.Issuer()}, ExitUsage, "--method oidc needs --issuer URL and --client-id ID"},
		{[]string{"--issuer", "http://login.example.com", "--client-id", "gdlogin"}, ExitUsage, "plain http"},
		{[]string{"--issuer", idp.Issuer(), "--client-id", "gdlogin", "--port", busyPort}, ExitUsage, "port " + busyPort + " is in use (by another login?)"},
		{[]string{"--issuer", closedURL(t), "--client-id", "gdlogin"}, ExitNetwork, "/.well-known/openid-configuration"},
		{[]string{"--issuer", idp.Issuer(), "--client-id", "gdlogin", "--client-secret-stdin"}, ExitUsage, "client secret from stdin is empty"},
	} {
		r := run(t, "", nil, append([]string{"login", org.URL(), "--method", "oidc", "--timeout", "10s"}, tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, r.code, r.stderr, tc.code, tc.want)
		}
	}
}

func TestOIDCClientSecretSources(t *testing.T) {
	for _, tc := range []struct {
		stdin     string
		fromStdin bool
		vars      map[string]string
		want, say string
	}{
		{"", false, nil, "", ""},
		{"", false, map[string]string{EnvOIDCClientSecret: " s3cret-env \n"}, "s3cret-env", "from " + EnvOIDCClientSecret},
		{"s3cret-stdin\n", true, map[string]string{EnvOIDCClientSecret: "ignored"}, "s3cret-stdin", "from stdin"},
	} {
		env, _, errb := testEnv(tc.stdin, tc.vars)
		a := &app{env: env}
		got, err := a.oidcClientSecret(tc.fromStdin)
		if err != nil || got != tc.want || !strings.Contains(errb.String(), tc.say) {
			t.Errorf("%+v: %q %v, stderr %q", tc, got, err, errb.String())
		}
		assertNoSecret(t, "stderr", errb.String(), tc.want)
	}
}

// TestOIDCLoginAgainUsesTheSavedProvider: `gdlogin login --profile NAME`
// of an oidc profile signs in with the saved issuer, client and scopes.
func TestOIDCLoginAgainUsesTheSavedProvider(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	idp := startIdPFor(t, org, orgsim.IdPOptions{})
	sb := newSandbox(t, newMemKeyring(), 0)
	sa, _ := sb.app("sso", "auto")
	st, err := sa.openStore()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Save(context.Background(), store.Profile{Name: "sso", Host: org.URL(), UserID: "john.doe", Method: store.MethodOIDC, TokenID: "gdlogin-sso",
		OIDC: &store.OIDCSettings{Issuer: idp.Issuer(), ClientID: "gdlogin", Scopes: []string{"openid", "email"}}}, store.Secret{Token: "old"}); err != nil {
		t.Fatal(err)
	}
	location, stderr := oidcAuthorizeURL(t, sb.vars, "--profile", "sso")
	q, _ := url.Parse(location)
	if !strings.HasPrefix(location, idp.Issuer()+"/authorize?") || q.Query().Get("client_id") != "gdlogin" || q.Query().Get("scope") != "openid email" {
		t.Errorf("the start URL led to %s", location)
	}
	if !strings.Contains(stderr, "with the oidc method") {
		t.Errorf("stderr %s", stderr)
	}
}

// oidcAuthorizeURL runs `gdlogin login ARGS` with a browser that only
// follows the start URL to the identity provider, then cancels the login.
// It returns where the start URL led (the provider's authorize request)
// and gdlogin's stderr.
func oidcAuthorizeURL(t *testing.T, vars map[string]string, args ...string) (location, stderr string) {
	t.Helper()
	env, _, errb := testEnv("", vars)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env.OpenBrowser = func(u, _ string) error {
		defer cancel()
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(u)
		if err != nil {
			return err
		}
		resp.Body.Close()
		location = resp.Header.Get("Location")
		return nil
	}
	if code := Run(ctx, append([]string{"login"}, args...), env); code != ExitCancelled {
		t.Fatalf("login %v: exit %d\n%s", args, code, errb.String())
	}
	return location, errb.String()
}

// TestOIDCKeepJWTSavedThenTokenRefreshes: a --keep-jwt login is saved with
// its provider and refresh token; `gdlogin token` later renews the ID
// token silently instead of printing one about to expire.
func TestOIDCKeepJWTSavedThenTokenRefreshes(t *testing.T) {
	browsertest.Require(t)
	org := startOrg(t, orgsim.Options{})
	// Shorter than the minute of margin: the saved ID token is due at once.
	idp := startIdPFor(t, org, orgsim.IdPOptions{IDTokenLifetime: 50 * time.Second})
	vars := map[string]string{EnvConfigDir: t.TempDir()}
	l := &oidcLogin{browserLogin: launchLogin(t, org, []string{hostOf(org.URL()), hostOf(idp.Issuer())}, vars,
		[]string{"login", org.URL(), "--method", "oidc", "--issuer", idp.Issuer(), "--client-id", idp.ClientID(), "--keep-jwt", "--profile", "sso"}), idp: idp}
	l.signIn()
	if code := l.wait(); code != 0 {
		t.Fatalf("login: exit %d", code)
	}
	if !strings.Contains(l.stderr.String(), `Saved as profile "sso"`) || !strings.Contains(l.stderr.String(), "ID token is the credential") {
		t.Fatalf("stderr %q", l.stderr.String())
	}
	r := run(t, "", vars, "token", "--profile", "sso")
	tok := strings.TrimSpace(r.stdout)
	if r.code != 0 || tok == "" || idp.Refreshes() != 1 {
		t.Fatalf("token: exit %d, %d refreshes", r.code, idp.Refreshes())
	}
	if who := profileOf(t, org, tok); who.UserID != "john.doe" {
		t.Fatalf("the renewed ID token belongs to %s", who.UserID)
	}
	assertNoSecret(t, "stderr", r.stderr, tok)
	// The issuer, client and scopes were saved: logging in again needs only the profile.
	r = run(t, "", vars, "status", "--profile", "sso", "--output", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"method": "oidc"`) {
		t.Fatalf("status: exit %d %s", r.code, r.stdout)
	}
}

// TestDemoOIDC runs `gdlogin demo --method oidc`: the emulated identity
// provider's prefilled sign-in, then the API token in the terminal.
func TestDemoOIDC(t *testing.T) {
	browsertest.Require(t)
	env, out, _ := testEnv("", isolated(t, nil))
	errb := &syncBuffer{}
	env.Stderr = errb
	opened := make(chan string, 1)
	env.OpenBrowser = func(u, _ string) error { opened <- u; return nil }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"demo", "--method", "oidc"}, env) }()
	var start string
	select {
	case start = <-opened:
	case <-time.After(20 * time.Second):
		t.Fatalf("demo opened nothing: %s", errb.String())
	}
	hosts := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)`).FindAllStringSubmatch(errb.String(), -1)
	var public []string
	for _, h := range hosts {
		public = append(public, h[1])
	}
	b := browsertest.New(t, browsertest.Options{PublicHosts: public})
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(start), chromedp.WaitVisible(chromedp.CSS(`[data-testid="idp-login-form"]`))); err != nil {
		t.Fatal(err)
	}
	if user := evalString(t, b.Ctx, `document.querySelector('[data-testid="idp-username"]').value`); user != "john.doe" {
		t.Fatalf("the identity provider's form is not prefilled: %q", user)
	}
	if err := chromedp.Do(b.Ctx, chromedp.Click(chromedp.CSS(`[data-testid="idp-submit"]`))); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not end")
	}
	tok := strings.TrimSpace(out.String())
	if tok == "" || strings.Contains(tok, "\n") {
		t.Fatalf("stdout is not one token")
	}
	for _, want := range []string{"Started its identity provider", "registered with the organization", "John Doe (john.doe)", "created and verified"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	assertNoSecret(t, "stderr", errb.String(), tok)
}

// TestOIDCLoginAgainKeepsTheJWTAsBefore: --keep-jwt is remembered in the
// profile, so a login again without the flag asks for a refresh token
// again (offline_access) and says so; --keep-jwt=false goes back to an API
// token; status names the kind of credential.
func TestOIDCLoginAgainKeepsTheJWTAsBefore(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	idp := startIdPFor(t, org, orgsim.IdPOptions{})
	sb := newSandbox(t, newMemKeyring(), 0)
	sa, _ := sb.app("sso", "auto")
	st, err := sa.openStore()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Save(context.Background(), store.Profile{Name: "sso", Host: org.URL(), UserID: "john.doe", Method: store.MethodOIDC,
		OIDC: &store.OIDCSettings{Issuer: idp.Issuer(), ClientID: "gdlogin", KeepJWT: true}}, store.Secret{Token: "old"}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "config.yaml", readFile(t, sb.configPath()), "keep_jwt: true")
	scopes := func(args ...string) (string, string) {
		t.Helper()
		location, stderr := oidcAuthorizeURL(t, sb.vars, args...)
		q, _ := url.Parse(location)
		return q.Query().Get("scope"), stderr
	}
	for _, args := range [][]string{{"--profile", "sso"}, {org.URL(), "--method", "oidc", "--profile", "sso"}} {
		scope, stderr := scopes(args...)
		if !strings.Contains(scope, "offline_access") || !strings.Contains(stderr, `Keeping the ID token as the credential, as profile "sso" does`) {
			t.Errorf("login %v: scope %q\n%s", args, scope, stderr)
		}
	}
	if scope, stderr := scopes("--profile", "sso", "--keep-jwt=false"); strings.Contains(scope, "offline_access") || strings.Contains(stderr, "Keeping the ID token") {
		t.Errorf("--keep-jwt=false: scope %q\n%s", scope, stderr)
	}

	r := run(t, "", sb.vars, "status", "--profile", "sso", "--output", "json", "--timeout", "5s")
	if !strings.Contains(r.stdout, `"keepJwt": true`) {
		t.Errorf("status --output json does not say the ID token is kept: %s", r.stdout)
	}
	r = run(t, "", sb.vars, "status", "--profile", "sso", "--timeout", "5s")
	mustContain(t, "status", r.stdout, "ID token (--keep-jwt)")
}

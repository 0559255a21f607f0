package orgsim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func startIDP(t *testing.T, org *Server, o IdPOptions) *IdP {
	t.Helper()
	p, err := StartIdP(org, o)
	if err != nil {
		t.Fatalf("StartIdP: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// fetch is one request to the identity provider, without following
// redirects.
func fetch(t *testing.T, method, u string, form url.Values, cookies ...*http.Cookie) reply {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: raw, cookies: resp.Cookies()}
}

// authRequest is an authorization request of the public client with PKCE
// S256, redirecting to a loopback port.
func authRequest(verifier string) url.Values {
	q := url.Values{
		"client_id": {DefaultIdPClientID}, "response_type": {"code"}, "scope": {"openid profile offline_access"},
		"redirect_uri": {"http://127.0.0.1:49152/callback"}, "state": {"state-1234"}, "nonce": {"nonce-5678"},
	}
	if verifier != "" {
		q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
		q.Set("code_challenge_method", "S256")
	}
	return q
}

// signInAt sends an authorization request, signs in (or cancels) on the
// provider's form, and returns where the provider finally sends the
// browser: the client's redirect URI with its answer.
func signInAt(t *testing.T, p *IdP, q url.Values, user, password, action string) *url.URL {
	t.Helper()
	r := fetch(t, http.MethodGet, p.Issuer()+"/authorize?"+q.Encode(), nil)
	if r.status != http.StatusFound {
		t.Fatalf("authorize: %d %s", r.status, r.body)
	}
	form := fetch(t, http.MethodGet, p.Issuer()+r.header.Get("Location"), nil)
	if form.status != http.StatusOK {
		t.Fatalf("sign-in page: %d %s", form.status, form.body)
	}
	if csp := form.header.Get("Content-Security-Policy"); csp != idpCSP {
		t.Errorf("sign-in page CSP %q", csp)
	}
	csrf := cookieNamed(form.cookies, idpCSRFCookie)
	if csrf == nil || !csrf.HttpOnly || csrf.SameSite != http.SameSiteLaxMode {
		t.Fatalf("CSRF cookie %+v", csrf)
	}
	post := fetch(t, http.MethodPost, p.Issuer()+idpLoginPath, url.Values{
		"_csrf": {inputValue(t, form.body, "_csrf")}, "authRequestID": {inputValue(t, form.body, "authRequestID")},
		"username": {user}, "password": {password}, "action": {action},
	}, csrf)
	if post.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", post.status, post.body)
	}
	loc, _ := url.Parse(post.header.Get("Location"))
	if loc.Host == "" {
		cb := fetch(t, http.MethodGet, p.Issuer()+loc.String(), nil)
		if cb.status != http.StatusFound {
			t.Fatalf("authorize callback: %d %s", cb.status, cb.body)
		}
		loc, _ = url.Parse(cb.header.Get("Location"))
	}
	return loc
}

func oauthClient(p *IdP, redirect string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:    DefaultIdPClientID,
		Endpoint:    oauth2.Endpoint{AuthURL: p.Issuer() + "/authorize", TokenURL: p.Issuer() + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: redirect,
	}
}

// signedIn runs the code flow for john.doe and returns the token answer.
func signedIn(t *testing.T, p *IdP) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	q := authRequest(verifier)
	loc := signInAt(t, p, q, "john.doe", "demo", "signin")
	if loc.Query().Get("state") != "state-1234" || loc.Query().Get("code") == "" {
		t.Fatalf("answer %s", loc)
	}
	tok, err := oauthClient(p, q.Get("redirect_uri")).Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok
}

func idToken(t *testing.T, tok *oauth2.Token) (raw string, header, claims map[string]any) {
	t.Helper()
	raw, _ = tok.Extra("id_token").(string)
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("ID token %q", raw)
	}
	for i, v := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(b, v) != nil {
			t.Fatalf("ID token part %d", i)
		}
	}
	return raw, header, claims
}

func TestIdPRegistersItsKeyThroughTheJWKAPI(t *testing.T) {
	org := start(t, Options{})
	p := startIDP(t, org, IdPOptions{KeyID: "example-sso-2026"})

	var reg *Request
	for _, r := range org.Requests() {
		if r.Method == http.MethodPost && r.Path == "/api/v1/entities/jwks" {
			reg = &r
		}
	}
	if reg == nil || reg.Status != http.StatusCreated || reg.Auth != "bearer:admin" {
		t.Fatalf("registration request %+v", reg)
	}
	got := do(t, org, call{path: "/api/v1/entities/jwks/" + DefaultIdPJWKID, bearer: org.AdminToken()}).json(t)
	if dig(got, "data", "attributes", "content", "kid") != "example-sso-2026" || dig(got, "data", "attributes", "content", "alg") != "RS256" {
		t.Fatalf("registered key %v", got)
	}

	disc := fetch(t, http.MethodGet, p.Issuer()+"/.well-known/openid-configuration", nil)
	var meta struct {
		Issuer   string   `json:"issuer"`
		JWKSURI  string   `json:"jwks_uri"`
		Methods  []string `json:"code_challenge_methods_supported"`
		Grants   []string `json:"grant_types_supported"`
		AuthURL  string   `json:"authorization_endpoint"`
		TokenURL string   `json:"token_endpoint"`
	}
	if disc.status != http.StatusOK || json.Unmarshal(disc.body, &meta) != nil {
		t.Fatalf("discovery: %d %s", disc.status, disc.body)
	}
	if meta.Issuer != p.Issuer() || !slices.Contains(meta.Methods, "S256") || !slices.Contains(meta.Grants, "refresh_token") ||
		meta.AuthURL != p.Issuer()+"/authorize" || meta.TokenURL != p.Issuer()+"/oauth/token" {
		t.Errorf("discovery %+v", meta)
	}
	keys := fetch(t, http.MethodGet, meta.JWKSURI, nil)
	if !strings.Contains(string(keys.body), `"kid":"example-sso-2026"`) {
		t.Errorf("jwks %s", keys.body)
	}
	if !strings.Contains(string(p.JWKDocument()), `"kid":"example-sso-2026"`) {
		t.Errorf("JWK document %s", p.JWKDocument())
	}
}

func TestIdPIDTokenIsAcceptedByTheOrganization(t *testing.T) {
	org := start(t, Options{})
	p := startIDP(t, org, IdPOptions{})
	tok := signedIn(t, p)
	raw, hdr, claims := idToken(t, tok)
	if hdr["typ"] != "JWT" || hdr["kid"] != p.KeyID() || hdr["alg"] != "RS256" {
		t.Errorf("header %v", hdr)
	}
	for _, c := range []string{"iss", "sub", "aud", "exp", "iat", "nonce"} {
		if _, ok := claims[c]; !ok {
			t.Errorf("claim %s missing: %v", c, claims)
		}
	}
	if claims["sub"] != "john.doe" || claims["nonce"] != "nonce-5678" || claims["name"] != "John Doe" || claims["iss"] != p.Issuer() {
		t.Errorf("claims %v", claims)
	}
	if tok.RefreshToken == "" {
		t.Error("no refresh token with offline_access")
	}
	r := do(t, org, call{path: "/api/v1/profile", bearer: raw})
	if r.status != http.StatusOK || r.json(t)["userId"] != "john.doe" {
		t.Fatalf("profile with the ID token: %d %s", r.status, r.body)
	}
	if log := org.Requests(); log[len(log)-1].Auth != "jwt:john.doe" {
		t.Errorf("logged as %q", log[len(log)-1].Auth)
	}
	if p.CodeExchanges() != 1 || len(p.AuthRequests()) != 1 || p.AuthRequests()[0].CodeChallengeMethod != "S256" {
		t.Errorf("exchanges %d, requests %+v", p.CodeExchanges(), p.AuthRequests())
	}
	// A code is good once.
	if _, err := oauthClient(p, "http://127.0.0.1:49152/callback").Exchange(context.Background(), "used-or-forged"); err == nil {
		t.Error("a forged code was redeemed")
	}
}

func TestIdPRequiresPKCEFromPublicClients(t *testing.T) {
	org := start(t, Options{})
	p := startIDP(t, org, IdPOptions{})
	q := authRequest("")
	loc := signInAt(t, p, q, "john.doe", "demo", "signin")
	_, err := oauthClient(p, q.Get("redirect_uri")).Exchange(context.Background(), loc.Query().Get("code"))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_request" {
		t.Fatalf("exchange without PKCE: %v", err)
	}
	verifier := oauth2.GenerateVerifier()
	q = authRequest(verifier)
	loc = signInAt(t, p, q, "john.doe", "demo", "signin")
	_, err = oauthClient(p, q.Get("redirect_uri")).Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("exchange with another verifier: %v", err)
	}
}

func TestIdPRedirectURIs(t *testing.T) {
	org := start(t, Options{})
	p := startIDP(t, org, IdPOptions{})
	for redirect, ok := range map[string]bool{
		"http://127.0.0.1:49152/callback":     true,
		"http://127.0.0.1:8000/callback":      true,
		"https://evil.example.com/callback":   false,
		"http://127.0.0.1:8000/other":         false,
		"http://login.example.com:8000/callb": false,
	} {
		q := authRequest(oauth2.GenerateVerifier())
		q.Set("redirect_uri", redirect)
		r := fetch(t, http.MethodGet, p.Issuer()+"/authorize?"+q.Encode(), nil)
		loc := r.header.Get("Location")
		if ok && (r.status != http.StatusFound || !strings.HasPrefix(loc, idpLoginPath+"?")) {
			t.Errorf("%s refused: %d %s", redirect, r.status, loc)
		}
		if !ok && (r.status != http.StatusBadRequest || loc != "") {
			t.Errorf("%s accepted: %d %s", redirect, r.status, loc)
		}
	}
}

func TestIdPSignInPage(t *testing.T) {
	org := start(t, Options{})
	p := startIDP(t, org, IdPOptions{PrefillUser: "john.doe"})
	q := authRequest(oauth2.GenerateVerifier())
	r := fetch(t, http.MethodGet, p.Issuer()+"/authorize?"+q.Encode(), nil)
	form := fetch(t, http.MethodGet, p.Issuer()+r.header.Get("Location"), nil)
	if inputValue(t, form.body, "username") != "john.doe" || inputValue(t, form.body, "password") != "demo" {
		t.Error("not prefilled")
	}
	if !strings.Contains(string(form.body), "127.0.0.1:49152") || !strings.Contains(string(form.body), "openid profile offline_access") {
		t.Errorf("the page does not say where the sign-in goes:\n%s", form.body)
	}
	id := inputValue(t, form.body, "authRequestID")
	csrf := cookieNamed(form.cookies, idpCSRFCookie)
	creds := url.Values{"_csrf": {inputValue(t, form.body, "_csrf")}, "authRequestID": {id}, "username": {"john.doe"}, "password": {"wrong"}}
	if bad := fetch(t, http.MethodPost, p.Issuer()+idpLoginPath, creds, csrf); bad.status != http.StatusUnauthorized || !strings.Contains(string(bad.body), "Incorrect user ID or password") {
		t.Errorf("wrong password: %d", bad.status)
	}
	creds.Set("password", "demo")
	if bad := fetch(t, http.MethodPost, p.Issuer()+idpLoginPath, creds); bad.status != http.StatusForbidden {
		t.Errorf("no CSRF cookie: %d", bad.status)
	}
	if bad := fetch(t, http.MethodGet, p.Issuer()+idpLoginPath+"?authRequestID=unknown", nil); bad.status != http.StatusBadRequest {
		t.Errorf("unknown request: %d", bad.status)
	}
	if bad := fetch(t, http.MethodPut, p.Issuer()+idpLoginPath, nil); bad.status != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d", bad.status)
	}

	loc := signInAt(t, p, authRequest(oauth2.GenerateVerifier()), "john.doe", "demo", "cancel")
	if loc.Host != "127.0.0.1:49152" || loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "state-1234" || loc.Query().Has("code") {
		t.Errorf("cancel answered %s", loc)
	}
}

func TestIdPDeny(t *testing.T) {
	org := start(t, Options{})
	p := startIDP(t, org, IdPOptions{Deny: true})
	loc := signInAt(t, p, authRequest(oauth2.GenerateVerifier()), "john.doe", "demo", "signin")
	if loc.Query().Get("error") != "access_denied" || !strings.Contains(loc.Query().Get("error_description"), "john.doe") {
		t.Errorf("deny answered %s", loc)
	}
}

func TestIdPWithoutRegisteredKeyIsRefusedUntilAnAdminRegistersIt(t *testing.T) {
	org := start(t, Options{})
	p := startIDP(t, org, IdPOptions{SkipJWKRegistration: true})
	raw, _, _ := idToken(t, signedIn(t, p))
	wantInvalidBearer(t, do(t, org, call{path: "/api/v1/profile", bearer: raw}))
	if err := p.RegisterJWK(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := do(t, org, call{path: "/api/v1/profile", bearer: raw}); r.status != http.StatusOK {
		t.Fatalf("after registration: %d", r.status)
	}
	if err := p.RegisterJWK(context.Background()); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("second registration: %v", err)
	}
}

func TestIdPKnobsForRefusedTokens(t *testing.T) {
	org := start(t, Options{})

	p := startIDP(t, org, IdPOptions{Subjects: map[string]string{"john.doe": "00u1a2b3c4"}, JWKID: "sso-subjects"})
	raw, _, claims := idToken(t, signedIn(t, p))
	if claims["sub"] != "00u1a2b3c4" {
		t.Errorf("sub %v", claims["sub"])
	}
	wantInvalidBearer(t, do(t, org, call{path: "/api/v1/profile", bearer: raw}))

	p = startIDP(t, org, IdPOptions{ExpiredIDTokens: true, JWKID: "sso-expired"})
	raw, _, claims = idToken(t, signedIn(t, p))
	if claims["exp"].(float64) >= claims["iat"].(float64) {
		t.Errorf("exp %v iat %v", claims["exp"], claims["iat"])
	}
	wantInvalidBearer(t, do(t, org, call{path: "/api/v1/profile", bearer: raw}))

	p = startIDP(t, org, IdPOptions{IDTokenAudience: "another-app", JWKID: "sso-audience"})
	_, _, claims = idToken(t, signedIn(t, p))
	if aud, _ := json.Marshal(claims["aud"]); string(aud) != `["another-app"]` || claims["azp"] != "another-app" {
		t.Errorf("aud %s azp %v", aud, claims["azp"])
	}

	p = startIDP(t, org, IdPOptions{WrongNonce: true, JWKID: "sso-nonce"})
	if _, _, claims = idToken(t, signedIn(t, p)); claims["nonce"] == "nonce-5678" {
		t.Error("the nonce is right")
	}
}

func TestIdPRefreshRotates(t *testing.T) {
	org := start(t, Options{})
	p := startIDP(t, org, IdPOptions{})
	tok := signedIn(t, p)
	ts := oauthClient(p, "").TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken})
	fresh, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if fresh.RefreshToken == tok.RefreshToken || fresh.Extra("id_token") == nil || p.Refreshes() != 1 {
		t.Errorf("refresh %+v, %d refreshes", fresh, p.Refreshes())
	}
	_, err = oauthClient(p, "").TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err == nil {
		t.Error("a spent refresh token was accepted")
	}
}

func TestIdPLegacyOrganization(t *testing.T) {
	org := start(t, Options{Legacy: true})
	p := startIDP(t, org, IdPOptions{})
	raw, _, _ := idToken(t, signedIn(t, p))
	if r := do(t, org, call{path: "/api/profile", bearer: raw}); r.status != http.StatusOK {
		t.Fatalf("legacy profile: %d", r.status)
	}
}

func TestStartIdPErrors(t *testing.T) {
	org := start(t, Options{})
	for name, tc := range map[string]struct {
		org  *Server
		opts IdPOptions
		want string
	}{
		"no organization":  {nil, IdPOptions{}, "running organization"},
		"not started":      {&Server{}, IdPOptions{}, "running organization"},
		"public address":   {org, IdPOptions{Addr: "0.0.0.0:0"}, "only 127.0.0.1"},
		"unknown prefill":  {org, IdPOptions{PrefillUser: "nobody"}, "not a user"},
		"duplicate client": {org, IdPOptions{Clients: []IdPClient{{ID: "a"}, {ID: "a"}}}, "duplicate"},
		"bad JWK id":       {org, IdPOptions{JWKID: ".hidden"}, "invalid JWK id"},
	} {
		if _, err := StartIdP(tc.org, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	noAdmin := start(t, Options{Users: []User{{ID: "john.doe", Password: "demo"}}})
	if _, err := StartIdP(noAdmin, IdPOptions{}); err == nil || !strings.Contains(err.Error(), "no administrator") {
		t.Errorf("no admin: %v", err)
	}
	if p, err := StartIdP(noAdmin, IdPOptions{SkipJWKRegistration: true}); err != nil {
		t.Errorf("no admin, no registration: %v", err)
	} else {
		p.Close()
	}
}

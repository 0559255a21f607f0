// Package oidcflow owns gdlogin's OIDC native-app login (RFC 8252) for
// --method oidc: discovery from the issuer, the authorization code flow
// with PKCE S256, a fresh state and nonce per run, the redirect to
// http://127.0.0.1:PORT/callback on the listener the caller bound and
// keeps, the code exchange, and the verification of the ID token
// (signature, issuer, audience, expiry with a small clock skew, nonce).
// It also refreshes an ID token with a refresh token ([Refresh]).
//
// One listener serves both the short start URL (http://127.0.0.1:PORT/,
// which redirects to the identity provider) and the redirect URI. It stands
// on [web.NewBase], so the loopback hardening of SPEC section 4 applies in
// full: the Host check, the security headers with a per-request CSP nonce,
// no OPTIONS, a body limit. A request that is wrong (a missing or wrong
// state, no code, a code the provider does not redeem) is answered and the
// login keeps waiting; the provider's own error answer (error=…, with the
// right state) ends it; a verified result is committed once, and later
// callbacks answer 410.
//
// The package knows OAuth and OpenID Connect, not GoodData: what the ID
// token is used for is the caller's business ([Config.Use]).
package oidcflow

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/httpclient"
	"github.com/gdlogin/gdlogin/web"
)

// Scopes gdlogin knows by name.
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeOfflineAccess = "offline_access"
)

// DefaultScopes are asked for when Config.Scopes is empty.
var DefaultScopes = []string{ScopeOpenID, ScopeProfile}

// DefaultClockSkew is how far the clocks of this computer and the identity
// provider may disagree before an ID token counts as expired.
const DefaultClockSkew = time.Minute

// exchangeTimeout bounds the code exchange plus Config.Use for one
// callback.
const exchangeTimeout = 60 * time.Second

// Config is one OIDC login (Start) or one refresh (Refresh).
type Config struct {
	// Issuer is the identity provider's issuer URL; discovery reads
	// Issuer/.well-known/openid-configuration. It must use https, or http
	// on a loopback address.
	Issuer string
	// ClientID is the client registered at the identity provider; it is
	// also the audience the ID token must name.
	ClientID string
	// ClientSecret authenticates a confidential client at the token
	// endpoint. Public clients (the usual case for a command-line tool)
	// leave it empty and rely on PKCE alone.
	ClientSecret string
	// Scopes to ask for; empty means DefaultScopes. "openid" is always
	// added.
	Scopes []string
	// Offline adds offline_access to the scopes, asking for a refresh
	// token (--keep-jwt).
	Offline bool
	// HTTPClient talks to the identity provider (discovery, keys, token
	// endpoint); nil means httpclient.New with its defaults. Pass one from
	// httpclient.New: it trusts --ca-cert, honours the proxy settings, and
	// caps and times out every answer, so that a provider that streams
	// forever cannot hold the login or fill the memory.
	HTTPClient *http.Client
	// ClockSkew is the tolerance of the expiry check; zero means
	// DefaultClockSkew.
	ClockSkew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// The fields below are for Start only.

	// Listener is the 127.0.0.1 socket the caller bound; the flow serves
	// on it and closes it (also when Start fails).
	Listener net.Listener
	// Use, when set, is called with the verified tokens before the result
	// is committed (gdlogin asks the organization who the ID token belongs
	// to, and creates the API token). The text it returns is shown on the
	// success page; its error ends the login and is shown on the page, with
	// its Hint() when it has one.
	Use func(ctx context.Context, t *Tokens) (string, error)
	// Events, when set, hears about progress, for the terminal.
	Events func(Event)
	// Grace bounds how long Close waits, once the login has an outcome,
	// for the page that shows it (the callback page, which must still load
	// its style sheet); zero means web.DefaultGrace, a negative value no
	// wait. It means the same in package web.
	Grace time.Duration
}

// Tokens are what a login or a refresh produced, verified.
type Tokens struct {
	// IDToken is the raw, verified ID token (a JWT).
	IDToken gooddata.Secret
	// Expiry is the ID token's exp.
	Expiry time.Time
	// RefreshToken is empty unless offline_access was granted.
	RefreshToken gooddata.Secret
	// Issuer and Subject are the ID token's iss and sub.
	Issuer  string
	Subject string
	// Email, Name and PreferredUsername are the ID token's claims of those
	// names, when present.
	Email             string
	Name              string
	PreferredUsername string
	// KeyID, Algorithm and Type are the ID token's JOSE header kid, alg
	// and typ ("" when absent): what a relying party such as GoodData
	// matches against its registered keys.
	KeyID     string
	Algorithm string
	Type      string
	// Scopes are the granted scopes when the provider said so.
	Scopes []string
}

// DisplayName names the signed-in person for sentences: "Name (sub)", the
// e-mail, or the subject.
func (t *Tokens) DisplayName() string {
	switch {
	case t.Name != "" && t.Name != t.Subject:
		return t.Name + " (" + t.Subject + ")"
	case t.Email != "" && t.Email != t.Subject:
		return t.Email + " (" + t.Subject + ")"
	}
	return t.Subject
}

// EventKind says what happened.
type EventKind int

const (
	// EventOpened: a browser opened the start URL and was sent on to the
	// identity provider.
	EventOpened EventKind = iota
	// EventRejected: a request was refused (wrong Host, missing or wrong
	// state, no code…); the login goes on.
	EventRejected
	// EventReceived: the identity provider sent the browser back with a
	// code; it is being exchanged and verified.
	EventReceived
	// EventExchangeFailed: the identity provider did not redeem a code;
	// the login goes on.
	EventExchangeFailed
	// EventFailed: the login ended with an error (Event.Err).
	EventFailed
	// EventCommitted: the verified tokens are the result.
	EventCommitted
)

// Event is progress for the terminal. It never carries a secret.
type Event struct {
	Kind   EventKind
	Reason string
	Err    error
}

// ProviderError is the identity provider's error answer on the redirect
// (RFC 6749 section 4.1.2.1), for example access_denied when the user
// cancelled or is not allowed to use the client.
type ProviderError struct {
	Code        string
	Description string
	URI         string
}

func (e *ProviderError) Error() string {
	s := "the identity provider refused the sign-in: " + e.Code
	if e.Description != "" {
		s += " (" + e.Description + ")"
	}
	return s
}

// Hint says what to try.
func (e *ProviderError) Hint() string {
	switch e.Code {
	case "access_denied":
		return "sign in again and allow the access; if the identity provider says you may not use this client, ask its administrator to assign it to you"
	case "invalid_scope":
		return "the identity provider does not offer one of the scopes; check --scopes"
	case "unauthorized_client", "invalid_request", "invalid_client":
		return "check --client-id, and that the client allows the authorization code flow with PKCE and the loopback redirect URI http://127.0.0.1/callback (any port)"
	}
	if e.URI != "" {
		return "see " + e.URI
	}
	return "sign in again; if it keeps failing, ask the identity provider's administrator"
}

// Flow is one running login: its loopback server waits for the identity
// provider's answer.
type Flow struct {
	cfg      Config
	base     *web.Base
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
	hc       *http.Client
	authURL  string
	startURL string
	jwksURI  string

	state, nonce, pkce string

	life context.Context // cancelled when the login ends or is abandoned
	stop context.CancelFunc

	cbMu sync.Mutex // one callback at a time: commit once

	mu       sync.Mutex
	finished bool
	shown    bool // a page showed the outcome
	result   *Tokens
	err      error
	outcome  string // what the pages say once finished
	done     chan struct{}

	styled     chan struct{} // closed when the outcome page loaded its style sheet
	styledOnce sync.Once
}

// Start discovers the identity provider, prepares a fresh authorization
// request (state, nonce, PKCE verifier) and serves the start URL and the
// redirect URI on cfg.Listener. It closes the listener when it fails.
func Start(ctx context.Context, cfg Config) (*Flow, error) {
	f, err := start(ctx, cfg)
	if err != nil && cfg.Listener != nil {
		_ = cfg.Listener.Close()
	}
	return f, err
}

func start(ctx context.Context, cfg Config) (*Flow, error) {
	if cfg.Listener == nil {
		return nil, errors.New("oidcflow: Config.Listener is required")
	}
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	provider, err := discover(ctx, cfg)
	if err != nil {
		return nil, err
	}
	f := &Flow{cfg: cfg, hc: cfg.HTTPClient, done: make(chan struct{}), styled: make(chan struct{})}
	base, err := web.NewBase(cfg.Listener, f.webEvent)
	if err != nil {
		return nil, err
	}
	f.base = base
	f.startURL = base.Origin + "/"
	f.oauth = oauthConfig(cfg, provider, base.Origin+"/callback")
	f.verifier = newVerifier(ctx, cfg, provider)
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if provider.Claims(&meta) == nil {
		f.jwksURI = meta.JWKSURI
	}
	if f.state, err = randomString(32); err != nil {
		return nil, err
	}
	if f.nonce, err = randomString(32); err != nil {
		return nil, err
	}
	f.pkce = oauth2.GenerateVerifier()
	f.authURL = f.oauth.AuthCodeURL(f.state, oauth2.S256ChallengeOption(f.pkce), oidc.Nonce(f.nonce))
	f.life, f.stop = context.WithCancel(context.WithoutCancel(ctx))
	f.routes()
	base.Serve(func(err error) { f.finish(nil, err, "gdlogin's local server stopped.") })
	return f, nil
}

// StartURL is the short local address to open or print:
// http://127.0.0.1:PORT/, which redirects to the identity provider.
func (f *Flow) StartURL() string { return f.startURL }

// RedirectURL is the redirect URI registered with the identity provider:
// http://127.0.0.1:PORT/callback.
func (f *Flow) RedirectURL() string { return f.oauth.RedirectURL }

// AuthURL is the identity provider's authorization URL that the start URL
// redirects to (for tests and --verbose; it carries no secret, but it is
// long).
func (f *Flow) AuthURL() string { return f.authURL }

// Scopes are the scopes asked for.
func (f *Flow) Scopes() []string { return slices.Clone(f.oauth.Scopes) }

// Done is closed when the login has an outcome.
func (f *Flow) Done() <-chan struct{} { return f.done }

// Wait returns the verified tokens, the error that ended the login, or
// ctx's error when ctx ends first (the pages then say that the login was
// abandoned).
func (f *Flow) Wait(ctx context.Context) (*Tokens, error) {
	select {
	case <-f.done:
	case <-ctx.Done():
		msg := "The login was cancelled in the terminal."
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			msg = "gdlogin stopped waiting: the login timed out."
		}
		f.finish(nil, ctx.Err(), msg)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.result, f.err
}

// Close ends the login if it is still running and shuts the server down.
// When a page showed the outcome, it first lets that page load its style
// sheet (at most Config.Grace); answers in flight always finish.
func (f *Flow) Close() error {
	f.finish(nil, errors.New("the login was closed"), "This login has ended.")
	f.mu.Lock()
	shown := f.shown
	f.mu.Unlock()
	if shown && f.cfg.Grace > 0 {
		t := time.NewTimer(f.cfg.Grace)
		defer t.Stop()
		select {
		case <-f.styled:
		case <-t.C:
		}
	}
	return f.base.Close()
}

// outcomeShown records that a page is showing the outcome.
func (f *Flow) outcomeShown() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shown = true
}

// finish records the outcome once; later calls do nothing.
func (f *Flow) finish(t *Tokens, err error, outcome string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.finished {
		return false
	}
	f.finished = true
	f.result, f.err, f.outcome = t, err, outcome
	f.stop()
	close(f.done)
	return true
}

func (f *Flow) isFinished() (bool, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.finished, f.outcome
}

func (f *Flow) emit(ev Event) {
	if f.cfg.Events != nil {
		f.cfg.Events(ev)
	}
}

// webEvent passes on what the hardened base refused (wrong Host, OPTIONS,
// unknown paths, wrong methods).
func (f *Flow) webEvent(ev web.Event) {
	if ev.Kind == web.EventRejected {
		f.emit(Event{Kind: EventRejected, Reason: ev.Reason})
	}
}

// normalize validates cfg and fills in the defaults.
func (c Config) normalize() (Config, error) {
	if err := ValidateIssuer(c.Issuer); err != nil {
		return c, err
	}
	if strings.TrimSpace(c.ClientID) == "" {
		return c, errors.New("the client id is empty")
	}
	if c.HTTPClient == nil {
		hc, err := httpclient.New(httpclient.Config{})
		if err != nil {
			return c, err
		}
		c.HTTPClient = hc
	}
	if c.ClockSkew == 0 {
		c.ClockSkew = DefaultClockSkew
	}
	if c.ClockSkew < 0 {
		return c, errors.New("oidcflow: negative clock skew")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Grace == 0 {
		c.Grace = web.DefaultGrace
	}
	c.Scopes = EffectiveScopes(c.Scopes, c.Offline)
	return c, nil
}

// EffectiveScopes is what gdlogin asks for: requested (DefaultScopes when
// empty) with openid first, offline_access added when offline, and no
// duplicates.
func EffectiveScopes(requested []string, offline bool) []string {
	if len(requested) == 0 {
		requested = DefaultScopes
	}
	out := []string{ScopeOpenID}
	for _, s := range requested {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if offline && !slices.Contains(out, ScopeOfflineAccess) {
		out = append(out, ScopeOfflineAccess)
	}
	return out
}

// ParseScopes splits a --scopes value on spaces and commas.
func ParseScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' })
}

// ValidateIssuer accepts an issuer URL that gdlogin may talk to: https, or
// http on a loopback address (a local identity provider). Codes, tokens
// and client secrets cross the connection to it.
func ValidateIssuer(issuer string) error {
	if issuer == "" {
		return errors.New("the issuer URL is empty")
	}
	u, err := url.Parse(issuer)
	if err != nil {
		return fmt.Errorf("the issuer %q is not a URL: %w", issuer, err)
	}
	switch {
	case u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return fmt.Errorf("the issuer %q is not an http(s) URL such as https://login.example.com/realms/example", issuer)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("the issuer %q must not carry a user, a query or a fragment", issuer)
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		return fmt.Errorf("the issuer %q uses plain http on another computer: codes and tokens would cross the network in clear; use its https:// address", issuer)
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// discover reads the provider's metadata with cfg.HTTPClient.
func discover(ctx context.Context, cfg Config) (*oidc.Provider, error) {
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, cfg.HTTPClient), cfg.Issuer)
	if err != nil {
		return nil, &DiscoveryError{Issuer: cfg.Issuer, Err: err}
	}
	return p, nil
}

// DiscoveryError: the issuer's metadata could not be read.
type DiscoveryError struct {
	Issuer string
	Err    error
}

func (e *DiscoveryError) Error() string {
	return fmt.Sprintf("read the identity provider's configuration at %s/.well-known/openid-configuration: %v", strings.TrimSuffix(e.Issuer, "/"), e.Err)
}

func (e *DiscoveryError) Unwrap() error { return e.Err }

// Hint says what to check.
func (e *DiscoveryError) Hint() string {
	return "check --issuer: it is the identity provider's issuer URL, exactly as its discovery document names it (with or without a trailing slash), e.g. https://login.example.com/realms/example"
}

func oauthConfig(cfg Config, p *oidc.Provider, redirect string) *oauth2.Config {
	ep := p.Endpoint()
	if cfg.ClientSecret == "" {
		// A public client sends its id in the body and no secret at all,
		// rather than an HTTP Basic header with an empty password.
		ep.AuthStyle = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		Endpoint:     ep,
		RedirectURL:  redirect,
		Scopes:       cfg.Scopes,
	}
}

func newVerifier(ctx context.Context, cfg Config, p *oidc.Provider) *oidc.IDTokenVerifier {
	skew, now := cfg.ClockSkew, cfg.Now
	return p.VerifierContext(oidc.ClientContext(ctx, cfg.HTTPClient), &oidc.Config{
		ClientID: cfg.ClientID,
		// Judge expiry by a clock that runs ClockSkew late: a token is
		// accepted until ClockSkew after its exp.
		Now: func() time.Time { return now().Add(-skew) },
	})
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func equalSecret(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

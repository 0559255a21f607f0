package orgsim

// The emulated identity provider for --method oidc: a real OpenID provider
// (github.com/zitadel/oidc/v3/pkg/op) on its own 127.0.0.1 listener, so its
// own origin, whose users are the organization's users. Its signing key is
// registered with the organization through the organization's own JSON web
// key API, as an administrator would, so that the organization accepts its
// ID tokens as JWT bearers (SPEC section 1).

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// DefaultIdPClientID is the id of the public client that StartIdP
// registers when IdPOptions.Clients is empty.
const DefaultIdPClientID = "gdlogin"

// DefaultIdPJWKID is the id under which StartIdP registers the identity
// provider's key with the organization.
const DefaultIdPJWKID = "example-sso"

// idpLoginPath is the identity provider's sign-in page.
const idpLoginPath = "/login"

// idpCSRFCookie carries the double-submit token of the sign-in form.
const idpCSRFCookie = "IDP_LOGIN_CSRF"

// idpCSP is the policy of the identity provider's pages: like the
// organization's, except that a form submission may end in a redirect to a
// native client's loopback redirect URI (browsers check form-action on the
// redirects that follow a form post).
const idpCSP = "default-src 'self'; connect-src 'self'; form-action 'self' http://127.0.0.1:*; frame-ancestors 'none'; base-uri 'none'"

var (
	//go:embed idp_templates/*.html
	idpTemplateFS embed.FS
	idpPages      = template.Must(template.ParseFS(idpTemplateFS, "idp_templates/*.html"))
)

// IdPOptions configure the emulated identity provider. The zero value is a
// provider with one public client, "gdlogin", that accepts loopback
// redirects on any port, and a key registered with the organization.
type IdPOptions struct {
	// Addr is the listen address; it must be on 127.0.0.1. Default
	// "127.0.0.1:0".
	Addr string
	// Name is shown on the sign-in page; default "example.com SSO".
	Name string
	// Clients are the registered clients; nil means one public client
	// DefaultIdPClientID.
	Clients []IdPClient
	// PrefillUser, when set, prefills the sign-in form with this user's id
	// and password (for the demo).
	PrefillUser string
	// KeyID is the kid of the signing key; default a random one.
	KeyID string
	// JWKID is the id of the key in the organization's JSON web key API;
	// default DefaultIdPJWKID.
	JWKID string
	// SkipJWKRegistration leaves the organization without the provider's
	// key, so that it refuses the provider's ID tokens (the "no JWK
	// registered" case). RegisterJWK can register it later.
	SkipJWKRegistration bool
	// Subjects maps a user id to the sub the provider puts in its tokens;
	// users not in the map get their GoodData user id. A sub that is not a
	// GoodData user id makes the organization refuse the token.
	Subjects map[string]string

	// Test knobs.

	// Deny ends every sign-in with access_denied, as when the
	// administrator has not assigned the client to the user.
	Deny bool
	// IDTokenLifetime is how long ID tokens are valid; zero means one
	// hour.
	IDTokenLifetime time.Duration
	// ExpiredIDTokens issues ID tokens that expired ten minutes before
	// they were issued.
	ExpiredIDTokens bool
	// IDTokenAudience, when set, is the audience (and authorized party) of
	// the ID tokens issued to the first client instead of its id: the
	// provider knows that client under another name.
	IDTokenAudience string
	// WrongNonce issues ID tokens whose nonce is not the one asked for.
	WrongNonce bool
}

// IdPClient is a client registered at the emulated identity provider.
type IdPClient struct {
	// ID is the client id.
	ID string
	// Secret, when set, makes a confidential client that authenticates at
	// the token endpoint with client_secret_basic or client_secret_post.
	// A public client (no secret) must use PKCE.
	Secret string
	// RedirectURIs are the registered redirect URIs. Empty means the
	// loopback redirect http://127.0.0.1/callback on any port (RFC 8252
	// section 7.3). A confidential client with RedirectURIs gets exactly
	// those, port included.
	RedirectURIs []string
	// Name is shown on the sign-in page; default "gdlogin".
	Name string
}

// IdPAuthRequest is an authorization request as the identity provider
// received it, for tests.
type IdPAuthRequest struct {
	ClientID            string
	RedirectURI         string
	ResponseType        string
	Scopes              []string
	State               string
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string
}

// IdP is a running emulated identity provider.
type IdP struct {
	org      *Server
	opts     IdPOptions
	key      *rsa.PrivateKey
	kid      string
	issuer   string
	provider *op.Provider
	store    *idpStorage
	clients  []IdPClient

	ln        net.Listener
	srv       *http.Server
	serveErr  chan error
	closeOnce sync.Once
}

// StartIdP starts an identity provider for org on its own 127.0.0.1
// listener and, unless o.SkipJWKRegistration, registers its signing key
// with org through org's JSON web key API with the bootstrap token (POST
// /api/v1/entities/jwks), exactly as an administrator would. org must be
// running (Start).
func StartIdP(org *Server, o IdPOptions) (*IdP, error) {
	if org == nil || org.URL() == "" {
		return nil, errors.New("orgsim: StartIdP needs a running organization (Start)")
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Name == "" {
		o.Name = "example.com SSO"
	}
	if o.JWKID == "" {
		o.JWKID = DefaultIdPJWKID
	}
	if !validID(o.JWKID) {
		return nil, fmt.Errorf("orgsim: invalid JWK id %q", o.JWKID)
	}
	if o.IDTokenLifetime < 0 {
		return nil, errors.New("orgsim: negative ID token lifetime; use ExpiredIDTokens")
	}
	if o.IDTokenLifetime == 0 {
		o.IDTokenLifetime = time.Hour
	}
	clients := slices.Clone(o.Clients)
	if len(clients) == 0 {
		clients = []IdPClient{{ID: DefaultIdPClientID}}
	}
	seen := map[string]bool{}
	for i, c := range clients {
		if c.ID == "" || seen[c.ID] {
			return nil, fmt.Errorf("orgsim: IdP client %d: empty or duplicate id %q", i, c.ID)
		}
		seen[c.ID] = true
		if c.Name == "" {
			clients[i].Name = "gdlogin"
		}
		clients[i].RedirectURIs = slices.Clone(c.RedirectURIs)
	}
	if o.PrefillUser != "" {
		if _, ok := org.user(o.PrefillUser); !ok {
			return nil, fmt.Errorf("orgsim: IdP prefill user %q is not a user", o.PrefillUser)
		}
	}
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil || host != "127.0.0.1" {
		return nil, fmt.Errorf("orgsim: IdP listen address %q: only 127.0.0.1 is allowed", o.Addr)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	kid := o.KeyID
	if kid == "" {
		kid = "idp-" + hex.EncodeToString(randomBytes(6))
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("orgsim: IdP listen: %w", err)
	}
	p := &IdP{org: org, opts: o, key: key, kid: kid, clients: clients, ln: ln, issuer: "http://" + ln.Addr().String()}
	p.store = newIDPStorage(p)
	var cryptoKey [32]byte
	copy(cryptoKey[:], randomBytes(32))
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:             cryptoKey,
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
		SupportedScopes:       []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess},
	}, p.store, op.StaticIssuer(p.issuer), op.WithAllowInsecure())
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("orgsim: IdP: %w", err)
	}
	p.provider = provider
	mux := http.NewServeMux()
	mux.HandleFunc(idpLoginPath, p.login)
	mux.HandleFunc(cssPath, serveAsset(staticAssets[cssPath]))
	mux.HandleFunc(faviconPath, serveAsset(staticAssets[faviconPath]))
	mux.Handle("/", provider)
	p.srv = &http.Server{Handler: idpHeaders(mux), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	p.serveErr = make(chan error, 1)
	go func() { p.serveErr <- p.srv.Serve(ln) }()
	if !o.SkipJWKRegistration {
		if err := p.RegisterJWK(context.Background()); err != nil {
			p.Close()
			return nil, err
		}
	}
	return p, nil
}

// Issuer is the provider's issuer URL, "http://127.0.0.1:PORT"; its
// discovery document is at Issuer()/.well-known/openid-configuration.
func (p *IdP) Issuer() string { return p.issuer }

// ClientID is the id of the first registered client.
func (p *IdP) ClientID() string { return p.clients[0].ID }

// KeyID is the kid of the signing key, in every ID token's header.
func (p *IdP) KeyID() string { return p.kid }

// JWKID is the id of the key in the organization's JSON web key API.
func (p *IdP) JWKID() string { return p.opts.JWKID }

// JWKDocument is the body that registers the provider's key with an
// organization: POST it to /api/v1/entities/jwks with an administrator's
// token and Content-Type application/vnd.gooddata.api+json.
func (p *IdP) JWKDocument() []byte {
	doc := map[string]any{"data": map[string]any{
		"id":         p.opts.JWKID,
		"type":       "jwk",
		"attributes": map[string]any{"content": rsaSpecFromKey(p.kid, "RS256", &p.key.PublicKey)},
	}}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err) // plain maps and strings
	}
	return b
}

// RegisterJWK registers the provider's public key with the organization
// through its API, with the bootstrap token, as an administrator would.
func (p *IdP) RegisterJWK(ctx context.Context) error {
	admin := p.org.AdminToken()
	if admin == "" {
		return errors.New("orgsim: IdP: the organization has no administrator to register the identity provider's key")
	}
	endpoint := p.org.URL() + p.org.prefix + "/entities/jwks"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(p.JWKDocument()))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/vnd.gooddata.api+json")
	req.Header.Set("Accept", "application/vnd.gooddata.api+json")
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("orgsim: IdP: register the key: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("orgsim: IdP: register the key: POST %s answered %s: %s", endpoint, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

// AuthRequests are the authorization requests the provider received, in
// order.
func (p *IdP) AuthRequests() []IdPAuthRequest { return p.store.receivedRequests() }

// CodeExchanges and Refreshes count the token endpoint's successful
// authorization code and refresh token grants.
func (p *IdP) CodeExchanges() int { return p.store.count(&p.store.exchanges) }

// Refreshes counts the successful refresh token grants.
func (p *IdP) Refreshes() int { return p.store.count(&p.store.refreshes) }

// Close stops the listener and drops open connections.
func (p *IdP) Close() error {
	var err error
	p.closeOnce.Do(func() {
		err = p.srv.Close()
		if serveErr := <-p.serveErr; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
			err = serveErr
		}
	})
	return err
}

// user returns an organization user.
func (s *Server) user(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	return m.User, true
}

// subject is the sub of userID's tokens.
func (p *IdP) subject(userID string) string {
	if sub, ok := p.opts.Subjects[userID]; ok {
		return sub
	}
	return userID
}

// client finds a registered client by id. With IDTokenAudience, the first
// client answers to that name too, and reports it as its id.
func (p *IdP) client(id string) (*idpClient, bool) {
	for i, c := range p.clients {
		name := c.ID
		if i == 0 && p.opts.IDTokenAudience != "" {
			if id != c.ID && id != p.opts.IDTokenAudience {
				continue
			}
			name = p.opts.IDTokenAudience
		} else if id != c.ID {
			continue
		}
		return &idpClient{c: c, id: name, idp: p}, true
	}
	return nil, false
}

// idpHeaders sets the headers every answer of the provider carries.
func idpHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

func serveAsset(a staticAsset) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", a.contentType)
		_, _ = w.Write(a.body)
	}
}

// The sign-in page.

type idpPageBase struct {
	Title, IdPName, Initials string
}

type idpLoginPage struct {
	idpPageBase
	ClientName, RequestID, CSRF, Username, Password, Error, Scopes, RedirectHost string
}

type idpErrorPage struct {
	idpPageBase
	Heading, Message string
}

func (p *IdP) pageBase(title string) idpPageBase {
	return idpPageBase{Title: title + " · " + p.opts.Name, IdPName: p.opts.Name, Initials: initials(p.opts.Name)}
}

func (p *IdP) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := idpPages.ExecuteTemplate(&buf, name, data); err != nil {
		panic(err) // the templates and their data are ours
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", idpCSP)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (p *IdP) errorPage(w http.ResponseWriter, status int, heading, message string) {
	p.render(w, status, "error.html", idpErrorPage{idpPageBase: p.pageBase(heading), Heading: heading, Message: message})
}

// login is the sign-in page that the provider sends authorization requests
// to (Client.LoginURL): GET shows the form, POST signs in or cancels.
func (p *IdP) login(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		req, ok := p.store.request(r.URL.Query().Get("authRequestID"))
		if !ok {
			p.errorPage(w, http.StatusBadRequest, "Sign-in expired", "This sign-in request is unknown or has expired. Start again from the application.")
			return
		}
		page := idpLoginPage{RequestID: req.id}
		if p.opts.PrefillUser != "" {
			u, _ := p.org.user(p.opts.PrefillUser)
			page.Username, page.Password = u.ID, u.Password
		}
		p.renderLogin(w, r, http.StatusOK, req, page)
	case http.MethodPost:
		p.loginSubmit(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		p.errorPage(w, http.StatusMethodNotAllowed, "Method not allowed", "This address does not accept "+r.Method+" requests.")
	}
}

func (p *IdP) renderLogin(w http.ResponseWriter, r *http.Request, status int, req *idpAuthRequest, page idpLoginPage) {
	token := ""
	if c, err := r.Cookie(idpCSRFCookie); err == nil && len(c.Value) == 43 {
		token = c.Value
	} else {
		token = base64.RawURLEncoding.EncodeToString(randomBytes(32))
	}
	http.SetCookie(w, &http.Cookie{Name: idpCSRFCookie, Value: token, Path: idpLoginPath, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	page.CSRF = token
	page.idpPageBase = p.pageBase("Sign in")
	page.RequestID = req.id
	page.Scopes = strings.Join(req.GetScopes(), " ")
	if c, ok := p.client(req.GetClientID()); ok {
		page.ClientName = c.c.Name
	}
	if u, err := url.Parse(req.GetRedirectURI()); err == nil {
		page.RedirectHost = u.Host
	}
	p.render(w, status, "login.html", page)
}

func (p *IdP) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, http.StatusBadRequest, "Bad request", "The sign-in form could not be read.")
		return
	}
	form := r.PostForm
	req, ok := p.store.request(form.Get("authRequestID"))
	if !ok {
		p.errorPage(w, http.StatusBadRequest, "Sign-in expired", "This sign-in request is unknown or has expired. Start again from the application.")
		return
	}
	username := strings.TrimSpace(form.Get("username"))
	page := idpLoginPage{Username: username}
	c, err := r.Cookie(idpCSRFCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form.Get("_csrf"))) != 1 {
		page.Error = "Your sign-in page has expired. Please sign in again."
		p.renderLogin(w, r, http.StatusForbidden, req, page)
		return
	}
	if form.Get("action") == "cancel" {
		p.deny(w, r, req, "The user cancelled the sign-in.")
		return
	}
	u, known := p.org.user(username)
	if !known || u.Password == "" || subtle.ConstantTimeCompare([]byte(u.Password), []byte(form.Get("password"))) != 1 {
		page.Error = "Incorrect user ID or password."
		p.renderLogin(w, r, http.StatusUnauthorized, req, page)
		return
	}
	if p.opts.Deny {
		name := "this application"
		if c, ok := p.client(req.GetClientID()); ok {
			name = c.c.Name
		}
		p.deny(w, r, req, fmt.Sprintf("%s has not been given access to %s by the administrator.", u.ID, name))
		return
	}
	if !p.store.authenticate(req.id, u.ID) {
		p.errorPage(w, http.StatusBadRequest, "Sign-in expired", "This sign-in request is unknown or has expired. Start again from the application.")
		return
	}
	// Back to the provider, which answers the client with a code.
	http.Redirect(w, r, p.provider.AuthorizationEndpoint().Relative()+"/callback?id="+url.QueryEscape(req.id), http.StatusSeeOther)
}

// deny answers the client with access_denied at its redirect URI.
func (p *IdP) deny(w http.ResponseWriter, r *http.Request, req *idpAuthRequest, description string) {
	p.store.delete(req.id)
	e := oidc.ErrAccessDenied().WithDescription("%s", description)
	e.State = req.GetState()
	u, err := op.AuthResponseURL(req.GetRedirectURI(), req.GetResponseType(), req.GetResponseMode(), e, p.provider.Encoder())
	if err != nil {
		p.errorPage(w, http.StatusBadRequest, "Sign-in failed", "The application's address cannot be reached.")
		return
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

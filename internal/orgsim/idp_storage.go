package orgsim

// The emulated identity provider's storage (op.Storage): clients,
// authorization requests, codes, access and refresh tokens, all in memory,
// and the signing key. The protocol itself (validation, PKCE, token
// creation and signing) is the library's.

import (
	"context"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/url"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Lifetimes of what the provider hands out.
const (
	idpAuthRequestTTL  = 10 * time.Minute
	idpAccessTokenTTL  = 15 * time.Minute
	idpRefreshTokenTTL = 24 * time.Hour
)

var errIdPNotFound = errors.New("not found")

type idpStorage struct {
	idp *IdP

	mu        sync.Mutex
	requests  map[string]*idpAuthRequest // id → request
	codes     map[string]string          // code → request id
	access    map[string]idpGrant        // access token id → grant
	refresh   map[string]idpGrant        // refresh token → grant
	received  []IdPAuthRequest
	exchanges int
	refreshes int
}

func newIDPStorage(p *IdP) *idpStorage {
	return &idpStorage{
		idp:      p,
		requests: map[string]*idpAuthRequest{},
		codes:    map[string]string{},
		access:   map[string]idpGrant{},
		refresh:  map[string]idpGrant{},
	}
}

// idpAuthRequest is one authorization request; it is replaced, never
// changed, once shared (the library reads it from other goroutines).
type idpAuthRequest struct {
	idp           *IdP
	id            string
	created       time.Time
	clientID      string
	redirectURI   string
	responseType  oidc.ResponseType
	responseMode  oidc.ResponseMode
	scopes        []string
	state         string
	nonce         string
	codeChallenge *oidc.CodeChallenge
	userID        string
	authTime      time.Time
	done          bool
}

func (a *idpAuthRequest) GetID() string                         { return a.id }
func (a *idpAuthRequest) GetACR() string                        { return "" }
func (a *idpAuthRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *idpAuthRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *idpAuthRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *idpAuthRequest) GetClientID() string                   { return a.clientID }
func (a *idpAuthRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.codeChallenge }
func (a *idpAuthRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *idpAuthRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *idpAuthRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *idpAuthRequest) GetScopes() []string                   { return slices.Clone(a.scopes) }
func (a *idpAuthRequest) GetState() string                      { return a.state }
func (a *idpAuthRequest) GetSubject() string                    { return a.userID }
func (a *idpAuthRequest) Done() bool                            { return a.done }

// GetNonce is the nonce the ID token will carry: the one asked for, unless
// the WrongNonce knob is set.
func (a *idpAuthRequest) GetNonce() string {
	if a.idp.opts.WrongNonce {
		return "not-the-nonce-of-this-request"
	}
	return a.nonce
}

// idpGrant is what an access or refresh token stands for.
type idpGrant struct {
	userID   string
	clientID string
	scopes   []string
	audience []string
	authTime time.Time
	amr      []string
	expires  time.Time
}

// idpRefreshRequest is a grant being refreshed (op.RefreshTokenRequest).
type idpRefreshRequest struct{ g idpGrant }

func (r *idpRefreshRequest) GetAMR() []string                 { return r.g.amr }
func (r *idpRefreshRequest) GetAudience() []string            { return r.g.audience }
func (r *idpRefreshRequest) GetAuthTime() time.Time           { return r.g.authTime }
func (r *idpRefreshRequest) GetClientID() string              { return r.g.clientID }
func (r *idpRefreshRequest) GetScopes() []string              { return slices.Clone(r.g.scopes) }
func (r *idpRefreshRequest) GetSubject() string               { return r.g.userID }
func (r *idpRefreshRequest) SetCurrentScopes(scopes []string) { r.g.scopes = slices.Clone(scopes) }

// idpClient is a registered client (op.Client).
type idpClient struct {
	c   IdPClient
	id  string // the id the provider knows it by (see IDTokenAudience)
	idp *IdP
}

// loopbackRedirect is the redirect URI of a native client when none is
// configured; the library ignores its port for loopback URIs.
const loopbackRedirect = "http://127.0.0.1/callback"

func (c *idpClient) GetID() string { return c.id }
func (c *idpClient) RedirectURIs() []string {
	if len(c.c.RedirectURIs) > 0 {
		return slices.Clone(c.c.RedirectURIs)
	}
	return []string{loopbackRedirect}
}
func (c *idpClient) PostLogoutRedirectURIs() []string { return nil }
func (c *idpClient) ApplicationType() op.ApplicationType {
	if c.c.Secret != "" && len(c.c.RedirectURIs) > 0 {
		return op.ApplicationTypeWeb // exact redirect URIs, port included
	}
	return op.ApplicationTypeNative
}
func (c *idpClient) AuthMethod() oidc.AuthMethod {
	if c.c.Secret == "" {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}
func (c *idpClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *idpClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}
func (c *idpClient) LoginURL(id string) string {
	return idpLoginPath + "?authRequestID=" + url.QueryEscape(id)
}
func (c *idpClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *idpClient) IDTokenLifetime() time.Duration {
	if c.idp.opts.ExpiredIDTokens {
		return -10 * time.Minute
	}
	return c.idp.opts.IDTokenLifetime
}
func (c *idpClient) DevMode() bool { return false }
func (c *idpClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *idpClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *idpClient) IsScopeAllowed(string) bool           { return false }
func (c *idpClient) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *idpClient) ClockSkew() time.Duration             { return 0 }

// The signing key.

type idpSigningKey struct {
	kid string
	key *rsa.PrivateKey
}

func (k idpSigningKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k idpSigningKey) Key() any                                    { return k.key }
func (k idpSigningKey) ID() string                                  { return k.kid }

type idpPublicKey struct {
	kid string
	key *rsa.PublicKey
}

func (k idpPublicKey) ID() string                         { return k.kid }
func (k idpPublicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k idpPublicKey) Use() string                        { return "sig" }
func (k idpPublicKey) Key() any                           { return k.key }

// Helpers for the sign-in page and tests.

// request returns a live, not yet authenticated authorization request.
func (s *idpStorage) request(id string) (*idpAuthRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	if !ok || a.done || time.Since(a.created) > idpAuthRequestTTL {
		return nil, false
	}
	return a, true
}

// authenticate marks request id as signed in by userID.
func (s *idpStorage) authenticate(id, userID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	if !ok || a.done {
		return false
	}
	signed := *a
	signed.userID, signed.authTime, signed.done = userID, time.Now(), true
	s.requests[id] = &signed
	return true
}

func (s *idpStorage) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteLocked(id)
}

func (s *idpStorage) deleteLocked(id string) {
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
}

func (s *idpStorage) receivedRequests() []IdPAuthRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]IdPAuthRequest, len(s.received))
	for i, r := range s.received {
		r.Scopes = slices.Clone(r.Scopes)
		out[i] = r
	}
	return out
}

func (s *idpStorage) count(n *int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *n
}

func randomToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

// op.AuthStorage

func (s *idpStorage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	c, ok := s.idp.client(r.ClientID)
	if !ok {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	a := &idpAuthRequest{
		idp:          s.idp,
		id:           randomToken(),
		created:      time.Now(),
		clientID:     c.GetID(),
		redirectURI:  r.RedirectURI,
		responseType: r.ResponseType,
		responseMode: r.ResponseMode,
		scopes:       slices.Clone([]string(r.Scopes)),
		state:        r.State,
		nonce:        r.Nonce,
	}
	if r.CodeChallenge != "" {
		a.codeChallenge = &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: r.CodeChallengeMethod}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[a.id] = a
	s.received = append(s.received, IdPAuthRequest{
		ClientID:            r.ClientID,
		RedirectURI:         r.RedirectURI,
		ResponseType:        string(r.ResponseType),
		Scopes:              slices.Clone([]string(r.Scopes)),
		State:               r.State,
		Nonce:               r.Nonce,
		CodeChallenge:       r.CodeChallenge,
		CodeChallengeMethod: string(r.CodeChallengeMethod),
	})
	return a, nil
}

func (s *idpStorage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	if !ok || time.Since(a.created) > idpAuthRequestTTL {
		return nil, errIdPNotFound
	}
	return a, nil
}

func (s *idpStorage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[s.codes[code]]
	if !ok || !a.done || time.Since(a.created) > idpAuthRequestTTL {
		return nil, errIdPNotFound
	}
	return a, nil
}

func (s *idpStorage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.requests[id]; !ok {
		return errIdPNotFound
	}
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest runs when a code was redeemed: the code is single use.
func (s *idpStorage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteLocked(id)
	return nil
}

func (s *idpStorage) grantOf(r op.TokenRequest) idpGrant {
	switch r := r.(type) {
	case *idpAuthRequest:
		return idpGrant{userID: r.userID, clientID: r.clientID, scopes: r.GetScopes(), audience: r.GetAudience(), authTime: r.authTime, amr: r.GetAMR()}
	case *idpRefreshRequest:
		return r.g
	}
	return idpGrant{userID: r.GetSubject(), scopes: r.GetScopes(), audience: r.GetAudience()}
}

// countLocked counts a successful grant of request r.
func (s *idpStorage) countLocked(r op.TokenRequest) {
	switch r.(type) {
	case *idpAuthRequest:
		s.exchanges++
	case *idpRefreshRequest:
		s.refreshes++
	}
}

func (s *idpStorage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	g := s.grantOf(r)
	g.expires = time.Now().Add(idpAccessTokenTTL)
	id := randomToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access[id] = g
	s.countLocked(r)
	return id, g.expires, nil
}

func (s *idpStorage) CreateAccessAndRefreshTokens(_ context.Context, r op.TokenRequest, current string) (string, string, time.Time, error) {
	g := s.grantOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if current != "" {
		if _, ok := s.refresh[current]; !ok {
			return "", "", time.Time{}, op.ErrInvalidRefreshToken
		}
		delete(s.refresh, current) // rotation: the old one is spent
	}
	ag := g
	ag.expires = time.Now().Add(idpAccessTokenTTL)
	accessID := randomToken()
	s.access[accessID] = ag
	rg := g
	rg.expires = time.Now().Add(idpRefreshTokenTTL)
	rt := randomToken()
	s.refresh[rt] = rg
	s.countLocked(r)
	return accessID, rt, ag.expires, nil
}

func (s *idpStorage) TokenRequestByRefreshToken(_ context.Context, rt string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.refresh[rt]
	if !ok || time.Now().After(g.expires) {
		return nil, op.ErrInvalidRefreshToken
	}
	g.scopes = slices.Clone(g.scopes)
	return &idpRefreshRequest{g: g}, nil
}

func (s *idpStorage) TerminateSession(context.Context, string, string) error { return nil }

func (s *idpStorage) RevokeToken(_ context.Context, tokenOrID, _, _ string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refresh, tokenOrID)
	delete(s.access, tokenOrID)
	return nil
}

func (s *idpStorage) GetRefreshTokenInfo(_ context.Context, _ string, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.refresh[token]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return g.userID, token, nil
}

func (s *idpStorage) SigningKey(context.Context) (op.SigningKey, error) {
	return idpSigningKey{kid: s.idp.kid, key: s.idp.key}, nil
}

func (s *idpStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *idpStorage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{idpPublicKey{kid: s.idp.kid, key: &s.idp.key.PublicKey}}, nil
}

// op.OPStorage

func (s *idpStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c, ok := s.idp.client(id)
	if !ok {
		return nil, errIdPNotFound
	}
	return c, nil
}

func (s *idpStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, ok := s.idp.client(id)
	if !ok || c.c.Secret == "" || !constantTimeEqual(c.c.Secret, secret) {
		return errors.New("invalid client credentials")
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in the library; the claims come from
// SetUserinfoFromRequest.
func (s *idpStorage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's user claims.
func (s *idpStorage) SetUserinfoFromRequest(_ context.Context, ui *oidc.UserInfo, r op.IDTokenRequest, scopes []string) error {
	return s.idp.fillUserinfo(ui, r.GetSubject(), scopes)
}

// SetUserinfoFromToken answers the userinfo endpoint.
func (s *idpStorage) SetUserinfoFromToken(_ context.Context, ui *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	g, ok := s.access[tokenID]
	s.mu.Unlock()
	if !ok || time.Now().After(g.expires) {
		return errors.New("invalid access token")
	}
	return s.idp.fillUserinfo(ui, g.userID, g.scopes)
}

func (s *idpStorage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("introspection is not supported")
}

func (s *idpStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *idpStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("JWT client authentication is not supported")
}

func (s *idpStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}

func (s *idpStorage) Health(context.Context) error { return nil }

// fillUserinfo sets the claims of userID for scopes: sub always, name and
// preferred_username for profile, email for email.
func (p *IdP) fillUserinfo(ui *oidc.UserInfo, userID string, scopes []string) error {
	u, ok := p.org.user(userID)
	if !ok {
		return errors.New("the user no longer exists")
	}
	ui.Subject = p.subject(userID)
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeProfile:
			ui.Name = u.Name
			ui.PreferredUsername = u.ID
		case oidc.ScopeEmail:
			ui.Email = u.ID + "@example.com"
			ui.EmailVerified = true
		}
	}
	return nil
}

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

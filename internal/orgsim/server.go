package orgsim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a running emulated organization. All its methods are safe for
// concurrent use.
type Server struct {
	opts    Options
	prefix  string // "/api/v1", or "/api" in legacy mode
	routes  []route
	assets  map[string]staticAsset // path → static file, including Options.Scripts
	csrfKey []byte
	handler http.Handler

	done      chan struct{}
	closeOnce sync.Once
	ln        net.Listener
	srv       *http.Server
	serveErr  chan error

	mu        sync.Mutex
	users     map[string]*member
	sessions  map[string]string // session id → user id
	jwks      map[string]rsaSpecification
	bootstrap string // bearer of BootstrapTokenID, "" when nobody holds MANAGE

	logMu sync.Mutex
	log   []Request

	// delayed counts the requests waiting on Options.Latency now.
	delayed atomic.Int32
}

// member is a user and the secrets of their API tokens.
type member struct {
	User
	tokens map[string]string // token id → secret
}

// newServer builds an emulator without a listener.
func newServer(o Options) (*Server, error) {
	if o.Users == nil {
		o.Users = DemoUsers()
	}
	if o.OrganizationID == "" {
		o.OrganizationID = "default"
	}
	if o.OrganizationName == "" {
		o.OrganizationName = "Example Analytics"
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	switch o.CSP {
	case CSPStrict, CSPUnsafeInline, CSPNone:
	default:
		return nil, fmt.Errorf("orgsim: unknown CSP %q (want %q, %q or %q)", o.CSP, CSPStrict, CSPUnsafeInline, CSPNone)
	}
	if o.Latency < 0 {
		return nil, errors.New("orgsim: negative latency")
	}
	if o.Host != "" && (strings.ContainsAny(o.Host, ":/[]@?# ") || strings.ToLower(o.Host) != o.Host) {
		return nil, fmt.Errorf("orgsim: host %q is not a lower-case host name", o.Host)
	}
	s := &Server{
		opts:     o,
		prefix:   "/api/v1",
		routes:   apiRoutes(),
		assets:   maps.Clone(staticAssets),
		csrfKey:  randomBytes(32),
		done:     make(chan struct{}),
		users:    map[string]*member{},
		sessions: map[string]string{},
		jwks:     map[string]rsaSpecification{},
	}
	if o.Legacy {
		s.prefix = "/api"
	}
	var admin string
	for _, u := range o.Users {
		if !validID(u.ID) {
			return nil, fmt.Errorf("orgsim: invalid user id %q", u.ID)
		}
		if _, dup := s.users[u.ID]; dup {
			return nil, fmt.Errorf("orgsim: duplicate user id %q", u.ID)
		}
		u.Permissions = slices.Clone(u.Permissions)
		if u.Permissions == nil {
			u.Permissions = []string{}
		}
		s.users[u.ID] = &member{User: u, tokens: map[string]string{}}
		if slices.Contains(u.Permissions, PermissionManage) && (admin == "" || u.ID == "admin") {
			admin = u.ID
		}
	}
	if o.PrefillUser != "" {
		if _, ok := s.users[o.PrefillUser]; !ok {
			return nil, fmt.Errorf("orgsim: prefill user %q is not a user", o.PrefillUser)
		}
	}
	for _, sc := range o.Scripts {
		if err := checkScriptPath(sc.Path); err != nil {
			return nil, err
		}
		if _, dup := s.assets[sc.Path]; dup {
			return nil, fmt.Errorf("orgsim: duplicate script path %q", sc.Path)
		}
		s.assets[sc.Path] = staticAsset{"text/javascript; charset=utf-8", slices.Clone(sc.Body)}
	}
	if admin != "" {
		s.bootstrap = s.addToken(admin, BootstrapTokenID)
	}
	s.handler = http.HandlerFunc(s.serveHTTP)
	return s, nil
}

// checkScriptPath refuses script paths that are not plain absolute paths
// or that would shadow a page or the API.
func checkScriptPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "?#\\ "):
		return fmt.Errorf("orgsim: script path %q is not an absolute URL path", p)
	case p == "/" || p == loginPath || p == logoutPath || staticAssets[p].body != nil ||
		p == "/api" || strings.HasPrefix(p, "/api/"):
		return fmt.Errorf("orgsim: script path %q is reserved", p)
	}
	return nil
}

// Start builds an emulated organization and serves it in the background on
// Options.Addr, which must be on 127.0.0.1.
func Start(o Options) (*Server, error) {
	s, err := newServer(o)
	if err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(s.opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("orgsim: listen address %q: %w", s.opts.Addr, err)
	}
	if host != "127.0.0.1" {
		return nil, fmt.Errorf("orgsim: listen address %q: only 127.0.0.1 is allowed", s.opts.Addr)
	}
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("orgsim: listen: %w", err)
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	if s.opts.TLS != nil {
		s.srv.TLSConfig = s.opts.TLS.Clone()
		ln = tls.NewListener(ln, s.srv.TLSConfig)
	}
	s.serveErr = make(chan error, 1)
	go func() { s.serveErr <- s.srv.Serve(ln) }()
	return s, nil
}

// URL is the organization's origin without a trailing slash:
// "http://127.0.0.1:PORT", or "https://HOST:PORT" with Options.TLS and
// Options.Host.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	scheme := "http"
	if s.opts.TLS != nil {
		scheme = "https"
	}
	host, port, _ := net.SplitHostPort(s.ln.Addr().String())
	if s.opts.Host != "" {
		host = s.opts.Host
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// Addr is the address the organization listens on, "127.0.0.1:PORT".
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops the listener and drops open connections. Requests waiting on
// the artificial latency give up at once.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		if s.srv == nil {
			return
		}
		err = s.srv.Close()
		if serveErr := <-s.serveErr; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
			err = serveErr
		}
	})
	return err
}

// Handler is the emulator's HTTP handler, for use with httptest or an
// outer mux. Links in its answers are built from the request's Host.
func (s *Server) Handler() http.Handler { return s.handler }

// AdminToken is the bootstrap API token (id [BootstrapTokenID]) of the user
// "admin", or of the first user with MANAGE when there is no "admin"; it is
// a new random secret at every Start. It is "" when no user holds MANAGE.
func (s *Server) AdminToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bootstrap
}

// IssueToken creates the API token tokenID for userID, as the API would,
// and returns its bearer value.
func (s *Server) IssueToken(userID, tokenID string) (bearer string, err error) {
	if !validID(tokenID) {
		return "", fmt.Errorf("orgsim: invalid token id %q", tokenID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.users[userID]
	if !ok {
		return "", fmt.Errorf("orgsim: no user %q", userID)
	}
	if _, dup := m.tokens[tokenID]; dup {
		return "", fmt.Errorf("orgsim: user %q already has a token %q", userID, tokenID)
	}
	return s.addToken(userID, tokenID), nil
}

// HasToken reports whether userID has an API token tokenID.
func (s *Server) HasToken(userID, tokenID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.users[userID]
	if !ok {
		return false
	}
	_, ok = m.tokens[tokenID]
	return ok
}

// TokenIDs lists the ids of userID's API tokens, sorted.
func (s *Server) TokenIDs(userID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.users[userID]
	if !ok {
		return nil
	}
	return m.tokenIDs()
}

// SetPermissions replaces the permissions of userID. It panics when there
// is no such user: that is a mistake in the calling test.
func (s *Server) SetPermissions(userID string, perms ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.users[userID]
	if !ok {
		panic(fmt.Sprintf("orgsim: SetPermissions: no user %q", userID))
	}
	m.Permissions = append([]string{}, perms...)
}

// NewSession signs userID in without the login page and returns the
// session cookie a browser would hold.
func (s *Server) NewSession(userID string) (*http.Cookie, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return nil, fmt.Errorf("orgsim: no user %q", userID)
	}
	return sessionCookie(s.newSessionLocked(userID), s.opts.TLS != nil), nil
}

// AddJWK registers an RSA public key for JWT bearer authentication, as an
// administrator would with POST /api/v1/entities/jwks: JWTs whose header
// carries kid and alg (RS256, RS384 or RS512) are verified with it.
func (s *Server) AddJWK(id, kid, alg string, key *rsa.PublicKey) error {
	if key == nil {
		return errors.New("orgsim: AddJWK: nil key")
	}
	spec := rsaSpecFromKey(kid, alg, key)
	if err := spec.validate(); err != nil {
		return fmt.Errorf("orgsim: AddJWK: %w", err)
	}
	if !validID(id) {
		return fmt.Errorf("orgsim: AddJWK: invalid id %q", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.jwks[id]; dup {
		return fmt.Errorf("orgsim: AddJWK: a key %q exists", id)
	}
	s.jwks[id] = spec
	return nil
}

// addToken stores a new token; s.mu must be held (or s not yet shared).
func (s *Server) addToken(userID, tokenID string) string {
	secret := base64.StdEncoding.EncodeToString(randomBytes(24))
	s.users[userID].tokens[tokenID] = secret
	return base64.StdEncoding.EncodeToString([]byte(userID + ":" + tokenID + ":" + secret))
}

func (m *member) tokenIDs() []string {
	ids := make([]string, 0, len(m.tokens))
	for id := range m.tokens {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (m *member) has(perm string) bool { return slices.Contains(m.Permissions, perm) }

// newSessionLocked creates a session; s.mu must be held.
func (s *Server) newSessionLocked(userID string) string {
	id := base64.RawURLEncoding.EncodeToString(randomBytes(32))
	s.sessions[id] = userID
	return id
}

// serveHTTP is the root of every exchange: it records it, then hands it to
// the API or to the pages.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	lw := s.newLogWriter(w, r)
	defer lw.finish()
	x := &exchange{w: lw, r: r}
	h := lw.Header()
	h.Set("Expires", "0")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(traceHeader, lw.traceID)
	if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
		s.serveAPI(x)
		return
	}
	s.servePage(x)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return b
}

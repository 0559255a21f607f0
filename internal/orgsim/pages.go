package orgsim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"unicode"
)

// Paths of the browser side.
const (
	loginPath   = "/appLogin"
	logoutPath  = "/logout"
	cssPath     = "/assets/app.css"
	faviconPath = "/assets/favicon.svg"
)

// htmlCSP is the policy of every HTML answer (CSPStrict): no inline
// scripts or styles, no eval, no connections or form posts to other
// origins. script-src is spelt out, as a real organization's policy does.
const htmlCSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'"

// htmlCSPUnsafeInline is htmlCSP whose script-src allows inline scripts
// and javascript: URLs (CSPUnsafeInline).
const htmlCSPUnsafeInline = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'"

// pagePolicy is the Content-Security-Policy of the HTML pages, "" for none.
func (s *Server) pagePolicy() string {
	switch s.opts.CSP {
	case CSPUnsafeInline:
		return htmlCSPUnsafeInline
	case CSPNone:
		return ""
	default:
		return htmlCSP
	}
}

// loginCSRFCookie carries the double-submit token of the login form; being
// SameSite=Lax it never comes with a cross-site POST, which stops login
// CSRF.
const loginCSRFCookie = "GDC_LOGIN_CSRF"

// maxRedirectTo bounds the redirectTo parameter.
const maxRedirectTo = 8 << 10

var (
	//go:embed templates/*.html
	templateFS embed.FS
	//go:embed assets/app.css
	appCSS []byte
	//go:embed assets/favicon.svg
	faviconSVG []byte

	// staticAssets are the files of the pages; like the configured scripts,
	// they are served to anybody, signed in or not.
	staticAssets = map[string]staticAsset{
		cssPath:     {"text/css; charset=utf-8", appCSS},
		faviconPath: {"image/svg+xml", faviconSVG},
	}

	pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))
)

type staticAsset struct {
	contentType string
	body        []byte
}

// pageBase is what every page template needs.
type pageBase struct {
	Title    string
	OrgName  string
	Initials string
}

func (s *Server) pageBase(title string) pageBase {
	return pageBase{Title: title, OrgName: s.opts.OrganizationName, Initials: initials(s.opts.OrganizationName)}
}

// initials makes the logo text from the organization's name ("EA").
func initials(name string) string {
	var b strings.Builder
	for _, w := range strings.Fields(name) {
		r := []rune(w)[0]
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToUpper(r))
		}
		if b.Len() >= 2 {
			break
		}
	}
	if b.Len() == 0 {
		return "GD"
	}
	return b.String()
}

type loginPage struct {
	pageBase
	RedirectTo, CSRF, Username, Password, Error string
}

type homePage struct {
	pageBase
	OrgID, Name, UserID, CSRF string
	Scripts                   []string
}

type errorPage struct {
	pageBase
	Heading, Message string
}

// servePage answers everything outside /api.
func (s *Server) servePage(x *exchange) {
	uid, signedIn := s.sessionUser(x.r)
	if signedIn {
		x.w.auth = authLabel(authSession, uid)
		x.caller = uid
	}
	path := x.r.URL.Path
	switch {
	case path == "/":
		if s.allow(x, http.MethodGet) {
			s.home(x)
		}
	case path == loginPath:
		if s.allow(x, http.MethodGet, http.MethodPost) {
			if x.r.Method == http.MethodGet {
				s.loginForm(x)
			} else {
				s.loginSubmit(x)
			}
		}
	case path == logoutPath:
		if s.allow(x, http.MethodPost) {
			s.logout(x)
		}
	default:
		a, ok := s.assets[path]
		if !ok {
			s.errorPage(x, http.StatusNotFound, "Page not found", "There is nothing at this address.")
			return
		}
		if s.allow(x, http.MethodGet) {
			x.w.Header().Set("Content-Type", a.contentType)
			_, _ = x.w.Write(a.body)
		}
	}
}

// allow answers 405 unless the request uses one of the methods.
func (s *Server) allow(x *exchange, methods ...string) bool {
	for _, m := range methods {
		if x.r.Method == m {
			return true
		}
	}
	x.w.Header().Set("Allow", strings.Join(methods, ", "))
	s.errorPage(x, http.StatusMethodNotAllowed, "Method not allowed",
		fmt.Sprintf("This address does not accept %s requests.", x.r.Method))
	return false
}

// render writes an HTML page with the strict CSP.
func (s *Server) render(x *exchange, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		panic(err) // the templates and their data are ours
	}
	h := x.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if csp := s.pagePolicy(); csp != "" {
		h.Set("Content-Security-Policy", csp)
	}
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "same-origin")
	x.w.WriteHeader(status)
	_, _ = x.w.Write(buf.Bytes())
}

func (s *Server) errorPage(x *exchange, status int, heading, message string) {
	s.render(x, status, "error.html", errorPage{
		pageBase: s.pageBase(heading + " · " + s.opts.OrganizationName),
		Heading:  heading,
		Message:  message,
	})
}

// safeRedirect keeps redirectTo only when it is a path on this origin:
// one leading "/", not "//" or "/\" (which browsers read as another host),
// printable ASCII without backslashes, no scheme or host. Anything else
// becomes "/".
func safeRedirect(v string) string {
	if v == "" || v[0] != '/' || len(v) > maxRedirectTo {
		return "/"
	}
	if len(v) > 1 && (v[1] == '/' || v[1] == '\\') {
		return "/"
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return v
}

// loginForm answers GET /appLogin. A browser that is already signed in is
// sent straight on to redirectTo, as the real server does after a silent
// single sign-on round trip.
func (s *Server) loginForm(x *exchange) {
	next := safeRedirect(x.r.URL.Query().Get("redirectTo"))
	if x.caller != "" {
		x.w.Header().Set("Location", next)
		x.w.WriteHeader(http.StatusFound)
		return
	}
	page := loginPage{RedirectTo: next}
	if s.opts.PrefillUser != "" {
		s.mu.Lock()
		u := s.users[s.opts.PrefillUser].User
		s.mu.Unlock()
		page.Username, page.Password = u.ID, u.Password
	}
	s.renderLogin(x, http.StatusOK, page)
}

// renderLogin shows the sign-in form with a login CSRF token, reusing the
// browser's token so that two open sign-in tabs both work.
func (s *Server) renderLogin(x *exchange, status int, page loginPage) {
	token := ""
	if c, err := x.r.Cookie(loginCSRFCookie); err == nil && len(c.Value) == 43 {
		token = c.Value
	} else {
		token = base64.RawURLEncoding.EncodeToString(randomBytes(32))
	}
	http.SetCookie(x.w, &http.Cookie{
		Name:     loginCSRFCookie,
		Value:    token,
		Path:     loginPath,
		HttpOnly: true,
		Secure:   x.r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
	page.CSRF = token
	page.pageBase = s.pageBase("Sign in · " + s.opts.OrganizationName)
	s.render(x, status, "login.html", page)
}

// loginSubmit answers POST /appLogin: check the CSRF token and the
// credentials, start a fresh session, go to redirectTo.
func (s *Server) loginSubmit(x *exchange) {
	x.r.Body = http.MaxBytesReader(x.w, x.r.Body, 64<<10)
	if err := x.r.ParseForm(); err != nil {
		s.errorPage(x, http.StatusBadRequest, "Bad request", "The sign-in form could not be read.")
		return
	}
	form := x.r.PostForm
	next := safeRedirect(form.Get("redirectTo"))
	username := strings.TrimSpace(form.Get("username"))
	page := loginPage{RedirectTo: next, Username: username}

	c, err := x.r.Cookie(loginCSRFCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form.Get("_csrf"))) != 1 {
		page.Error = "Your sign-in page has expired. Please sign in again."
		s.renderLogin(x, http.StatusForbidden, page)
		return
	}

	password := form.Get("password")
	s.mu.Lock()
	m, known := s.users[username]
	ok := known && m.Password != "" &&
		subtle.ConstantTimeCompare([]byte(m.Password), []byte(password)) == 1
	var sid string
	if ok {
		for _, old := range x.r.CookiesNamed(SessionCookieName) {
			delete(s.sessions, old.Value) // no session fixation
		}
		sid = s.newSessionLocked(m.ID)
	}
	s.mu.Unlock()
	if !ok {
		page.Error = "Incorrect user ID or password."
		s.renderLogin(x, http.StatusUnauthorized, page)
		return
	}
	x.w.auth = authLabel(authSession, username)
	http.SetCookie(x.w, sessionCookie(sid, x.r.TLS != nil))
	x.w.Header().Set("Location", next)
	x.w.WriteHeader(http.StatusFound)
}

// logoutToken binds the sign-out form to the session.
func (s *Server) logoutToken(sessionID string) string {
	mac := hmac.New(sha256.New, s.csrfKey)
	mac.Write([]byte("logout\x00" + sessionID))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// currentSessionID is the id of the request's valid session cookie.
func (s *Server) currentSessionID(r *http.Request) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range r.CookiesNamed(SessionCookieName) {
		if _, ok := s.sessions[c.Value]; ok {
			return c.Value
		}
	}
	return ""
}

// home answers GET /: the organization's home page, which loads the
// configured scripts.
func (s *Server) home(x *exchange) {
	if x.caller == "" {
		x.requireLogin()
		return
	}
	s.mu.Lock()
	u := s.users[x.caller].User
	s.mu.Unlock()
	page := homePage{
		pageBase: s.pageBase(s.opts.OrganizationName),
		OrgID:    s.opts.OrganizationID,
		Name:     u.Name,
		UserID:   u.ID,
		CSRF:     s.logoutToken(s.currentSessionID(x.r)),
	}
	for _, sc := range s.opts.Scripts {
		page.Scripts = append(page.Scripts, sc.Path)
	}
	s.render(x, http.StatusOK, "home.html", page)
}

// logout answers POST /logout: end the session and forget the cookie.
func (s *Server) logout(x *exchange) {
	sid := s.currentSessionID(x.r)
	if sid == "" {
		x.w.Header().Set("Location", loginPath)
		x.w.WriteHeader(http.StatusFound)
		return
	}
	x.r.Body = http.MaxBytesReader(x.w, x.r.Body, 64<<10)
	if err := x.r.ParseForm(); err != nil || !hmac.Equal([]byte(x.r.PostForm.Get("_csrf")), []byte(s.logoutToken(sid))) {
		s.errorPage(x, http.StatusForbidden, "Sign-out refused", "The sign-out form has expired. Go back, reload the page and try again.")
		return
	}
	s.mu.Lock()
	delete(s.sessions, sid)
	s.mu.Unlock()
	gone := sessionCookie("", x.r.TLS != nil)
	gone.MaxAge = -1
	http.SetCookie(x.w, gone)
	x.w.Header().Set("Location", loginPath)
	x.w.WriteHeader(http.StatusFound)
}

package orgsim

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// invalidBearerChallenge is the WWW-Authenticate value of the recorded
// answer to a bearer the server cannot resolve.
const invalidBearerChallenge = `Bearer error="invalid_token", ` +
	`error_description="Unable to lookup user details for provided Bearer token", ` +
	`error_uri="https://tools.ietf.org/html/rfc6750#section-3.1"`

// authKind says how a request was authenticated.
type authKind int

const (
	authNone    authKind = iota // no credentials (or an unknown session)
	authInvalid                 // a bearer that does not resolve to a user
	authBearer                  // an API token
	authJWT                     // a JWT signed with a registered key
	authSession                 // the browser session cookie
)

// jwtShape matches a compact JWS: three base64url parts. Such a bearer is
// always verified as a JWT, never looked up as an API token.
var jwtShape = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)

// authenticate resolves the caller the way the real server does: the
// Authorization bearer first, then the session cookie.
func (s *Server) authenticate(r *http.Request) (authKind, string) {
	if bearer, ok := bearerToken(r); ok {
		if jwtShape.MatchString(bearer) {
			if sub, ok := s.verifyJWT(bearer); ok {
				return authJWT, sub
			}
			return authInvalid, ""
		}
		if uid, ok := s.lookupAPIToken(bearer); ok {
			return authBearer, uid
		}
		return authInvalid, ""
	}
	if uid, ok := s.sessionUser(r); ok {
		return authSession, uid
	}
	return authNone, ""
}

// bearerToken extracts the credentials of an "Authorization: Bearer"
// header; ok is false when there is no bearer at all (other schemes are
// ignored, as Spring's bearer resolver does).
func bearerToken(r *http.Request) (string, bool) {
	v := r.Header.Get("Authorization")
	if len(v) < len("Bearer") || !strings.EqualFold(v[:len("Bearer")], "Bearer") {
		return "", false
	}
	rest := v[len("Bearer"):]
	if rest != "" && rest[0] != ' ' {
		return "", false // some other scheme, such as "Bearerish"
	}
	return strings.TrimSpace(rest), true
}

// lookupAPIToken resolves base64("userId:tokenId:secret").
func (s *Server) lookupAPIToken(bearer string) (string, bool) {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(bearer, "="))
	if err != nil {
		return "", false
	}
	parts := strings.SplitN(string(raw), ":", 3)
	if len(parts) != 3 {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.users[parts[0]]
	if !ok {
		return "", false
	}
	secret, ok := m.tokens[parts[1]]
	if !ok || subtle.ConstantTimeCompare([]byte(secret), []byte(parts[2])) != 1 {
		return "", false
	}
	return m.ID, true
}

// sessionUser resolves the session cookie; unknown sessions are ignored.
func (s *Server) sessionUser(r *http.Request) (string, bool) {
	for _, c := range r.CookiesNamed(SessionCookieName) {
		s.mu.Lock()
		uid, ok := s.sessions[c.Value]
		s.mu.Unlock()
		if ok {
			return uid, true
		}
	}
	return "", false
}

// sessionCookie is the cookie that carries a session id; secure over https,
// as GoodData sets it.
func sessionCookie(id string, secure bool) *http.Cookie {
	return &http.Cookie{
		Name:     SessionCookieName,
		Value:    id,
		Path:     "/",
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// authLabel is the request log's name for who the caller is.
func authLabel(kind authKind, uid string) string {
	switch kind {
	case authInvalid:
		return "invalid"
	case authBearer:
		return "bearer:" + uid
	case authJWT:
		return "jwt:" + uid
	case authSession:
		return "session:" + uid
	}
	return "none"
}

// rejectBearer is the recorded answer to a bad bearer: 401, no body, a
// WWW-Authenticate challenge and no trace id.
func (x *exchange) rejectBearer() {
	h := x.w.Header()
	h.Del(traceHeader)
	h.Set("WWW-Authenticate", invalidBearerChallenge)
	x.w.WriteHeader(http.StatusUnauthorized)
}

// requireLogin answers an unauthenticated request: a clean 401 for
// XMLHttpRequest callers, otherwise a redirect to the login page that
// brings the browser back afterwards.
func (x *exchange) requireLogin() {
	if x.r.Header.Get("X-Requested-With") == "XMLHttpRequest" {
		x.w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		x.w.WriteHeader(http.StatusUnauthorized)
		_, _ = x.w.Write([]byte(loginPath))
		return
	}
	back := x.r.URL.EscapedPath()
	if x.r.URL.RawQuery != "" {
		back += "?" + x.r.URL.RawQuery
	}
	x.w.Header().Set("Location", loginPath+"?redirectTo="+url.QueryEscape(back))
	x.w.WriteHeader(http.StatusFound)
}

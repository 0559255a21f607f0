// Package handofftest holds what the browser tests of the handoff script
// share: a fake organization (pages under the organization's strict CSP and
// a small fake GoodData API that logs every request), a fake gdlogin
// listener for the callback navigation, and helpers that run the script in
// headless Chromium and wait for its outcome.
//
// The fake organization is deliberately small and scriptable (a 409, a 403,
// a legacy /api server, a signed-out user); the whole flow against the real
// emulator is tested elsewhere.
package handofftest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// OrgCSP is the organization's Content-Security-Policy (SPEC 6): no inline
// script or style, fetch only to its own origin.
const OrgCSP = "default-src 'self'; connect-src 'self'; form-action 'self'"

// OrgOptions script the fake organization. The zero value is john.doe,
// allowed to create his own tokens, on a current (/api/v1) server.
type OrgOptions struct {
	UserID      string   // default "john.doe"
	Name        string   // default "John Doe"
	Permissions []string // default SELF_CREATE_TOKEN; empty slice (not nil) for none
	Legacy      bool     // only /api/... paths; /api/v1/... answers 404
	SignedOut   bool     // the API answers 401, as without a session
	TakenIDs    []string // token ids that exist already: creating one answers 409
	// CreateStatus, when set, is the status of every token creation (403,
	// 500, ...), answered as problem+json.
	CreateStatus int
	// DropCreate closes the connection of every token creation without an
	// answer, as a network failure would.
	DropCreate bool
	Token      string // the bearer token to hand out; default base64(userId:tokenId:secret)
	// Script is the handoff script served at /handoff.js (static.HandoffScript
	// in gdlogin's tests); nil answers 404. The caller passes it in, so that
	// this package, and the crypto package's tests, do not import the assets.
	Script  []byte
	TraceID string // X-GDC-TRACE-ID of every API answer; default "trace-0001"
}

// Request is one request that reached the fake organization or listener.
type Request struct {
	Method         string
	Path           string // path and query
	ContentType    string
	XRequestedWith string
	Body           string
}

// Org is a fake organization served on 127.0.0.1.
type Org struct {
	URL  string // the origin, http://127.0.0.1:PORT
	Host string // 127.0.0.1:PORT, for browsertest.Options.PublicHosts

	opts OrgOptions
	log  requestLog
	mu   sync.Mutex
	made []string // token ids created
}

// requestLog records requests; safe for concurrent use.
type requestLog struct {
	mu  sync.Mutex
	all []Request
}

func (l *requestLog) record(r *http.Request) Request {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req := Request{
		Method:         r.Method,
		Path:           r.URL.RequestURI(),
		ContentType:    r.Header.Get("Content-Type"),
		XRequestedWith: r.Header.Get("X-Requested-With"),
		Body:           string(body),
	}
	l.mu.Lock()
	l.all = append(l.all, req)
	l.mu.Unlock()
	return req
}

func (l *requestLog) requests() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.all)
}

// NewOrg starts a fake organization; it stops when the test ends.
func NewOrg(t testing.TB, o OrgOptions) *Org {
	t.Helper()
	if o.UserID == "" {
		o.UserID = "john.doe"
	}
	if o.Name == "" {
		o.Name = "John Doe"
	}
	if o.Permissions == nil {
		o.Permissions = []string{"SELF_CREATE_TOKEN"}
	}
	if o.TraceID == "" {
		o.TraceID = "trace-0001"
	}
	org := &Org{opts: o}
	srv := httptest.NewServer(http.HandlerFunc(org.serve))
	t.Cleanup(srv.Close)
	org.URL = srv.URL
	org.Host = strings.TrimPrefix(srv.URL, "http://")
	return org
}

// Requests returns every request so far, pages included.
func (o *Org) Requests() []Request {
	return o.log.requests()
}

// APIRequests returns the requests to /api.
func (o *Org) APIRequests() []Request {
	var api []Request
	for _, r := range o.Requests() {
		if strings.HasPrefix(r.Path, "/api") {
			api = append(api, r)
		}
	}
	return api
}

// Created returns the ids of the tokens created so far.
func (o *Org) Created() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.made)
}

// TokenFor is the bearer token the organization hands out for tokenID.
func (o *Org) TokenFor(tokenID string) string {
	if o.opts.Token != "" {
		return o.opts.Token
	}
	return base64.StdEncoding.EncodeToString([]byte(o.opts.UserID + ":" + tokenID + ":c2VjcmV0LW9mLXRoZS10ZXN0"))
}

func (o *Org) serve(w http.ResponseWriter, r *http.Request) {
	req := o.log.record(r)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	switch {
	case r.URL.Path == "/favicon.ico":
		http.NotFound(w, r)
	case r.URL.Path == "/handoff.js" && o.opts.Script != nil:
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write(o.opts.Script)
	case !strings.HasPrefix(r.URL.Path, "/api"):
		o.page(w, r)
	default:
		o.api(w, r, req)
	}
}

// page serves an organization page under the strict CSP. /included loads
// the handoff script with <script src> in <head>, as the emulator does.
func (o *Org) page(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", OrgCSP)
	h.Set("Content-Type", "text/html; charset=utf-8")
	script := ""
	if r.URL.Path == "/included" {
		script = `<script src="/handoff.js"></script>`
	}
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Example organization</title>%s</head>`+
		`<body><h1>Example organization</h1><p id="content">Dashboards of example.com.</p></body></html>`, script)
}

func (o *Org) api(w http.ResponseWriter, r *http.Request, req Request) {
	w.Header().Set("X-GDC-TRACE-ID", o.opts.TraceID)
	path := r.URL.Path
	if o.opts.Legacy {
		if strings.HasPrefix(path, "/api/v1/") {
			problem(w, http.StatusNotFound, "Not Found", o.opts.TraceID)
			return
		}
		path = "/api/v1" + strings.TrimPrefix(path, "/api")
	}
	if o.opts.SignedOut {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, "/appLogin")
		return
	}
	prefix := "/api/v1/entities/users/" + o.opts.UserID + "/apiTokens"
	switch {
	case path == "/api/v1/profile" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{
			"userId":           o.opts.UserID,
			"name":             o.opts.Name,
			"organizationId":   "example",
			"organizationName": "Example",
			"permissions":      o.opts.Permissions,
			"links":            map[string]string{"user": "/api/v1/entities/users/" + o.opts.UserID},
		})
	case path == prefix && r.Method == http.MethodPost:
		o.createToken(w, req)
	default:
		problem(w, http.StatusNotFound, "Not Found", o.opts.TraceID)
	}
}

func (o *Org) createToken(w http.ResponseWriter, req Request) {
	if o.opts.DropCreate {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	if o.opts.CreateStatus != 0 {
		problem(w, o.opts.CreateStatus, http.StatusText(o.opts.CreateStatus), o.opts.TraceID)
		return
	}
	var body struct {
		Data struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(req.Body), &body); err != nil || body.Data.Type != "apiToken" || body.Data.ID == "" {
		problem(w, http.StatusBadRequest, "Bad Request", o.opts.TraceID)
		return
	}
	id := body.Data.ID
	o.mu.Lock()
	taken := slices.Contains(o.opts.TakenIDs, id) || slices.Contains(o.made, id)
	if !taken {
		o.made = append(o.made, id)
	}
	o.mu.Unlock()
	if taken {
		problem(w, http.StatusConflict, "Conflict", o.opts.TraceID)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.gooddata.api+json")
	writeJSON(w, http.StatusCreated, map[string]any{
		"data": map[string]any{
			"id":         id,
			"type":       "apiToken",
			"attributes": map[string]string{"bearerToken": o.TokenFor(id)},
		},
		"links": map[string]string{"self": o.URL + "/api/v1/entities/users/" + o.opts.UserID + "/apiTokens/" + id},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func problem(w http.ResponseWriter, status int, title, trace string) {
	w.Header().Set("Content-Type", "application/problem+json")
	writeJSON(w, status, map[string]any{"title": title, "status": status, "detail": title, "traceId": trace})
}

// Listener is a fake gdlogin loopback listener on 127.0.0.1: it answers
// /callback with a plain page and logs every request. The envelope travels
// in the fragment, so it never reaches the listener; tests read it from the
// browser's location.
type Listener struct {
	URL  string
	Port int

	log requestLog
}

// NewListener starts a fake gdlogin listener; it stops when the test ends.
func NewListener(t testing.TB) *Listener {
	t.Helper()
	l := &Listener{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.log.record(r)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>gdlogin callback</title><p>callback</p>`)
	}))
	t.Cleanup(srv.Close)
	l.URL = srv.URL
	fmt.Sscanf(srv.URL, "http://127.0.0.1:%d", &l.Port)
	return l
}

// Requests returns every request the listener got.
func (l *Listener) Requests() []Request {
	return l.log.requests()
}

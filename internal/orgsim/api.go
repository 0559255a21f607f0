package orgsim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// idPattern is the OpenAPI's pattern for entity ids,
// ^(?!\.)[.A-Za-z0-9_-]{1,255}$ (Go's regexp has no lookahead, so the
// leading dot is checked apart).
var idPattern = regexp.MustCompile(`^[.A-Za-z0-9_-]{1,255}$`)

// idRule is the id pattern as the API's error messages quote it.
const idRule = `^(?!\.)[.A-Za-z0-9_-]{1,255}$`

func validID(id string) bool {
	return idPattern.MatchString(id) && id[0] != '.'
}

// route is one operation of the API, relative to the API prefix; patterns
// use the OpenAPI's path templates.
type route struct {
	method  string
	pattern string
	jsonAPI bool // the OpenAPI lists application/vnd.gooddata.api+json
	handle  func(*Server, *exchange)
}

// apiRoutes lists every operation the emulator serves.
func apiRoutes() []route {
	return []route{
		{http.MethodGet, "/profile", false, (*Server).getProfile},
		{http.MethodGet, "/options", false, (*Server).getOptions},
		{http.MethodGet, "/entities/users/{id}", true, (*Server).getUser},
		{http.MethodGet, "/entities/users/{userId}/apiTokens", true, (*Server).listTokens},
		{http.MethodPost, "/entities/users/{userId}/apiTokens", true, (*Server).createToken},
		{http.MethodGet, "/entities/users/{userId}/apiTokens/{id}", true, (*Server).getToken},
		{http.MethodDelete, "/entities/users/{userId}/apiTokens/{id}", true, (*Server).deleteToken},
		{http.MethodGet, "/entities/jwks", true, (*Server).listJWKs},
		{http.MethodPost, "/entities/jwks", true, (*Server).createJWK},
		{http.MethodGet, "/entities/jwks/{id}", true, (*Server).getJWK},
		{http.MethodPut, "/entities/jwks/{id}", true, (*Server).putJWK},
		{http.MethodPatch, "/entities/jwks/{id}", true, (*Server).patchJWK},
		{http.MethodDelete, "/entities/jwks/{id}", true, (*Server).deleteJWK},
	}
}

// matchPath matches a path against a template such as
// "/entities/users/{userId}/apiTokens"; a parameter is one non-empty
// segment.
func matchPath(pattern, path string) (map[string]string, bool) {
	ps := strings.Split(pattern, "/")
	xs := strings.Split(path, "/")
	if len(ps) != len(xs) {
		return nil, false
	}
	params := map[string]string{}
	for i, p := range ps {
		if name, ok := strings.CutPrefix(p, "{"); ok {
			if xs[i] == "" {
				return nil, false
			}
			params[strings.TrimSuffix(name, "}")] = xs[i]
			continue
		}
		if p != xs[i] {
			return nil, false
		}
	}
	return params, true
}

// serveAPI answers everything under /api: latency, authentication (bearer,
// then session), then the operation.
func (s *Server) serveAPI(x *exchange) {
	if s.opts.Latency > 0 {
		t := time.NewTimer(s.opts.Latency)
		s.delayed.Add(1)
		defer s.delayed.Add(-1)
		select {
		case <-t.C:
		case <-x.r.Context().Done():
			t.Stop()
			x.fail(http.StatusServiceUnavailable, "The request was abandoned.")
			return
		case <-s.done:
			t.Stop()
			x.fail(http.StatusServiceUnavailable, "The server is shutting down.")
			return
		}
	}
	kind, uid := s.authenticate(x.r)
	x.w.auth = authLabel(kind, uid)
	switch kind {
	case authInvalid:
		x.rejectBearer()
		return
	case authNone:
		x.requireLogin()
		return
	}
	x.caller = uid

	rest, ok := strings.CutPrefix(x.r.URL.Path, s.prefix)
	if ok && strings.HasPrefix(rest, "/") {
		var allowed []string
		for _, rt := range s.routes {
			params, ok := matchPath(rt.pattern, rest)
			if !ok {
				continue
			}
			if rt.method != x.r.Method {
				allowed = append(allowed, rt.method)
				continue
			}
			x.params, x.jsonAPI = params, rt.jsonAPI
			rt.handle(s, x)
			return
		}
		if allowed != nil {
			x.w.Header().Set("Allow", strings.Join(allowed, ", "))
			x.fail(http.StatusMethodNotAllowed, fmt.Sprintf("Request method '%s' is not supported.", x.r.Method))
			return
		}
	}
	x.fail(http.StatusNotFound, "The requested endpoint does not exist.")
}

// apiURL is the absolute URL of an API path (relative to the prefix).
func (s *Server) apiURL(x *exchange, path string) string {
	return x.baseURL() + s.prefix + path
}

// userPath is the API path of a user entity.
func userPath(id string) string { return "/entities/users/" + url.PathEscape(id) }

// callerLocked returns a copy of the authenticated user; s.mu must be held.
func (s *Server) callerLocked(x *exchange) User {
	return s.users[x.caller].User
}

// getProfile answers GET /api/v1/profile.
func (s *Server) getProfile(x *exchange) {
	s.mu.Lock()
	u := s.callerLocked(x)
	perms := slices.Clone(u.Permissions)
	s.mu.Unlock()

	hash := func(v string) string {
		sum := sha256.Sum256([]byte(v))
		return hex.EncodeToString(sum[:16])
	}
	x.writeJSON(http.StatusOK, map[string]any{
		"entitlements": []map[string]string{
			{"name": "Contract", "value": "Emulated"},
			{"name": "UserCount", "value": strconv.Itoa(len(s.opts.Users))},
			{"name": "UnlimitedWorkspaces"},
		},
		"features": map[string]any{
			"context": map[string]any{"earlyAccess": "", "earlyAccessValues": []string{}},
			"items": map[string]string{
				"enableApiTokens":     "true",
				"enableJwtBearerAuth": "true",
			},
		},
		"links": map[string]string{
			"organization": s.apiURL(x, "/entities/admin/organizations/"+url.PathEscape(s.opts.OrganizationID)),
			"self":         s.apiURL(x, "/profile"),
			"user":         s.apiURL(x, userPath(u.ID)),
		},
		"name":             u.Name,
		"organizationId":   s.opts.OrganizationID,
		"organizationName": s.opts.OrganizationName,
		"permissions":      perms,
		"telemetryConfig": map[string]any{
			"context": map[string]string{
				"deploymentId":     "orgsim",
				"organizationHash": hash("org:" + s.opts.OrganizationID),
				"userHash":         hash("user:" + u.ID),
			},
			"services": map[string]any{},
		},
		"userId": u.ID,
	})
}

// getOptions answers GET /api/v1/options, an endpoint the invalid-bearer
// recording probes.
func (s *Server) getOptions(x *exchange) {
	x.writeJSON(http.StatusOK, map[string]any{})
}

// getUser answers GET /api/v1/entities/users/{id}: oneself, or anyone
// with MANAGE.
func (s *Server) getUser(x *exchange) {
	id := x.params["id"]
	s.mu.Lock()
	caller := s.users[x.caller]
	target, exists := s.users[id]
	var u User
	if exists {
		u = target.User
	}
	mayRead := id == x.caller || caller.has(PermissionManage)
	s.mu.Unlock()
	switch {
	case !mayRead:
		x.fail(http.StatusForbidden, fmt.Sprintf("Permission %s is required to read user '%s'.", PermissionManage, id))
		return
	case !exists:
		x.fail(http.StatusNotFound, fmt.Sprintf("User '%s' does not exist.", id))
		return
	}
	first, last, _ := strings.Cut(u.Name, " ")
	attrs := map[string]any{
		"authenticationId": base64.RawURLEncoding.EncodeToString([]byte("example.com|" + u.ID)),
		"email":            u.ID + "@example.com",
		"firstname":        first,
		"lastname":         last,
	}
	x.writeJSON(http.StatusOK, document{
		Data:  resource{Attributes: attrs, ID: u.ID, Type: "user"},
		Links: objectLinks{Self: s.apiURL(x, userPath(u.ID))},
	})
}

// JSON:API documents as the server writes them.
type (
	objectLinks struct {
		Self string `json:"self"`
	}
	listLinks struct {
		Next string `json:"next"`
		Self string `json:"self"`
	}
	resource struct {
		Attributes any          `json:"attributes"`
		ID         string       `json:"id"`
		Links      *objectLinks `json:"links,omitempty"`
		Type       string       `json:"type"`
	}
	document struct {
		Data  resource    `json:"data"`
		Links objectLinks `json:"links"`
	}
	listDocument struct {
		Data  []resource `json:"data"`
		Links listLinks  `json:"links"`
		Meta  *listMeta  `json:"meta,omitempty"`
	}
	listMeta struct {
		Page pageMetadata `json:"page"`
	}
	pageMetadata struct {
		Number        int `json:"number"`
		Size          int `json:"size"`
		TotalElements int `json:"totalElements"`
		TotalPages    int `json:"totalPages"`
	}
)

// Paging as Spring Data resolves it: unreadable, negative or out-of-int32
// values fall back to the defaults, oversized pages are capped.
const (
	defaultPageSize = 20
	maxPageSize     = 2000
)

type pageRequest struct {
	page, size int
	meta       bool // metaInclude asked for page metadata
}

func parsePage(q url.Values) pageRequest {
	p := pageRequest{size: defaultPageSize}
	if n, err := strconv.ParseInt(q.Get("page"), 10, 32); err == nil && n > 0 {
		p.page = int(n)
	}
	if n, err := strconv.ParseInt(q.Get("size"), 10, 32); err == nil && n > 0 {
		p.size = min(int(n), maxPageSize)
	}
	for _, v := range q["metaInclude"] {
		for _, m := range strings.Split(v, ",") {
			if m == "page" || m == "all" || m == "ALL" {
				p.meta = true
			}
		}
	}
	return p
}

// window is the slice of n items that the page covers.
func (p pageRequest) window(n int) (lo, hi int) {
	if p.page > n/p.size {
		return n, n
	}
	lo = p.page * p.size
	return lo, min(lo+p.size, n)
}

// listDoc builds a list document; links.next is always present, even on
// the last or an empty page, as on the real server.
func (p pageRequest) listDoc(collection string, total int, data []resource) listDocument {
	link := func(page int) string {
		return fmt.Sprintf("%s?page=%d&size=%d", collection, page, p.size)
	}
	doc := listDocument{Data: data, Links: listLinks{Self: link(p.page), Next: link(p.page + 1)}}
	if doc.Data == nil {
		doc.Data = []resource{}
	}
	if p.meta {
		doc.Meta = &listMeta{Page: pageMetadata{
			Number:        p.page,
			Size:          p.size,
			TotalElements: total,
			TotalPages:    (total + p.size - 1) / p.size,
		}}
	}
	return doc
}

// maxBody bounds request bodies.
const maxBody = 1 << 20

// readJSON checks the request's content type (415 otherwise) and decodes
// exactly one JSON value (400 otherwise). It answers the error itself.
func (x *exchange) readJSON(v any) bool {
	ct := x.r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != mediaJSON && mt != mediaJSONAPI) {
		if ct == "" {
			ct = "application/octet-stream"
		}
		x.fail(http.StatusUnsupportedMediaType, fmt.Sprintf(
			"Content-Type '%s' is not supported; use %s or %s.", ct, mediaJSONAPI, mediaJSON))
		return false
	}
	if err := decodeOne(http.MaxBytesReader(x.w, x.r.Body, maxBody), v); err != nil {
		x.fail(http.StatusBadRequest, "Malformed request body: "+err.Error())
		return false
	}
	return true
}

// decodeOne decodes exactly one JSON value and nothing after it.
func decodeOne(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON document")
	}
	return nil
}

// checkResource validates the type and id of a JSON:API resource object,
// answering 400 when they are wrong.
func (x *exchange) checkResource(typ, id *string, wantType string) bool {
	switch {
	case typ == nil || *typ != wantType:
		got := "nothing"
		if typ != nil {
			got = fmt.Sprintf("'%s'", *typ)
		}
		x.fail(http.StatusBadRequest, fmt.Sprintf("data.type must be '%s', got %s.", wantType, got))
		return false
	case id == nil:
		x.fail(http.StatusBadRequest, "data.id is required.")
		return false
	case !validID(*id):
		x.fail(http.StatusBadRequest, fmt.Sprintf("Invalid id '%s': it must match %s.", *id, idRule))
		return false
	}
	return true
}

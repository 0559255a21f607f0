package orgsim

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
)

// The JSON web key API: only MANAGE may read or change the keys that JWT
// bearers are verified with.

func jwkPath(id string) string { return "/entities/jwks/" + url.PathEscape(id) }

// jwkIn is the resource object of JsonApiJwkInDocument and
// JsonApiJwkPatchDocument.
type jwkIn struct {
	Data *struct {
		ID         *string `json:"id"`
		Type       *string `json:"type"`
		Attributes *struct {
			Content *rsaSpecification `json:"content"`
		} `json:"attributes"`
	} `json:"data"`
}

// readJWK decodes and validates a JWK document; content may be absent only
// when partial (PATCH). It answers the error itself.
func (s *Server) readJWK(x *exchange, partial bool) (id string, content *rsaSpecification, ok bool) {
	var in jwkIn
	if !x.readJSON(&in) {
		return "", nil, false
	}
	if in.Data == nil {
		x.fail(http.StatusBadRequest, "data is required.")
		return "", nil, false
	}
	if !x.checkResource(in.Data.Type, in.Data.ID, "jwk") {
		return "", nil, false
	}
	if in.Data.Attributes != nil {
		content = in.Data.Attributes.Content
	}
	if content == nil {
		if partial {
			return *in.Data.ID, nil, true
		}
		x.fail(http.StatusBadRequest, "data.attributes.content is required.")
		return "", nil, false
	}
	if err := content.validate(); err != nil {
		x.fail(http.StatusBadRequest, "Invalid JSON web key: "+err.Error()+".")
		return "", nil, false
	}
	return *in.Data.ID, content, true
}

// requireManage answers 403 unless the caller holds MANAGE.
func (s *Server) requireManage(x *exchange) bool {
	s.mu.Lock()
	ok := s.users[x.caller].has(PermissionManage)
	s.mu.Unlock()
	if !ok {
		x.fail(http.StatusForbidden, fmt.Sprintf(
			"Permission %s is required to manage JSON web keys; user '%s' does not have it.", PermissionManage, x.caller))
	}
	return ok
}

func (s *Server) jwkDocument(x *exchange, id string, k rsaSpecification) document {
	return document{
		Data:  resource{Attributes: map[string]any{"content": k}, ID: id, Type: "jwk"},
		Links: objectLinks{Self: s.apiURL(x, jwkPath(id))},
	}
}

// listJWKs answers GET /api/v1/entities/jwks.
func (s *Server) listJWKs(x *exchange) {
	if !s.requireManage(x) {
		return
	}
	p := parsePage(x.r.URL.Query())
	s.mu.Lock()
	keys := make(map[string]rsaSpecification, len(s.jwks))
	for id, k := range s.jwks {
		keys[id] = k
	}
	s.mu.Unlock()
	ids := make([]string, 0, len(keys))
	for id := range keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	lo, hi := p.window(len(ids))
	data := make([]resource, 0, hi-lo)
	for _, id := range ids[lo:hi] {
		r := s.jwkDocument(x, id, keys[id]).Data
		r.Links = &objectLinks{Self: s.apiURL(x, jwkPath(id))}
		data = append(data, r)
	}
	x.writeJSON(http.StatusOK, p.listDoc(s.apiURL(x, "/entities/jwks"), len(ids), data))
}

// createJWK answers POST /api/v1/entities/jwks.
func (s *Server) createJWK(x *exchange) {
	if !s.requireManage(x) {
		return
	}
	id, content, ok := s.readJWK(x, false)
	if !ok {
		return
	}
	s.mu.Lock()
	_, dup := s.jwks[id]
	if !dup {
		s.jwks[id] = *content
	}
	s.mu.Unlock()
	if dup {
		x.fail(http.StatusConflict, fmt.Sprintf("JSON web key '%s' already exists.", id))
		return
	}
	x.writeJSON(http.StatusCreated, s.jwkDocument(x, id, *content))
}

// getJWK answers GET /api/v1/entities/jwks/{id}.
func (s *Server) getJWK(x *exchange) {
	if !s.requireManage(x) {
		return
	}
	id := x.params["id"]
	s.mu.Lock()
	k, ok := s.jwks[id]
	s.mu.Unlock()
	if !ok {
		x.fail(jwkNotFound(id))
		return
	}
	x.writeJSON(http.StatusOK, s.jwkDocument(x, id, k))
}

// putJWK answers PUT /api/v1/entities/jwks/{id}: the content is replaced.
func (s *Server) putJWK(x *exchange) {
	s.updateJWK(x, false)
}

// patchJWK answers PATCH /api/v1/entities/jwks/{id}: the content, when
// given, is replaced.
func (s *Server) patchJWK(x *exchange) {
	s.updateJWK(x, true)
}

func (s *Server) updateJWK(x *exchange, partial bool) {
	if !s.requireManage(x) {
		return
	}
	id := x.params["id"]
	bodyID, content, ok := s.readJWK(x, partial)
	if !ok {
		return
	}
	if bodyID != id {
		x.fail(http.StatusBadRequest, fmt.Sprintf("data.id '%s' does not match the id '%s' in the path.", bodyID, id))
		return
	}
	s.mu.Lock()
	k, exists := s.jwks[id]
	if exists && content != nil {
		k = *content
		s.jwks[id] = k
	}
	s.mu.Unlock()
	if !exists {
		x.fail(jwkNotFound(id))
		return
	}
	x.writeJSON(http.StatusOK, s.jwkDocument(x, id, k))
}

// deleteJWK answers DELETE /api/v1/entities/jwks/{id}.
func (s *Server) deleteJWK(x *exchange) {
	if !s.requireManage(x) {
		return
	}
	id := x.params["id"]
	s.mu.Lock()
	_, ok := s.jwks[id]
	delete(s.jwks, id)
	s.mu.Unlock()
	if !ok {
		x.fail(jwkNotFound(id))
		return
	}
	x.noContent()
}

func jwkNotFound(id string) (int, string) {
	return http.StatusNotFound, fmt.Sprintf("JSON web key '%s' does not exist.", id)
}

package orgsim

import (
	"fmt"
	"net/http"
	"net/url"
)

// tokenAccessLocked decides whether the caller may manage target's API
// tokens: one's own need MANAGE or SELF_CREATE_TOKEN, another user's need
// MANAGE. It returns 0 when allowed, else the status and detail of the
// refusal. s.mu must be held.
func (s *Server) tokenAccessLocked(caller, target string) (int, string) {
	c := s.users[caller]
	if target == caller {
		if c.has(PermissionManage) || c.has(PermissionSelfCreateToken) {
			return 0, ""
		}
		return http.StatusForbidden, fmt.Sprintf(
			"Permission %s (or %s) is required to manage your own API tokens; user '%s' does not have it.",
			PermissionSelfCreateToken, PermissionManage, caller)
	}
	if !c.has(PermissionManage) {
		return http.StatusForbidden, fmt.Sprintf(
			"Permission %s is required to manage API tokens of another user; user '%s' does not have it.",
			PermissionManage, caller)
	}
	if _, ok := s.users[target]; !ok {
		return http.StatusNotFound, fmt.Sprintf("User '%s' does not exist.", target)
	}
	return 0, ""
}

func tokensPath(userID string) string { return userPath(userID) + "/apiTokens" }

func tokenPath(userID, tokenID string) string {
	return tokensPath(userID) + "/" + url.PathEscape(tokenID)
}

// createToken answers POST …/users/{userId}/apiTokens.
func (s *Server) createToken(x *exchange) {
	userID := x.params["userId"]
	var in struct {
		Data *struct {
			ID   *string `json:"id"`
			Type *string `json:"type"`
		} `json:"data"`
	}
	if !x.readJSON(&in) {
		return
	}
	if in.Data == nil {
		x.fail(http.StatusBadRequest, "data is required.")
		return
	}
	if !x.checkResource(in.Data.Type, in.Data.ID, "apiToken") {
		return
	}
	tokenID := *in.Data.ID

	s.mu.Lock()
	status, detail := s.tokenAccessLocked(x.caller, userID)
	var bearer string
	if status == 0 {
		if _, dup := s.users[userID].tokens[tokenID]; dup {
			status, detail = http.StatusConflict, fmt.Sprintf(
				"API token '%s' already exists for user '%s'.", tokenID, userID)
		} else {
			bearer = s.addToken(userID, tokenID)
		}
	}
	s.mu.Unlock()
	if status != 0 {
		x.fail(status, detail)
		return
	}
	x.writeJSON(http.StatusCreated, document{
		Data: resource{
			Attributes: map[string]string{"bearerToken": bearer},
			ID:         tokenID,
			Type:       "apiToken",
		},
		Links: objectLinks{Self: s.apiURL(x, tokenPath(userID, tokenID))},
	})
}

// listTokens answers GET …/users/{userId}/apiTokens?page=&size=.
func (s *Server) listTokens(x *exchange) {
	userID := x.params["userId"]
	p := parsePage(x.r.URL.Query())
	s.mu.Lock()
	status, detail := s.tokenAccessLocked(x.caller, userID)
	var ids []string
	if status == 0 {
		ids = s.users[userID].tokenIDs()
	}
	s.mu.Unlock()
	if status != 0 {
		x.fail(status, detail)
		return
	}
	lo, hi := p.window(len(ids))
	data := make([]resource, 0, hi-lo)
	for _, id := range ids[lo:hi] {
		data = append(data, resource{
			Attributes: map[string]string{},
			ID:         id,
			Links:      &objectLinks{Self: s.apiURL(x, tokenPath(userID, id))},
			Type:       "apiToken",
		})
	}
	x.writeJSON(http.StatusOK, p.listDoc(s.apiURL(x, tokensPath(userID)), len(ids), data))
}

// getToken answers GET …/apiTokens/{id}; the secret is never shown again.
func (s *Server) getToken(x *exchange) {
	userID, tokenID := x.params["userId"], x.params["id"]
	s.mu.Lock()
	status, detail := s.tokenLookupLocked(x.caller, userID, tokenID)
	s.mu.Unlock()
	if status != 0 {
		x.fail(status, detail)
		return
	}
	x.writeJSON(http.StatusOK, document{
		Data:  resource{Attributes: map[string]string{}, ID: tokenID, Type: "apiToken"},
		Links: objectLinks{Self: s.apiURL(x, tokenPath(userID, tokenID))},
	})
}

// deleteToken answers DELETE …/apiTokens/{id}; the token stops working at
// once.
func (s *Server) deleteToken(x *exchange) {
	userID, tokenID := x.params["userId"], x.params["id"]
	s.mu.Lock()
	status, detail := s.tokenLookupLocked(x.caller, userID, tokenID)
	if status == 0 {
		delete(s.users[userID].tokens, tokenID)
	}
	s.mu.Unlock()
	if status != 0 {
		x.fail(status, detail)
		return
	}
	x.noContent()
}

// tokenLookupLocked is tokenAccessLocked followed by a 404 for a token
// that does not exist. s.mu must be held.
func (s *Server) tokenLookupLocked(caller, userID, tokenID string) (int, string) {
	if status, detail := s.tokenAccessLocked(caller, userID); status != 0 {
		return status, detail
	}
	if _, ok := s.users[userID].tokens[tokenID]; !ok {
		return http.StatusNotFound, fmt.Sprintf("API token '%s' of user '%s' does not exist.", tokenID, userID)
	}
	return 0, ""
}

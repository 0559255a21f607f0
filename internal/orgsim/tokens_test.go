package orgsim

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestTokenErrors(t *testing.T) {
	s := start(t, Options{})
	admin := s.AdminToken()
	john := mustIssue(t, s, "john.doe", "existing")
	jane := mustIssue(t, s, "jane.roe", "given-by-admin")
	const johns = "/api/v1/entities/users/john.doe/apiTokens"
	for _, tc := range []struct {
		name    string
		c       call
		status  int
		mention string // the detail must contain it
	}{
		{"duplicate id", call{method: "POST", path: johns, bearer: john, body: tokenBody("existing")}, 409, "existing"},
		{"id with a leading dot", call{method: "POST", path: johns, bearer: john, body: tokenBody(".hidden")}, 400, ".hidden"},
		{"id with a slash", call{method: "POST", path: johns, bearer: john, body: tokenBody("a/b")}, 400, "a/b"},
		{"id too long", call{method: "POST", path: johns, bearer: john, body: tokenBody(strings.Repeat("a", 256))}, 400, "255"},
		{"empty id", call{method: "POST", path: johns, bearer: john, body: tokenBody("")}, 400, "id"},
		{"wrong type", call{method: "POST", path: johns, bearer: john, body: map[string]any{"data": map[string]any{"id": "x", "type": "user"}}}, 400, "apiToken"},
		{"no data", call{method: "POST", path: johns, bearer: john, body: map[string]any{"id": "x"}}, 400, "data"},
		{"malformed JSON", call{method: "POST", path: johns, bearer: john, body: `{"data":`, header: map[string]string{"Content-Type": mediaJSON}}, 400, "body"},
		{"trailing garbage", call{method: "POST", path: johns, bearer: john, body: `{"data":{"id":"x","type":"apiToken"}} x`, header: map[string]string{"Content-Type": mediaJSON}}, 400, "body"},
		{"text/plain", call{method: "POST", path: johns, bearer: john, body: `{"data":{"id":"x","type":"apiToken"}}`, header: map[string]string{"Content-Type": "text/plain"}}, 415, "text/plain"},
		{"no content type", call{method: "POST", path: johns, bearer: john, body: `{"data":{"id":"x","type":"apiToken"}}`}, 415, "application/json"},
		{"form", call{method: "POST", path: johns, bearer: john, body: `data=x`, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "x-www-form-urlencoded"},
		{"own token without permission", call{method: "POST", path: "/api/v1/entities/users/jane.roe/apiTokens", bearer: jane, body: tokenBody("mine")}, 403, PermissionSelfCreateToken},
		{"listing own tokens without permission", call{path: "/api/v1/entities/users/jane.roe/apiTokens", bearer: jane}, 403, PermissionSelfCreateToken},
		{"deleting own token without permission", call{method: "DELETE", path: "/api/v1/entities/users/jane.roe/apiTokens/given-by-admin", bearer: jane}, 403, PermissionSelfCreateToken},
		{"another user's token", call{method: "POST", path: "/api/v1/entities/users/jane.roe/apiTokens", bearer: john, body: tokenBody("x")}, 403, PermissionManage},
		{"another user's list", call{path: "/api/v1/entities/users/admin/apiTokens", bearer: john}, 403, PermissionManage},
		{"another user's token, unknown user", call{path: "/api/v1/entities/users/nobody/apiTokens", bearer: john}, 403, PermissionManage},
		{"unknown user", call{method: "POST", path: "/api/v1/entities/users/nobody/apiTokens", bearer: admin, body: tokenBody("x")}, 404, "nobody"},
		{"unknown token", call{path: johns + "/nothing", bearer: john}, 404, "nothing"},
		{"delete unknown token", call{method: "DELETE", path: johns + "/nothing", bearer: admin}, 404, "nothing"},
		{"unknown endpoint", call{path: "/api/v1/entities/nothing", bearer: admin}, 404, "endpoint"},
		{"wrong method", call{method: "PUT", path: johns + "/existing", bearer: admin}, 405, "PUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			detail := wantProblem(t, do(t, s, tc.c), tc.status)
			if !strings.Contains(detail, tc.mention) {
				t.Errorf("detail %q does not mention %q", detail, tc.mention)
			}
		})
	}
	if got := s.TokenIDs("john.doe"); len(got) != 1 || got[0] != "existing" {
		t.Errorf("john.doe's tokens after the refusals: %v", got)
	}
	if got := s.TokenIDs("jane.roe"); len(got) != 1 {
		t.Errorf("jane.roe's tokens after the refusals: %v", got)
	}
}

func TestTokenLifecycle(t *testing.T) {
	s := start(t, Options{})
	c, err := s.NewSession("john.doe")
	if err != nil {
		t.Fatal(err)
	}
	// The DevTools snippet: a same-origin fetch with the session cookie,
	// the vendor content type and no X-Requested-With.
	r := do(t, s, call{method: "POST", path: "/api/v1/entities/users/john.doe/apiTokens", cookies: []*http.Cookie{c}, body: tokenBody("mynewtoken")})
	if r.status != http.StatusCreated {
		t.Fatalf("create with the session: %d %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != mediaJSONAPI {
		t.Errorf("Content-Type %q for a request without Accept", ct)
	}
	doc := r.json(t)
	bearer, _ := dig(doc, "data", "attributes", "bearerToken").(string)
	if bearer == "" || dig(doc, "data", "id") != "mynewtoken" || dig(doc, "data", "type") != "apiToken" {
		t.Fatalf("create answer %s", r.body)
	}
	if got, want := dig(doc, "links", "self"), s.URL()+"/api/v1/entities/users/john.doe/apiTokens/mynewtoken"; got != want {
		t.Errorf("links.self %v, want %v", got, want)
	}
	if !s.HasToken("john.doe", "mynewtoken") {
		t.Error("HasToken is false after creation")
	}

	// The new token works and is never shown again.
	if r := do(t, s, call{path: "/api/v1/profile", bearer: bearer}); r.status != 200 || r.json(t)["userId"] != "john.doe" {
		t.Fatalf("the new token does not work: %d %s", r.status, r.body)
	}
	r = do(t, s, call{path: "/api/v1/entities/users/john.doe/apiTokens/mynewtoken", bearer: bearer})
	if strings.Contains(string(r.body), bearer) || dig(r.json(t), "data", "attributes", "bearerToken") != nil {
		t.Errorf("GET shows the secret: %s", r.body)
	}

	// Accept decides between the two JSON media types.
	for accept, want := range map[string]string{mediaJSON: mediaJSON, mediaJSONAPI: mediaJSONAPI, "*/*": mediaJSONAPI, "application/json, */*": mediaJSON} {
		r := do(t, s, call{path: "/api/v1/entities/users/john.doe/apiTokens", bearer: bearer, header: map[string]string{"Accept": accept}})
		if got := r.header.Get("Content-Type"); got != want {
			t.Errorf("Accept %q: Content-Type %q, want %q", accept, got, want)
		}
	}

	// Deleting revokes at once: the token then gets the invalid-bearer 401.
	r = do(t, s, call{method: "DELETE", path: "/api/v1/entities/users/john.doe/apiTokens/mynewtoken", bearer: bearer})
	if r.status != http.StatusNoContent || len(r.body) != 0 || r.header.Get("Content-Type") != mediaJSONAPI {
		t.Fatalf("delete: %d %q %q", r.status, r.header.Get("Content-Type"), r.body)
	}
	if s.HasToken("john.doe", "mynewtoken") {
		t.Error("HasToken is true after deletion")
	}
	wantInvalidBearer(t, do(t, s, call{path: "/api/v1/profile", bearer: bearer}))
	wantInvalidBearer(t, do(t, s, call{path: "/api/v1/entities/users/john.doe/apiTokens", bearer: bearer}))

	// The id is free again.
	if r := do(t, s, call{method: "POST", path: "/api/v1/entities/users/john.doe/apiTokens", cookies: []*http.Cookie{c}, body: tokenBody("mynewtoken")}); r.status != http.StatusCreated {
		t.Errorf("re-create after delete: %d", r.status)
	}
}

func TestAdminManagesOthersTokens(t *testing.T) {
	s := start(t, Options{})
	admin := s.AdminToken()
	r := do(t, s, call{method: "POST", path: "/api/v1/entities/users/jane.roe/apiTokens", bearer: admin, body: tokenBody("for-jane")})
	if r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.body)
	}
	jane, _ := dig(r.json(t), "data", "attributes", "bearerToken").(string)
	if r := do(t, s, call{path: "/api/v1/profile", bearer: jane}); r.json(t)["userId"] != "jane.roe" {
		t.Errorf("token made by admin for jane.roe is %v's", r.json(t)["userId"])
	}
	// jane.roe cannot manage her tokens until she is given the permission.
	wantProblem(t, do(t, s, call{path: "/api/v1/entities/users/jane.roe/apiTokens", bearer: jane}), http.StatusForbidden)
	s.SetPermissions("jane.roe", PermissionSelfCreateToken)
	if r := do(t, s, call{path: "/api/v1/entities/users/jane.roe/apiTokens", bearer: jane}); r.status != http.StatusOK {
		t.Errorf("after SetPermissions: %d %s", r.status, r.body)
	}
	s.SetPermissions("jane.roe")
	wantProblem(t, do(t, s, call{path: "/api/v1/entities/users/jane.roe/apiTokens", bearer: jane}), http.StatusForbidden)
	if r := do(t, s, call{method: "DELETE", path: "/api/v1/entities/users/jane.roe/apiTokens/for-jane", bearer: admin}); r.status != http.StatusNoContent {
		t.Errorf("admin delete: %d", r.status)
	}
}

func TestPagination(t *testing.T) {
	s := start(t, Options{})
	admin := s.AdminToken()
	for i := range 5 {
		mustIssue(t, s, "john.doe", fmt.Sprintf("t%d", i))
	}
	base := s.URL() + "/api/v1/entities/users/john.doe/apiTokens"
	for _, tc := range []struct {
		query      string
		ids        []string
		self, next string
	}{
		{"?page=0&size=2", []string{"t0", "t1"}, "?page=0&size=2", "?page=1&size=2"},
		{"?page=1&size=2", []string{"t2", "t3"}, "?page=1&size=2", "?page=2&size=2"},
		{"?page=2&size=2", []string{"t4"}, "?page=2&size=2", "?page=3&size=2"},
		{"?page=3&size=2", []string{}, "?page=3&size=2", "?page=4&size=2"},
		{"?page=0&size=5", []string{"t0", "t1", "t2", "t3", "t4"}, "?page=0&size=5", "?page=1&size=5"},
		{"", []string{"t0", "t1", "t2", "t3", "t4"}, "?page=0&size=20", "?page=1&size=20"},
		{"?size=0&page=-1", []string{"t0", "t1", "t2", "t3", "t4"}, "?page=0&size=20", "?page=1&size=20"},
		{"?page=99999999999999&size=2", []string{"t0", "t1"}, "?page=0&size=2", "?page=1&size=2"},
		{"?page=2147483647&size=2147483647", []string{}, "?page=2147483647&size=2000", "?page=2147483648&size=2000"},
		{"?page=x&size=y", []string{"t0", "t1", "t2", "t3", "t4"}, "?page=0&size=20", "?page=1&size=20"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := do(t, s, call{path: "/api/v1/entities/users/john.doe/apiTokens" + tc.query, bearer: admin})
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			doc := r.json(t)
			data, ok := doc["data"].([]any)
			if !ok {
				t.Fatalf("data is %T", doc["data"])
			}
			var ids []string
			for i, it := range data {
				id, _ := dig(it, "id").(string)
				ids = append(ids, id)
				if dig(it, "links", "self") != base+"/"+id || dig(it, "type") != "apiToken" {
					t.Errorf("item %d: %v", i, it)
				}
				if a, ok := dig(it, "attributes").(map[string]any); !ok || len(a) != 0 {
					t.Errorf("item %d attributes %v, want {}", i, dig(it, "attributes"))
				}
			}
			if strings.Join(ids, ",") != strings.Join(tc.ids, ",") {
				t.Errorf("ids %v, want %v", ids, tc.ids)
			}
			if got := dig(doc, "links", "self"); got != base+tc.self {
				t.Errorf("links.self %v, want %v", got, base+tc.self)
			}
			if got := dig(doc, "links", "next"); got != base+tc.next {
				t.Errorf("links.next %v, want %v (always present)", got, base+tc.next)
			}
		})
	}
}

// TestConcurrentUse exercises the emulator from many goroutines (run with
// -race).
func TestConcurrentUse(t *testing.T) {
	s := start(t, Options{})
	admin := s.AdminToken()
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := range 20 {
		wg.Go(func() {
			id := fmt.Sprintf("c%02d", i)
			r := doQuiet(s, call{method: "POST", path: "/api/v1/entities/users/john.doe/apiTokens", bearer: admin, body: tokenBody(id)})
			if r != http.StatusCreated {
				errs <- fmt.Sprintf("create %s: %d", id, r)
			}
			if _, err := s.IssueToken("jane.roe", id); err != nil {
				errs <- err.Error()
			}
			_ = s.Requests()
			_ = s.TokenIDs("john.doe")
			if doQuiet(s, call{path: "/api/v1/entities/users/john.doe/apiTokens?size=100", bearer: admin}) != http.StatusOK {
				errs <- "list failed"
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := len(s.TokenIDs("john.doe")); n != 20 {
		t.Errorf("john.doe has %d tokens, want 20", n)
	}
	if n := len(s.TokenIDs("jane.roe")); n != 20 {
		t.Errorf("jane.roe has %d tokens, want 20", n)
	}
}

// doQuiet is do without *testing.T, for goroutines; it returns the status
// (0 on transport errors).
func doQuiet(s *Server, c call) int {
	req, err := http.NewRequest(c.method, s.URL()+c.path, strings.NewReader(""))
	if err != nil {
		return 0
	}
	if c.body != nil {
		b := c.body.(map[string]any)
		raw := fmt.Sprintf(`{"data":{"id":%q,"type":%q}}`, dig(b, "data", "id"), dig(b, "data", "type"))
		req, _ = http.NewRequest(c.method, s.URL()+c.path, strings.NewReader(raw))
		req.Header.Set("Content-Type", mediaJSONAPI)
	}
	req.Header.Set("Authorization", "Bearer "+c.bearer)
	resp, err := noRedirects.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

package orgsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// start runs an emulator on a real loopback listener for one test.
func start(t *testing.T, o Options) *Server {
	t.Helper()
	s, err := Start(o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// call is one request to the emulator.
type call struct {
	method  string
	path    string // with query
	bearer  string
	cookies []*http.Cookie
	header  map[string]string
	body    any // string, []byte, url.Values or a value to marshal as JSON
}

// reply is a read answer.
type reply struct {
	status  int
	header  http.Header
	body    []byte
	cookies []*http.Cookie
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return v
}

func do(t *testing.T, s *Server, c call) reply {
	t.Helper()
	var body io.Reader
	contentType := ""
	switch b := c.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	case url.Values:
		body = strings.NewReader(b.Encode())
		contentType = "application/x-www-form-urlencoded"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(raw)
		contentType = mediaJSONAPI
	}
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, s.URL()+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, c.path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: raw, cookies: resp.Cookies()}
}

// dig walks a decoded JSON value along object keys and array indexes.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// tokenBody is the request body that creates an API token.
func tokenBody(id string) map[string]any {
	return map[string]any{"data": map[string]any{"id": id, "type": "apiToken"}}
}

// wantProblem checks an application/problem+json error whose traceId is the
// X-GDC-TRACE-ID header; it returns the detail.
func wantProblem(t *testing.T, r reply, status int) string {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != mediaProblem {
		t.Errorf("Content-Type %q, want %q", ct, mediaProblem)
	}
	p := r.json(t)
	trace := r.header.Get(traceHeader)
	if trace == "" || p["traceId"] != trace {
		t.Errorf("traceId %v, header %q: want equal and non-empty", p["traceId"], trace)
	}
	if p["status"] != float64(status) || p["title"] != http.StatusText(status) {
		t.Errorf("problem status/title = %v/%v", p["status"], p["title"])
	}
	detail, _ := p["detail"].(string)
	if detail == "" {
		t.Error("problem without detail")
	}
	if len(p) != 4 {
		t.Errorf("problem has fields %v, want title,status,detail,traceId", p)
	}
	return detail
}

// wantInvalidBearer checks the recorded invalid-bearer answer.
func wantInvalidBearer(t *testing.T, r reply) {
	t.Helper()
	if r.status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401; body %s", r.status, r.body)
	}
	if len(r.body) != 0 {
		t.Errorf("body %q, want empty", r.body)
	}
	if got := r.header.Get("WWW-Authenticate"); got != invalidBearerChallenge {
		t.Errorf("WWW-Authenticate %q", got)
	}
	if _, ok := r.header[http.CanonicalHeaderKey(traceHeader)]; ok {
		t.Error("the invalid-bearer 401 carries a trace id")
	}
	if ct := r.header.Get("Content-Type"); ct != "" {
		t.Errorf("Content-Type %q on an empty 401", ct)
	}
}

// parseHTML parses a page.
func parseHTML(t *testing.T, body []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return doc
}

// walk visits every element.
func walk(n *html.Node, f func(*html.Node)) {
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// inputValue finds the value of the form input with the name.
func inputValue(t *testing.T, body []byte, name string) string {
	t.Helper()
	val, found := "", false
	walk(parseHTML(t, body), func(n *html.Node) {
		if n.Data == "input" {
			if v, _ := attr(n, "name"); v == name {
				val, _ = attr(n, "value")
				found = true
			}
		}
	})
	if !found {
		t.Fatalf("no input %q in\n%s", name, body)
	}
	return val
}

func cookieNamed(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// login signs in through the form and returns the answer to the POST.
func login(t *testing.T, s *Server, redirectQuery, user, password string) reply {
	t.Helper()
	form := do(t, s, call{path: loginPath + redirectQuery})
	if form.status != http.StatusOK {
		t.Fatalf("GET login: %d", form.status)
	}
	csrf := cookieNamed(form.cookies, loginCSRFCookie)
	if csrf == nil {
		t.Fatal("no login CSRF cookie")
	}
	return do(t, s, call{
		method:  http.MethodPost,
		path:    loginPath,
		cookies: []*http.Cookie{csrf},
		body: url.Values{
			"_csrf":      {inputValue(t, form.body, "_csrf")},
			"redirectTo": {inputValue(t, form.body, "redirectTo")},
			"username":   {user},
			"password":   {password},
		},
	})
}

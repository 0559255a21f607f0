package gooddata

import (
	"github.com/gdlogin/gdlogin/internal/httpclient"

	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testToken = "am9obi5kb2U6dDE6c2VjcmV0LXZhbHVl"

func newTestClient(t *testing.T, h http.Handler) (*Client, *httptest.Server) {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c, err := New(ts.URL, testToken, Options{HTTPClient: testHTTPClient(t, "gdlogin/test")})
	if err != nil {
		t.Fatal(err)
	}
	return c, ts
}

func writeJSON(w http.ResponseWriter, status int, ct string, v any) {
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-GDC-TRACE-ID", "trace-123")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func problem(w http.ResponseWriter, status int, title, detail string) {
	writeJSON(w, status, MediaProblem, map[string]any{"title": title, "status": status, "detail": detail, "traceId": "trace-123"})
}

func profileHandler(perms ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, MediaJSON, map[string]any{"userId": "john.doe", "name": "John Doe", "organizationId": "default",
			"organizationName": "Example Analytics", "permissions": perms})
	}
}

func TestProfileAndHeaders(t *testing.T) {
	var seen http.Header
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		if r.URL.Path != "/api/v1/profile" {
			t.Errorf("path %s", r.URL.Path)
		}
		profileHandler(PermSelfCreateToken)(w, r)
	}))
	p, err := c.Profile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.UserID != "john.doe" || p.DisplayName() != "John Doe (john.doe)" || !p.CanCreateOwnToken() || p.CanManage() {
		t.Fatalf("profile %+v", p)
	}
	if c.Generation() != GenerationV1 {
		t.Fatalf("generation %v", c.Generation())
	}
	want := map[string]string{"X-Requested-With": "XMLHttpRequest", "User-Agent": "gdlogin/test", "Authorization": "Bearer " + testToken, "Accept": MediaJSON}
	for k, v := range want {
		if seen.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, seen.Get(k), v)
		}
	}
}

func TestLegacyFallbackIsRemembered(t *testing.T) {
	var calls []string
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls = append(calls, r.Method+" "+r.URL.Path)
		switch r.URL.Path {
		case "/api/profile":
			profileHandler(PermManage)(w, r)
		case "/api/entities/users/john.doe/apiTokens":
			writeJSON(w, 201, MediaJSONAPI, map[string]any{"data": map[string]any{"id": "x", "type": "apiToken", "attributes": map[string]any{"bearerToken": "bmV3"}}})
		default:
			problem(w, 404, "Not Found", "no such path")
		}
	}))
	ctx := context.Background()
	if _, err := c.Profile(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Generation() != GenerationLegacy {
		t.Fatalf("generation %v, want legacy", c.Generation())
	}
	if _, err := c.WithToken("other").CreateToken(ctx, "john.doe", "x"); err != nil {
		t.Fatal(err)
	}
	want := []string{"GET /api/v1/profile", "GET /api/profile", "POST /api/entities/users/john.doe/apiTokens"}
	if strings.Join(calls, ",") != strings.Join(want, ",") {
		t.Fatalf("calls %v, want %v", calls, want)
	}
}

func TestEntityCallDetectsGenerationFirst(t *testing.T) {
	var calls []string
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls = append(calls, r.URL.Path)
		if r.URL.Path == "/api/v1/profile" {
			profileHandler()(w, r)
			return
		}
		problem(w, 404, "Not Found", "API token missing was not found")
	}))
	_, err := c.GetToken(context.Background(), "john.doe", "missing")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Kind != KindNotFound {
		t.Fatalf("err %v", err)
	}
	if c.Generation() != GenerationV1 || len(calls) != 2 {
		t.Fatalf("generation %v calls %v", c.Generation(), calls)
	}
}

func TestNotGoodData(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"html 200": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<!DOCTYPE html><html><body>Welcome</body></html>")
		},
		"html 404": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(404)
			fmt.Fprint(w, "<html><body>Not here</body></html>")
		},
		"redirect": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://sso.example.com/login", http.StatusFound)
		},
		"json without userId": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, MediaJSON, map[string]any{"hello": "world"})
		},
	} {
		t.Run(name, func(t *testing.T) {
			c, ts := newTestClient(t, h)
			_, err := c.Profile(context.Background())
			var ae *APIError
			if !errors.As(err, &ae) || ae.Kind != KindNotGoodData {
				t.Fatalf("err %v, want KindNotGoodData", err)
			}
			if !strings.Contains(err.Error(), ts.URL) || !strings.Contains(err.Error(), "does not look like a GoodData API") {
				t.Errorf("message %q does not name the URL", err)
			}
			if name == "redirect" && !strings.Contains(ae.Hint(), "sso.example.com") {
				t.Errorf("hint %q does not name the redirect", ae.Hint())
			}
		})
	}
}

func TestProblemErrorsCarryTraceID(t *testing.T) {
	cases := []struct {
		status int
		kind   Kind
		hint   string
	}{
		{403, KindForbidden, "SELF_CREATE_TOKEN"},
		{400, KindBadRequest, "letters, digits"},
		{500, KindServer, "trace id"},
	}
	for _, tc := range cases {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/api/v1/profile" {
					profileHandler()(w, r)
					return
				}
				problem(w, tc.status, http.StatusText(tc.status), "detail from server")
			}))
			_, err := c.CreateToken(context.Background(), "john.doe", "abc")
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err %v", err)
			}
			if ae.Kind != tc.kind || ae.Status != tc.status || ae.TraceID != "trace-123" || ae.Detail != "detail from server" {
				t.Fatalf("got %+v", ae)
			}
			if !strings.Contains(err.Error(), "trace id trace-123") || !strings.Contains(err.Error(), "create API token") {
				t.Errorf("message %q", err)
			}
			if !strings.Contains(ae.Hint(), tc.hint) {
				t.Errorf("hint %q lacks %q", ae.Hint(), tc.hint)
			}
		})
	}
}

func TestNotLoggedIn(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		fmt.Fprint(w, "/appLogin")
	}))
	_, err := c.Profile(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Kind != KindNotLoggedIn {
		t.Fatalf("err %v", err)
	}
}

func TestConflictRetriesOnceWithSuffix(t *testing.T) {
	var ids []string
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/profile" {
			profileHandler()(w, r)
			return
		}
		var in tokenIn
		_ = json.NewDecoder(r.Body).Decode(&in)
		ids = append(ids, in.Data.ID)
		if in.Data.ID == "taken" {
			problem(w, 409, "Conflict", "Token with id taken already exists")
			return
		}
		writeJSON(w, 201, MediaJSONAPI, map[string]any{"data": map[string]any{"id": in.Data.ID, "type": "apiToken", "attributes": map[string]any{"bearerToken": "bmV3"}}})
	}))
	tok, err := c.CreateToken(context.Background(), "john.doe", "taken")
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != "taken" || !strings.HasPrefix(ids[1], "taken-") || tok.ID != ids[1] || !ValidTokenID(tok.ID) {
		t.Fatalf("ids %v, created %q", ids, tok.ID)
	}
}

func TestConflictTwiceIsAnError(t *testing.T) {
	calls := 0
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/profile" {
			profileHandler()(w, r)
			return
		}
		calls++
		problem(w, 409, "Conflict", "exists")
	}))
	_, err := c.CreateToken(context.Background(), "john.doe", "taken")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Kind != KindConflict || calls != 2 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

func TestListStopsOnShortPage(t *testing.T) {
	var pages []string
	c, ts := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/profile" {
			profileHandler()(w, r)
			return
		}
		pages = append(pages, r.URL.RawQuery)
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		n := ListPageSize
		if page == 2 {
			n = 3
		}
		var data []map[string]any
		for i := 0; i < n; i++ {
			data = append(data, map[string]any{"id": fmt.Sprintf("t-%d-%d", page, i), "type": "apiToken", "attributes": map[string]any{}})
		}
		writeJSON(w, 200, MediaJSON, map[string]any{"data": data, "links": map[string]any{
			"self": "x", "next": fmt.Sprintf("%s/api/v1/entities/users/john.doe/apiTokens?page=%d&size=%d", "http://h", page+1, ListPageSize)}})
	}))
	_ = ts
	list, err := c.ListTokens(context.Background(), "john.doe")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2*ListPageSize+3 || len(pages) != 3 || pages[0] != "page=0&size=500" || pages[2] != "page=2&size=500" {
		t.Fatalf("got %d tokens over pages %v", len(list), pages)
	}
}

func TestBodyIsSizeLimited(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", MediaJSON)
		w.Write([]byte(`{"userId":"`))
		w.Write([]byte(strings.Repeat("a", MaxBodyBytes+10)))
		w.Write([]byte(`"}`))
	}))
	_, err := c.Profile(context.Background())
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err %v", err)
	}
}

func TestNetworkErrors(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		l.Close()
		c, _ := New("http://"+addr, testToken, Options{})
		_, err := c.Profile(context.Background())
		var ne *NetworkError
		if !errors.As(err, &ne) || ne.Kind != NetRefused || !strings.Contains(err.Error(), addr) {
			t.Fatalf("err %v", err)
		}
		if !strings.Contains(ne.Hint(), "server running") {
			t.Errorf("hint %q", ne.Hint())
		}
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer ts.Close()
		defer close(release)
		c, _ := New(ts.URL, testToken, Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Profile(ctx)
		var ne *NetworkError
		if !errors.As(err, &ne) || ne.Kind != NetTimeout || !strings.Contains(ne.Hint(), "--timeout") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		defer ts.Close()
		c, _ := New(ts.URL, testToken, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		_, err := c.Profile(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
	})
	t.Run("dns", func(t *testing.T) {
		c, _ := New("https://no-such-host.invalid", testToken, Options{})
		_, err := c.Profile(context.Background())
		var ne *NetworkError
		if !errors.As(err, &ne) || ne.Kind != NetDNS || !strings.Contains(err.Error(), "no-such-host.invalid") {
			t.Fatalf("err %v", err)
		}
	})
}

func TestTLSAndCACert(t *testing.T) {
	ts := httptest.NewTLSServer(profileHandler())
	defer ts.Close()
	c, _ := New(ts.URL, testToken, Options{})
	_, err := c.Profile(context.Background())
	var ne *NetworkError
	if !errors.As(err, &ne) || ne.Kind != NetTLS || !strings.Contains(ne.Hint(), "--ca-cert") {
		t.Fatalf("without the CA: err %v", err)
	}

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	hc, err := httpclient.New(httpclient.Config{CACertFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	c, _ = New(ts.URL, testToken, Options{HTTPClient: hc})
	if p, err := c.Profile(context.Background()); err != nil || p.UserID != "john.doe" {
		t.Fatalf("with the CA: %v, %v", p, err)
	}

	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := httpclient.New(httpclient.Config{CACertFile: bad}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("bad CA file: %v", err)
	}
	if _, err := httpclient.New(httpclient.Config{CACertFile: filepath.Join(t.TempDir(), "missing.pem")}); err == nil || !strings.Contains(err.Error(), "--ca-cert") {
		t.Fatalf("missing CA file: %v", err)
	}
}

// TestHTTPSProxyIsHonoured runs in a child process, because the standard
// library reads the proxy variables once per process.
func TestHTTPSProxyIsHonoured(t *testing.T) {
	if os.Getenv("GDLOGIN_PROXY_CHILD") == "1" {
		c, _ := New("http://analytics.example.com", testToken, Options{})
		p, err := c.Profile(context.Background())
		if err != nil || p.UserID != "john.doe" {
			fmt.Println("child failed:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	var proxied atomic.Value
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Store(r.URL.String())
		profileHandler()(w, r)
	}))
	defer proxy.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHTTPSProxyIsHonoured$")
	cmd.Env = append(os.Environ(), "GDLOGIN_PROXY_CHILD=1", "HTTP_PROXY="+proxy.URL, "NO_PROXY=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if got, _ := proxied.Load().(string); got != "http://analytics.example.com/api/v1/profile" {
		t.Fatalf("proxy saw %q", got)
	}
}

func TestParseOrgURL(t *testing.T) {
	cases := []struct {
		in, want, errPart string
		warn              bool
	}{
		{in: "https://analytics.example.com", want: "https://analytics.example.com"},
		{in: "https://Analytics.Example.com/", want: "https://analytics.example.com"},
		{in: "https://analytics.example.com/dashboards/x?y=1#z", want: "https://analytics.example.com", warn: true},
		{in: "https://analytics.example.com:443", want: "https://analytics.example.com"},
		{in: "https://analytics.example.com:8443/", want: "https://analytics.example.com:8443"},
		{in: "http://127.0.0.1:3000", want: "http://127.0.0.1:3000", warn: true},
		{in: "http://localhost:3000/", want: "http://localhost:3000", warn: true},
		{in: "http://[::1]:3000", want: "http://[::1]:3000", warn: true},
		{in: "http://analytics.example.com", want: "http://analytics.example.com"},
		{in: "analytics.example.com", errPart: "no scheme"},
		{in: "ftp://analytics.example.com", errPart: "https://"},
		{in: "https://john.doe:pw@analytics.example.com", errPart: "user name or password"},
		{in: "https://", errPart: "no host"},
		{in: "https://analytics.example.com:99999", errPart: "invalid port"},
		{in: "", errPart: "empty"},
	}
	for _, tc := range cases {
		got, err := ParseOrgURL(tc.in)
		if tc.errPart != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errPart) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.errPart)
			}
			if err != nil && strings.Contains(err.Error(), "pw@") {
				t.Errorf("%q: error repeats the password", tc.in)
			}
			continue
		}
		if got.PlainHTTP != strings.HasPrefix(tc.want, "http:") || got.Loopback != (strings.Contains(tc.want, "127.0.0.1") || strings.Contains(tc.want, "localhost") || strings.Contains(tc.want, "::1")) {
			t.Errorf("%q: PlainHTTP %v Loopback %v", tc.in, got.PlainHTTP, got.Loopback)
		}
		if err != nil || got.Origin != tc.want || (len(got.Warnings) > 0) != tc.warn {
			t.Errorf("%q: got %+v, %v; want %q warn=%v", tc.in, got, err, tc.want, tc.warn)
		}
	}
}

func TestTokenIDs(t *testing.T) {
	now := time.Date(2026, 11, 29, 18, 22, 0, 0, time.FixedZone("CET", 3600))
	if got := DefaultTokenID("Johns-MacBook Pro.local", now); got != "gdlogin-johns-macbook-pro-20261129T172200Z" {
		t.Errorf("DefaultTokenID = %q", got)
	}
	made := DefaultTokenID("Johns-MacBook Pro.local", now)
	for id, want := range map[string]string{
		made:                                "johns-macbook-pro",
		SuffixTokenID(made):                 "johns-macbook-pro",
		"gdlogin-ci-20250101T090000Z":       "ci",
		"gdlogin-ci-20250101T0900Z":         "",
		"ci-2025":                           "",
		"my-gdlogin-ci-20250101T090000Z":    "",
		"gdlogin-ci-20250101T090000Z-extra": "",
		"gdlogin-\x1b[2J-20250101T090000Z":  "",
	} {
		host, ok := MadeByDefault(id)
		if host != want || ok != (want != "") {
			t.Errorf("MadeByDefault(%q) = %q, %v; want %q", id, host, ok, want)
		}
	}
	if TokenIDHost("Johns-MacBook Pro.local") != "johns-macbook-pro" || TokenIDHost("") != "unknown" {
		t.Errorf("TokenIDHost: %q", TokenIDHost("Johns-MacBook Pro.local"))
	}
	for in, want := range map[string]string{"..a b/c": "a-b-c", "ok_id.1": "ok_id.1", "": "gdlogin", "ž": "-"} {
		if got := SanitizeTokenID(in); got != want || !ValidTokenID(got) {
			t.Errorf("SanitizeTokenID(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("a", 255)
	if s := SuffixTokenID(long); len(s) != 255 || !ValidTokenID(s) {
		t.Errorf("SuffixTokenID(long) = %d chars", len(s))
	}
	for id, ok := range map[string]bool{"a": true, ".a": false, "a.": true, "": false, strings.Repeat("x", 256): false, "a b": false} {
		if ValidTokenID(id) != ok {
			t.Errorf("ValidTokenID(%q) != %v", id, ok)
		}
	}
}

func TestSecretNeverFormats(t *testing.T) {
	s := Secret(testToken)
	ct := CreatedToken{UserID: "john.doe", ID: "t", Bearer: s}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "secret", s, "created", ct)
	js, _ := json.Marshal(ct)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x", s, ct, ct, s, s, s), logged.String(), string(js)} {
		if strings.Contains(out, testToken) || strings.Contains(out, fmt.Sprintf("%x", testToken)) {
			t.Fatalf("secret leaked: %s", out)
		}
	}
	if s.Reveal() != testToken {
		t.Fatal("Reveal lost the token")
	}
	c, _ := New("https://analytics.example.com", testToken, Options{})
	if strings.Contains(fmt.Sprintf("%v %+v %s", c, c, c), testToken) {
		t.Fatal("client formatting leaked the token")
	}
}

// testHTTPClient is the production client with a test User-Agent.
func testHTTPClient(t *testing.T, userAgent string) *http.Client {
	t.Helper()
	hc, err := httpclient.New(httpclient.Config{UserAgent: userAgent})
	if err != nil {
		t.Fatal(err)
	}
	return hc
}

// TestWarmLeavesTheConnectionForTheVerification: Warm sends one HEAD of
// the root without credentials, and the profile call that follows goes
// over the same connection instead of dialling again.
func TestWarmLeavesTheConnectionForTheVerification(t *testing.T) {
	var mu sync.Mutex
	var dials int
	var seen []string
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" auth="+r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusFound)
			return
		}
		profileHandler(PermSelfCreateToken)(w, r)
	}))
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			dials++
			mu.Unlock()
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	hc := testHTTPClient(t, "gdlogin/test")
	anon, err := New(ts.URL, "", Options{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	anon.Warm(context.Background())
	c, err := New(ts.URL, testToken, Options{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Profile(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"HEAD / auth=", "GET /api/v1/profile auth=Bearer " + testToken}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests\n%q\nwant\n%q", seen, want)
	}
	if dials != 1 {
		t.Errorf("%d connections, want 1: the verification did not reuse the warm one", dials)
	}
}

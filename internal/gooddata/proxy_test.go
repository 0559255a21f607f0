package gooddata_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/httpclient"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/internal/proxytest"
	"github.com/gdlogin/gdlogin/internal/testca"
)

// net/http reads HTTPS_PROXY, HTTP_PROXY and NO_PROXY once per process, so
// every scenario runs the client in a child process of this test binary
// with its own environment, exactly as gdlogin would see it.
const childEnv = "GDLOGIN_TINYPROXY_CHILD"

// proxyRig is an https organization on analytics.example.com, a plain-http
// organization on 127.0.0.1 (as a loopback server is), and a tinyproxy
// that resolves analytics.example.com to 127.0.0.1.
type proxyRig struct {
	org, loopback *orgsim.Server
	ca            *testca.CA
	proxy         *proxytest.Proxy
}

func newProxyRig(t *testing.T) *proxyRig {
	t.Helper()
	proxy := proxytest.Start(t, proxytest.Options{Hosts: map[string]string{testca.Host: "127.0.0.1"}})
	org, ca := startHTTPSOrg(t)
	loopback, err := orgsim.Start(orgsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = loopback.Close() })
	return &proxyRig{org: org, loopback: loopback, ca: ca, proxy: proxy}
}

// runChild runs TestProxyChild with scenario and the proxy variables.
func (r *proxyRig) runChild(t *testing.T, scenario, noProxy string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestProxyChild$", "-test.count=1", "-test.v")
	env := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "ALL_PROXY", "REQUEST_METHOD":
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env,
		childEnv+"="+scenario,
		"HTTPS_PROXY="+r.proxy.URL,
		"HTTP_PROXY="+r.proxy.URL,
		"NO_PROXY="+noProxy,
		"GDLOGIN_TEST_ORG="+r.org.URL(),
		"GDLOGIN_TEST_CA="+r.ca.CAFile,
		"GDLOGIN_TEST_ADMIN="+r.org.AdminToken(),
		"GDLOGIN_TEST_LOOPBACK="+r.loopback.URL(),
		"GDLOGIN_TEST_LOOPBACK_ADMIN="+r.loopback.AdminToken(),
	)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestProxyChild") {
		t.Fatalf("child %s: %v\n%s", scenario, err, out)
	}
}

// connectLine is the request line of a CONNECT to the https organization.
func (r *proxyRig) connectLine() string {
	return "CONNECT " + strings.TrimPrefix(r.org.URL(), "https://") + " HTTP/1.1"
}

func TestAPICallsGoThroughHTTPSProxy(t *testing.T) {
	r := newProxyRig(t)
	r.runChild(t, "through-proxy", "")

	reqs := r.proxy.WaitRequest(t, r.connectLine())
	if len(reqs) == 0 {
		t.Fatal("no request through the proxy")
	}
	for _, line := range reqs {
		if line != r.connectLine() {
			t.Errorf("the proxy saw %q; want only %q", line, r.connectLine())
		}
		if strings.Contains(line, "127.0.0.1") {
			t.Errorf("a loopback address went through the proxy: %q", line)
		}
	}
	// Every call of the child reached the organization (through the tunnel).
	var got []string
	for _, q := range r.org.Requests() {
		got = append(got, q.Method+" "+q.Path)
	}
	for _, want := range []string{
		"GET /api/v1/profile",
		"POST /api/v1/entities/users/john.doe/apiTokens",
		"GET /api/v1/entities/users/john.doe/apiTokens",
		"DELETE /api/v1/entities/users/john.doe/apiTokens/gdlogin-proxy-test",
	} {
		if !containsString(got, want) {
			t.Errorf("the organization did not see %q; it saw %q", want, got)
		}
	}
	if r.org.HasToken("john.doe", "gdlogin-proxy-test") {
		t.Error("the token made through the proxy was not deleted")
	}
	// The loopback organization was reached directly, never through the proxy.
	if n := len(r.loopback.Requests()); n == 0 {
		t.Error("the loopback organization saw no request")
	}
}

func TestNoProxyIsHonoured(t *testing.T) {
	r := newProxyRig(t)
	r.runChild(t, "no-proxy", "example.com")
	if n := len(r.org.Requests()); n == 0 {
		t.Fatal("the organization saw no request")
	}
	// A marker CONNECT of our own, after the child has finished: once the
	// proxy has logged it, any CONNECT of the child would be logged before.
	marker := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy:           http.ProxyURL(mustParse(t, r.proxy.URL)),
		TLSClientConfig: &tls.Config{RootCAs: r.ca.Pool(), MinVersion: tls.VersionTLS12},
	}}
	res, err := marker.Get(r.org.URL() + "/api/v1/profile")
	if err != nil {
		t.Fatalf("marker request through the proxy: %v", err)
	}
	res.Body.Close()
	reqs := r.proxy.WaitRequest(t, r.connectLine())
	if len(reqs) != 1 {
		t.Fatalf("the proxy saw %q; with NO_PROXY=example.com it should have seen only the marker", reqs)
	}
}

// TestProxyChild is the client side of the scenarios above; it runs only
// in the child process.
func TestProxyChild(t *testing.T) {
	scenario := os.Getenv(childEnv)
	if scenario == "" {
		t.Skip("runs only as the child of the proxy tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	hc := productClient(t, httpclient.Config{CACertFile: os.Getenv("GDLOGIN_TEST_CA")})
	org, err := gooddata.New(os.Getenv("GDLOGIN_TEST_ORG"), os.Getenv("GDLOGIN_TEST_ADMIN"), gooddata.Options{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	switch scenario {
	case "through-proxy":
		// The loopback first: had it gone to the proxy, the proxy would
		// have logged it before the organization's CONNECT.
		lb, err := gooddata.New(os.Getenv("GDLOGIN_TEST_LOOPBACK"), os.Getenv("GDLOGIN_TEST_LOOPBACK_ADMIN"), gooddata.Options{HTTPClient: hc})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lb.Profile(ctx); err != nil {
			t.Fatalf("loopback profile: %v", err)
		}
		if _, err := org.Profile(ctx); err != nil {
			t.Fatalf("profile: %v", err)
		}
		tok, err := org.CreateToken(ctx, "john.doe", "gdlogin-proxy-test")
		if err != nil {
			t.Fatalf("create token: %v", err)
		}
		if tok.ID != "gdlogin-proxy-test" {
			t.Fatalf("created %q", tok.ID)
		}
		list, err := org.ListTokens(ctx, "john.doe")
		if err != nil || len(list) != 1 || list[0].ID != "gdlogin-proxy-test" {
			t.Fatalf("list tokens: %+v, %v", list, err)
		}
		if err := org.DeleteToken(ctx, "john.doe", "gdlogin-proxy-test"); err != nil {
			t.Fatalf("delete token: %v", err)
		}
	case "no-proxy":
		if _, err := org.Profile(ctx); err != nil {
			t.Fatalf("profile: %v", err)
		}
	default:
		t.Fatalf("unknown scenario %q", scenario)
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

package gooddata_test

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/httpclient"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/internal/testca"
)

// startHTTPSOrg runs the emulated organization on
// https://analytics.example.com:PORT with a certificate of a fresh test CA.
func startHTTPSOrg(t *testing.T) (*orgsim.Server, *testca.CA) {
	t.Helper()
	ca := testca.ForTest(t)
	org, err := orgsim.Start(orgsim.Options{TLS: ca.ServerConfig(), Host: testca.Host})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = org.Close() })
	return org, ca
}

// productClient is gdlogin's own HTTP client for cfg, with only the name
// resolution replaced: analytics.example.com goes to 127.0.0.1.
func productClient(t *testing.T, cfg httpclient.Config) *http.Client {
	t.Helper()
	cfg.DialContext = testca.LoopbackDialContext(testca.Host)
	hc, err := httpclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return hc
}

func TestHTTPSOrgWithCACert(t *testing.T) {
	org, ca := startHTTPSOrg(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := gooddata.New(org.URL(), org.AdminToken(), gooddata.Options{HTTPClient: productClient(t, httpclient.Config{CACertFile: ca.CAFile})})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Profile(ctx)
	if err != nil {
		t.Fatalf("Profile: %v", err)
	}
	if p.UserID != "admin" {
		t.Fatalf("Profile().UserID = %q, want admin", p.UserID)
	}
	tok, err := c.CreateToken(ctx, "john.doe", "gdlogin-tls-test")
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if tok.ID != "gdlogin-tls-test" || !org.HasToken("john.doe", "gdlogin-tls-test") {
		t.Fatalf("CreateToken = %q; server has it: %v", tok.ID, org.HasToken("john.doe", "gdlogin-tls-test"))
	}
	mine, err := c.WithToken(tok.Bearer.Reveal()).Profile(ctx)
	if err != nil || mine.UserID != "john.doe" {
		t.Fatalf("the new token's profile = %+v, %v", mine, err)
	}
	list, err := c.ListTokens(ctx, "john.doe")
	if err != nil || len(list) != 1 || list[0].ID != "gdlogin-tls-test" {
		t.Fatalf("ListTokens = %+v, %v", list, err)
	}
	if err := c.DeleteToken(ctx, "john.doe", "gdlogin-tls-test"); err != nil {
		t.Fatalf("DeleteToken: %v", err)
	}
	if org.HasToken("john.doe", "gdlogin-tls-test") {
		t.Fatal("the token is still on the server after DeleteToken")
	}
}

func TestHTTPSOrgWithoutCACertSaysACAMayBeNeeded(t *testing.T) {
	org, _ := startHTTPSOrg(t)
	c, err := gooddata.New(org.URL(), org.AdminToken(), gooddata.Options{HTTPClient: productClient(t, httpclient.Config{})})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Profile(context.Background())
	var ne *gooddata.NetworkError
	if !errors.As(err, &ne) || ne.Kind != gooddata.NetTLS {
		t.Fatalf("Profile without the CA: %v (%T), want a TLS NetworkError", err, err)
	}
	msg := err.Error()
	for _, want := range []string{
		"read profile: TLS with " + strings.TrimPrefix(org.URL(), "https://") + " failed",
		"certificate signed by unknown authority",
		"a private (corporate) certificate authority may be needed",
		"--ca-cert FILE",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if !strings.Contains(ne.Hint(), "--ca-cert FILE") {
		t.Errorf("hint %q does not name --ca-cert", ne.Hint())
	}
	if n := len(org.Requests()); n != 0 {
		t.Errorf("the organization saw %d requests through a failed handshake", n)
	}
}

func TestHTTPSOrgWithAnotherCA(t *testing.T) {
	org, _ := startHTTPSOrg(t)
	other := testca.ForTest(t)
	c, err := gooddata.New(org.URL(), org.AdminToken(), gooddata.Options{HTTPClient: productClient(t, httpclient.Config{CACertFile: other.CAFile})})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Profile(context.Background())
	if err == nil || !strings.Contains(err.Error(), "--ca-cert FILE") {
		t.Fatalf("Profile with the wrong CA: %v, want a TLS error that names --ca-cert", err)
	}
}

func TestCACertFileErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "corp.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		name, path, want string
		is               error
	}{
		{"missing", missing, "cannot read the --ca-cert file " + missing + ": no such file or directory", fs.ErrNotExist},
		{"directory", dir, "cannot read the --ca-cert file " + dir + ": is a directory", nil},
		{"not PEM", notPEM, "the --ca-cert file " + notPEM + " holds no PEM certificate", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := httpclient.New(httpclient.Config{CACertFile: tc.path})
			if err == nil || err.Error() != tc.want {
				t.Fatalf("NewHTTPClient(%s) = %v, want %q", tc.path, err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error does not match %v", tc.is)
			}
		})
	}
	if os.Geteuid() != 0 {
		locked := filepath.Join(dir, "locked.pem")
		if err := os.WriteFile(locked, []byte("x"), 0o000); err != nil {
			t.Fatal(err)
		}
		_, err := httpclient.New(httpclient.Config{CACertFile: locked})
		if want := "cannot read the --ca-cert file " + locked + ": permission denied"; err == nil || err.Error() != want {
			t.Fatalf("unreadable file: %v, want %q", err, want)
		}
	}
}

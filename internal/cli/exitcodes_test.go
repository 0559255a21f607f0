package cli

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/static"
)

func TestBookmarkletCommand(t *testing.T) {
	r := run(t, "", nil, "bookmarklet")
	if r.code != 0 || r.stdout != static.Bookmarklet()+"\n" {
		t.Fatalf("exit %d stdout %q", r.code, r.stdout)
	}
	if !strings.HasPrefix(r.stdout, "javascript:") || !strings.HasSuffix(strings.TrimSpace(r.stdout), "void%200") {
		t.Fatalf("not a bookmarklet: %.60s…", r.stdout)
	}
	for _, browser := range []string{"Chrome", "Edge", "Firefox", "Safari"} {
		if !strings.Contains(r.stderr, browser) {
			t.Errorf("no instructions for %s", browser)
		}
	}
}

func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	for _, method := range []string{"browser", "oidc"} {
		args := []string{"login", "https://analytics.example.com", "--port", port, "--method", method}
		if method == "oidc" {
			args = append(args, "--issuer", "https://login.example.com", "--client-id", "gdlogin")
		}
		r := run(t, "", nil, args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, "port "+port+" is in use (by another login?)") || r.stdout != "" {
			t.Errorf("%s: exit %d stderr %q", method, r.code, r.stderr)
		}
	}
}

// TestEveryExitCode runs one real case of each documented exit code.
func TestEveryExitCode(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	slow := startOrg(t, orgsim.Options{Latency: 3 * time.Second})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + l.Addr().String()
	l.Close()
	corrupt := t.TempDir()
	if err := os.MkdirAll(filepath.Join(corrupt, "gdlogin"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(corrupt, "gdlogin", "config.yaml"), []byte("profiles: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		vars map[string]string
		args []string
		code int
	}{
		{"success", map[string]string{"GDC_API_TOKEN": org.AdminToken()}, []string{"login", org.URL(), "--method", "token", "--no-save"}, ExitOK},
		{"usage", nil, []string{"login", "ftp://analytics.example.com"}, ExitUsage},
		{"auth refused", map[string]string{"GDC_API_TOKEN": "bm9wZTpub3BlOm5vcGU="}, []string{"login", org.URL(), "--method", "token"}, ExitAuth},
		{"network", map[string]string{"GDC_API_TOKEN": "bm9wZTpub3BlOm5vcGU="}, []string{"login", down, "--method", "token"}, ExitNetwork},
		{"timeout", map[string]string{"GDC_API_TOKEN": slow.AdminToken()}, []string{"login", slow.URL(), "--method", "token", "--timeout", "200ms"}, ExitTimeout},
		{"other failure (a corrupt config file)", map[string]string{EnvConfigDir: corrupt}, []string{"token"}, ExitError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", tc.vars, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, tc.code, r.stderr)
			}
			if tc.code != 0 && (r.stdout != "" || !strings.HasPrefix(lastLines(r.stderr), "error: ")) {
				t.Errorf("stdout %q, stderr %q", r.stdout, r.stderr)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		env, out, errb := testEnv("", isolated(t, map[string]string{"GDC_API_TOKEN": slow.AdminToken()}))
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		code := Run(ctx, []string{"login", slow.URL(), "--method", "token"}, env)
		if code != ExitCancelled || out.Len() != 0 || !strings.Contains(errb.String(), "error: cancelled") {
			t.Fatalf("exit %d stderr %q", code, errb.String())
		}
	})
}

// lastLines drops the lines before the error (progress, warnings).
func lastLines(s string) string {
	if i := strings.Index(s, "error: "); i >= 0 {
		return s[i:]
	}
	return s
}

// TestPlainHTTPRemoteRefusesTheBrowserMethod: SPEC 3.9, WebCrypto needs a
// secure context, so a plain-http organization on another host gets a
// clear refusal that names the token method.
func TestPlainHTTPRemoteRefusesTheBrowserMethod(t *testing.T) {
	for _, method := range []string{"browser", "oidc"} {
		args := []string{"login", "http://analytics.example.com", "--method", method}
		if method == "oidc" {
			args = append(args, "--issuer", "https://login.example.com", "--client-id", "gdlogin")
		}
		r := run(t, "", nil, args...)
		want := "--method token"
		if method == "browser" && !strings.Contains(r.stderr, "WebCrypto") {
			t.Errorf("browser: the refusal does not say why: %q", r.stderr)
		}
		if method == "oidc" {
			want = "--allow-insecure-http"
		}
		if r.code != ExitUsage || !strings.Contains(r.stderr, want) || r.stdout != "" {
			t.Errorf("%s: exit %d stderr %q", method, r.code, r.stderr)
		}
	}
}

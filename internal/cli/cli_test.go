package cli

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// result is what one gdlogin run produced.
type result struct {
	code           int
	stdout, stderr string
}

// testEnv is an Env with fixed clock and host, no terminal, and the given
// environment variables only.
func testEnv(stdin string, vars map[string]string) (Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return Env{
		Stdin:  strings.NewReader(stdin),
		Stdout: &out,
		Stderr: &errb,
		ReadSecret: func(string) (string, error) {
			panic("no terminal in tests")
		},
		Getenv: func(k string) string { return vars[k] },
		OpenBrowser: func(u, _ string) error {
			return errors.New("no browser in this test")
		},
		Environ: func() []string {
			// What a program under gdlogin run inherits: the test's
			// variables, and PATH to find its tools.
			out := []string{"PATH=" + os.Getenv("PATH")}
			for k, v := range vars {
				out = append(out, k+"="+v)
			}
			return out
		},
		Hostname: func() (string, error) { return "build-box.example.com", nil },
		Now:      func() time.Time { return time.Date(2026, 11, 29, 18, 22, 0, 0, time.UTC) },
	}, &out, &errb
}

// run is one gdlogin run with no terminal.
func run(t *testing.T, stdin string, vars map[string]string, args ...string) result {
	t.Helper()
	return runPrivate(t, stdin, vars, false, args...)
}

// isolated gives a run its own config directory, unless the test chose
// one: no run sees the profiles another test saved.
func isolated(t *testing.T, vars map[string]string) map[string]string {
	if vars[EnvConfigDir] != "" {
		return vars
	}
	out := map[string]string{EnvConfigDir: t.TempDir()}
	for k, v := range vars {
		out[k] = v
	}
	return out
}

// TestVersionAndHelp: both are what was asked for, so they go to stdout
// with exit 0 (gdlogin --help | less).
func TestVersionAndHelp(t *testing.T) {
	r := run(t, "", nil, "--version")
	if r.code != 0 || r.stdout != "gdlogin "+Version()+"\n" || r.stderr != "" {
		t.Fatalf("--version: %+v", r)
	}
	for _, args := range [][]string{{"--help"}, {"help"}, {}} {
		r = run(t, "", nil, args...)
		for _, want := range []string{"browser (default)", "token", "oidc", "gdlogin demo"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%v: help lacks %q", args, want)
			}
		}
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	r = run(t, "", nil, "login", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "--with-token") || r.stderr != "" {
		t.Fatalf("login --help: %+v", r)
	}
}

func TestUnknownCommandSuggestsTheNearest(t *testing.T) {
	r := run(t, "", nil, "logn")
	if r.code != ExitUsage || r.stdout != "" ||
		r.stderr != "error: unknown command \"logn\"\nhint: did you mean gdlogin login? (gdlogin --help lists the commands)\n" {
		t.Fatalf("%+v", r)
	}
	r = run(t, "", nil, "xyzzy")
	if r.code != ExitUsage || r.stderr != "error: unknown command \"xyzzy\"\nhint: see gdlogin --help for the commands\n" {
		t.Fatalf("%+v", r)
	}
}

// TestTokenFlagIsRefusedWithTheWayIn: a token never goes on argv; the hint
// names the two ways it does go in.
func TestTokenFlagIsRefusedWithTheWayIn(t *testing.T) {
	for _, args := range [][]string{{"login", "https://analytics.example.com", "--token", "s3cr3t-value"}, {"login", "https://analytics.example.com", "--token=s3cr3t-value"}} {
		r := run(t, "", nil, args...)
		if r.code != ExitUsage || r.stdout != "" || !strings.HasPrefix(r.stderr, "error: unknown flag: --token") ||
			!strings.Contains(r.stderr, "hint: ") || !strings.Contains(r.stderr, "--with-token") || !strings.Contains(r.stderr, "GDC_API_TOKEN") {
			t.Errorf("%v: %+v", args, r)
		}
		if strings.Contains(r.stderr, "s3cr3t-value") {
			t.Errorf("%v: the value is echoed: %q", args, r.stderr)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"login"}, "no organization URL given, and there is no saved profile"},
		{[]string{"login", "https://a.example.com", "https://b.example.com"}, "takes one organization URL"},
		{[]string{"login", "https://a.example.com", "--method", "carrier-pigeon"}, "--method must be one of"},
		{[]string{"login", "https://a.example.com", "--output", "xml"}, "--output must be one of"},
		{[]string{"login", "https://a.example.com", "--token-id", ".hidden"}, "not a valid token id"},
		{[]string{"login", "https://a.example.com", "--no-such-flag"}, "unknown flag"},
		{[]string{"login", "analytics.example.com", "--method", "token"}, "has no scheme"},
		{[]string{"login", "http://analytics.example.com", "--method", "token"}, "plain http"},
		{[]string{"login", "https://a.example.com", "--method", "token"}, "no existing token"},
		{[]string{"login", "https://a.example.com", "--timeout", "0s", "--method", "token"}, `for "--timeout" flag: must be positive (got 0s)`},
		{[]string{"login", "https://a.example.com", "--no-save", "--write-sdk-profile"}, "--write-sdk-profile needs the saved profile; leave out --no-save"},
		{[]string{"login", "https://a.example.com", "--no-save", "--keep-old"}, "--no-save replaces nothing"},
	}
	for _, tc := range cases {
		r := run(t, "", nil, tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
		if !strings.HasPrefix(r.stderr, "error: ") {
			t.Errorf("%v: stderr does not start with error: %q", tc.args, r.stderr)
		}
	}
}

func TestEnvExportsQuoteSafely(t *testing.T) {
	hostile := `a'b"c$d\e` + "`f"
	cases := map[string]string{
		"bash":       `export GOODDATA_TOKEN='a'\''b"c$d\e` + "`f'",
		"fish":       `set -gx GOODDATA_TOKEN 'a\'b"c$d\\e` + "`f';",
		"powershell": `$env:GOODDATA_TOKEN = 'a''b"c$d\e` + "`f'",
	}
	for shell, want := range cases {
		got := envExports(shell, credentialVars("https://analytics.example.com", hostile, "staging"))
		if !strings.Contains(got, want) {
			t.Errorf("%s: %q lacks %q", shell, got, want)
		}
		for _, name := range []string{"GOODDATA_HOST", "GOODDATA_TOKEN", "GOODDATA_API_TOKEN", "GDC_API_TOKEN", "GDLOGIN_TOKEN_STAGING"} {
			if !strings.Contains(got, name) {
				t.Errorf("%s: no %s", shell, name)
			}
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a login.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

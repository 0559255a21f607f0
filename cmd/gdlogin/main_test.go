package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/orgsim"
)

// TestMain lets the test binary act as gdlogin itself, so the tests below
// run the real main: its signal handling, streams and exit code.
func TestMain(m *testing.M) {
	if os.Getenv("GDLOGIN_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func gdlogin(t *testing.T, stdin string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	// Never the user's own profiles or keyring.
	cmd.Env = append(append(os.Environ(), "GDLOGIN_TEST_MAIN=1", "GDLOGIN_CONFIG_DIR="+t.TempDir(), "GDLOGIN_PROFILE="), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// TestTokenLoginEndToEnd is the foundation's promise: against a running
// organization, `gdlogin login URL --method token --output token <<< "$ADMIN_TOKEN"`
// prints exactly one token, and that token works.
func TestTokenLoginEndToEnd(t *testing.T) {
	org, err := orgsim.Start(orgsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer org.Close()
	stdout, stderr, code := gdlogin(t, org.AdminToken()+"\n", nil, "login", org.URL(), "--method", "token", "--with-token", "--output", "token", "--store", "file")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Count(stdout, "\n") != 1 {
		t.Fatalf("stdout %q is not one line", stdout)
	}
	tok := strings.TrimSpace(stdout)
	c, _ := gooddata.New(org.URL(), tok, gooddata.Options{})
	p, err := c.Profile(context.Background())
	if err != nil || p.UserID != "admin" {
		t.Fatalf("printed token does not work: %v %v", p, err)
	}
	if strings.Contains(stderr, tok) || strings.Contains(stderr, org.AdminToken()) {
		t.Fatal("stderr holds a token")
	}
}

func TestExitCodeOfUsageError(t *testing.T) {
	stdout, stderr, code := gdlogin(t, "", nil, "login")
	if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "error: ") {
		t.Fatalf("exit %d stdout %q stderr %q", code, stdout, stderr)
	}
}

package cli

import (
	"context"
	"strings"
	"testing"
)

// TestDemoKeepServesTheOtherCommandsUntilCtrlC: demo --keep saves its
// login as profile "demo", the other commands work against the emulated
// organization while it runs, and Ctrl-C stops it cleanly and removes the
// profile.
func TestDemoKeepServesTheOtherCommandsUntilCtrlC(t *testing.T) {
	vars := map[string]string{EnvConfigDir: t.TempDir()}
	env, out, _ := testEnv("", vars)
	errb := &syncBuffer{}
	env.Stderr = errb
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"demo", "--method", "token", "--keep"}, env) }()
	waitFor(t, "the demo to say what to try", func() bool { return strings.Contains(errb.String(), "Ctrl-C stops the organization") })
	for _, want := range []string{`Saved as profile "demo"`, "gdlogin status --profile demo", "gdlogin tokens list --profile demo", `eval "$(gdlogin env --profile demo)"`, "gdlogin write-sdk-profile --profile demo"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb.String())
		}
	}

	st := run(t, "", vars, "status", "--profile", "demo")
	if st.code != ExitOK || !strings.Contains(st.stdout, "demo*") || !strings.Contains(st.stdout, "valid") {
		t.Fatalf("status while the demo runs: %+v", st)
	}
	list := run(t, "", vars, "tokens", "list", "--profile", "demo")
	if list.code != ExitOK || !strings.Contains(list.stdout, "in use (profile demo)") {
		t.Fatalf("tokens list: %+v", list)
	}
	envOut := run(t, "", vars, "env", "--profile", "demo")
	if envOut.code != ExitOK || !strings.Contains(envOut.stdout, "export GOODDATA_HOST='http://127.0.0.1:") {
		t.Fatalf("env: %+v", envOut)
	}
	// No other profile was touched, and nothing went to stdout.
	if def := run(t, "", vars, "token"); def.code != ExitAuth {
		t.Errorf("the demo saved a default profile: %+v", def)
	}
	if out.Len() != 0 {
		t.Errorf("stdout %q", out.String())
	}

	cancel() // Ctrl-C
	if code := <-done; code != ExitOK {
		t.Fatalf("exit %d after Ctrl-C\n%s", code, errb.String())
	}
	if !strings.Contains(errb.String(), `Stopped the emulated organization and removed profile "demo".`) {
		t.Errorf("stderr %s", errb.String())
	}
	if gone := run(t, "", vars, "status", "--profile", "demo"); gone.code != ExitAuth {
		t.Errorf("the demo profile outlived the demo: %+v", gone)
	}
}

//go:build unix

package cli

import (
	"bufio"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/orgsim"
)

// TestRunForwardsSignals runs gdlogin as its own process (this test binary
// as gdlogin) in a session of its own, without a terminal, as a service
// manager or CI runner would; sends it SIGTERM or SIGINT once the program
// runs; and checks that the program got the signal from gdlogin and that
// gdlogin waited for it and exited with its status.
func TestRunForwardsSignals(t *testing.T) {
	sh := requireTool(t, "sh")
	org := startOrg(t, orgsim.Options{})
	// The child gdlogin has no keyring (TestMain): save to the file store.
	sb := newSandbox(t, absentKeyring{}, 0)
	sb.save(org, "default", "john.doe", "johns-laptop", 0)

	for _, tc := range []struct {
		name   string
		sig    syscall.Signal
		script string
		code   int
		output string
	}{
		// The program handles the signal and chooses its exit status.
		{"SIGTERM trapped", syscall.SIGTERM, `trap 'echo "got TERM"; exit 42' TERM; echo ready; while :; do sleep 0.05; done`, 42, "got TERM"},
		{"SIGINT trapped", syscall.SIGINT, `trap 'echo "got INT"; exit 3' INT; echo ready; while :; do sleep 0.05; done`, 3, "got INT"},
		// The signal ends the program: 128+N.
		{"SIGTERM kills", syscall.SIGTERM, `echo ready; exec sleep 60`, 128 + 15, ""},
		{"SIGINT kills", syscall.SIGINT, `echo ready; exec sleep 60`, 128 + 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := gdloginCommand(t, sb.dir, "run", "--", sh, "-c", tc.script)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			lines := bufio.NewScanner(out)
			if !lines.Scan() || lines.Text() != "ready" {
				t.Fatalf("the program did not start: %q %s", lines.Text(), stderr.String())
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			var rest []string
			for lines.Scan() {
				rest = append(rest, lines.Text())
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("gdlogin did not exit after its program was signalled")
			}
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
					t.Fatalf("gdlogin itself died of %v before its program", ws.Signal())
				}
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || strings.Join(rest, "\n") != tc.output {
				t.Errorf("exit %d, output %q; want %d, %q (stderr %q)", code, rest, tc.code, tc.output, stderr.String())
			}
			if stderr.String() != "" {
				t.Errorf("gdlogin wrote %q", stderr.String())
			}
		})
	}
}

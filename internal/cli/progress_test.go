package cli

import (
	"strings"
	"testing"
	"time"
)

func TestSpinnerOnlyOnATerminal(t *testing.T) {
	for _, tc := range []struct {
		name     string
		terminal bool
		vars     map[string]string
		quiet    bool
		want     bool
	}{
		{"terminal", true, nil, false, true},
		{"pipe", false, nil, false, false},
		{"NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, false, false},
		{"TERM=dumb", true, map[string]string{"TERM": "dumb"}, false, false},
		{"--quiet", true, nil, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, _, errb := testEnv("", tc.vars)
			env.StderrIsTerminal = tc.terminal
			a := &app{env: env, quiet: tc.quiet}
			// The spinner draws from its own goroutine: wait for it to
			// show up (again) after text. Without decoration spin returns
			// a no-op and starts nothing, so there is nothing to wait for.
			drawnAfter := func(text string) {
				if !tc.want {
					return
				}
				waitFor(t, "the spinner", func() bool {
					a.errMu.Lock()
					defer a.errMu.Unlock()
					_, rest, ok := strings.Cut(errb.String(), text)
					return ok && strings.Contains(rest, "Ctrl-C to cancel")
				})
			}
			stop := a.spin("waiting for the browser", time.Now())
			drawnAfter("")
			a.say("a progress line")
			drawnAfter("a progress line\n")
			stop()
			out := errb.String()
			drew := strings.Contains(out, "waiting for the browser") && strings.Contains(out, "Ctrl-C to cancel")
			if drew != tc.want {
				t.Fatalf("spinner drawn: %v, want %v (%q)", drew, tc.want, out)
			}
			if tc.want {
				// Lines start on a cleared line, and the spinner is erased at the end.
				if !strings.Contains(out, "\r\033[Ka progress line\n") || !strings.HasSuffix(out, "\r\033[K") {
					t.Errorf("terminal output %q", out)
				}
			} else if strings.Contains(out, "\033[") {
				t.Errorf("escape sequences on a non-terminal: %q", out)
			}
		})
	}
}

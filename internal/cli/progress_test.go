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
			stop := a.spin("waiting for the browser", time.Now())
			time.Sleep(300 * time.Millisecond)
			a.say("a progress line")
			time.Sleep(150 * time.Millisecond)
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

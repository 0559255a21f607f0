// Package opener opens gdlogin's local pages in the user's browser: the
// BROWSER variable when set (a list of commands separated by ':', as many
// Unix tools read it), otherwise the platform's opener through
// github.com/pkg/browser. Only http and https URLs are ever handed to an
// opener, no shell ever sees the URL, the opener's own output goes to the
// writer gdlogin gives (stderr), and an opener that hangs does not hold the
// login up.
package opener

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"strings"
	"time"

	"github.com/pkg/browser"
)

// DefaultWait is how long Open waits for an opener before it lets the
// login go on.
const DefaultWait = 5 * time.Second

// ErrNotHTTP is returned for a URL that is not http or https.
var ErrNotHTTP = errors.New("only http and https URLs are opened")

// Opener opens URLs. Its zero value uses the system's opener.
type Opener struct {
	// Getenv reads BROWSER; nil means no BROWSER.
	Getenv func(string) string
	// Output receives the opener's stdout and stderr.
	Output io.Writer
	// Command, when set, replaces BROWSER and the platform opener; it is a
	// command line (split on spaces; %s is replaced by the URL, or the URL
	// is appended).
	Command string
	// Wait overrides DefaultWait.
	Wait time.Duration
	// run executes a command; tests replace it.
	run func(name string, args []string, out io.Writer) error
	// system opens with the platform opener; tests replace it.
	system func(u string, out io.Writer) error
}

// Open opens u. It returns an error when u is not http(s), when no opener
// could be started, or when the opener failed within the wait; an opener
// still running after it is left alone and counts as success.
func (o Opener) Open(u string) error {
	if err := checkURL(u); err != nil {
		return err
	}
	attempts := o.candidates()
	done := make(chan error, 1)
	go func() {
		var errs []error
		for _, try := range attempts {
			err := try(u)
			if err == nil {
				done <- nil
				return
			}
			errs = append(errs, err)
		}
		done <- errors.Join(errs...)
	}()
	wait := o.Wait
	if wait == 0 {
		wait = DefaultWait
	}
	select {
	case err := <-done:
		return err
	case <-time.After(wait):
		return nil
	}
}

func (o Opener) candidates() []func(string) error {
	out := o.Output
	if out == nil {
		out = io.Discard
	}
	run := o.run
	if run == nil {
		run = runCommand
	}
	if o.Command != "" {
		return []func(string) error{func(u string) error { return runTemplate(run, o.Command, u, out) }}
	}
	var cs []func(string) error
	if o.Getenv != nil {
		if env := strings.TrimSpace(o.Getenv("BROWSER")); env != "" {
			for _, line := range strings.Split(env, ":") {
				if line = strings.TrimSpace(line); line != "" {
					cs = append(cs, func(u string) error { return runTemplate(run, line, u, out) })
				}
			}
			return cs
		}
	}
	system := o.system
	if system == nil {
		system = systemOpen
	}
	return []func(string) error{func(u string) error { return system(u, out) }}
}

// checkURL accepts only absolute http(s) URLs without spaces or control
// characters, so that no opener can read them as options or commands.
func checkURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("%w: %q", ErrNotHTTP, u)
	}
	if strings.IndexFunc(u, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '"' || r == '\'' || r == '`' }) >= 0 {
		return fmt.Errorf("%w: %q holds spaces, quotes or control characters", ErrNotHTTP, u)
	}
	return nil
}

// runTemplate runs a command line with the URL as one argument: in place
// of %s, or appended. No shell is involved.
func runTemplate(run func(string, []string, io.Writer) error, line, u string, out io.Writer) error {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return errors.New("empty browser command")
	}
	replaced := false
	args := make([]string, 0, len(fields))
	for _, f := range fields[1:] {
		if strings.Contains(f, "%s") {
			f = strings.ReplaceAll(f, "%s", u)
			replaced = true
		}
		args = append(args, f)
	}
	if !replaced {
		args = append(args, u)
	}
	return run(fields[0], args, out)
}

func runCommand(name string, args []string, out io.Writer) error {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func systemOpen(u string, out io.Writer) error {
	browser.Stdout, browser.Stderr = out, out
	return browser.OpenURL(u)
}

// Package opener opens gdlogin's local pages in the user's browser:
// --browser-command, else the BROWSER variable (a list of commands separated
// by ':', as many Unix tools read it), else, under WSL, the Windows browser
// (wslview, then powershell.exe Start-Process), else the platform's opener
// through github.com/pkg/browser. Only http and https URLs made of plain URL
// characters are ever handed to an opener, no shell ever sees the URL (and
// the one interpreter that does, PowerShell, gets it as a quoted literal),
// the opener's own output goes to the writer gdlogin gives (stderr), and an
// opener that fails or hangs does not hold the login up: gdlogin always
// prints the URL as well.
package opener

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/google/shlex"
	"github.com/pkg/browser"

	"github.com/gdlogin/gdlogin/internal/shellquote"
)

// DefaultWait is how long Open waits for an opener before it lets the
// login go on.
const DefaultWait = 5 * time.Second

// ErrNotHTTP is returned for a URL that is not a plain http or https URL.
var ErrNotHTTP = errors.New("only http and https URLs are opened")

// wslProbes are the files whose text tells WSL apart from other Linux
// kernels: WSL 1 says "Microsoft", WSL 2 "microsoft-standard-WSL2".
var wslProbes = []string{"/proc/sys/kernel/osrelease", "/proc/version"}

// windowsPowerShell is where powershell.exe lives when WSL does not put the
// Windows directories on PATH (appendWindowsPath=false).
const windowsPowerShell = "/mnt/c/Windows/System32/WindowsPowerShell/v1.0/powershell.exe"

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
	// wslProbes, when set, replaces the /proc files that detect WSL (and
	// the check that this is Linux); tests point it at fake files.
	wslProbes []string
	// lookPath finds a program on PATH; tests replace it.
	lookPath func(string) (string, error)
	// exists reports whether a file exists; tests replace it.
	exists func(string) bool
}

// Open opens u. It returns an error when u is not a plain http(s) URL, when
// no opener could be started, or when every opener failed within the wait;
// an opener still running after it is left alone and counts as success.
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

// candidates are the openers to try, in order; the next one runs only when
// the one before failed.
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
		return []func(string) error{func(u string) error {
			fields, err := CommandWords(o.Command)
			if err != nil {
				return err
			}
			return runTemplate(run, fields, u, out)
		}}
	}
	var cs []func(string) error
	if o.Getenv != nil {
		if env := strings.TrimSpace(o.Getenv("BROWSER")); env != "" {
			for _, line := range strings.Split(env, ":") {
				if line = strings.TrimSpace(line); line != "" {
					cs = append(cs, func(u string) error { return runTemplate(run, strings.Fields(line), u, out) })
				}
			}
			return cs
		}
	}
	if o.inWSL() {
		// Linux openers inside WSL reach a Linux browser at best; the
		// user's browser is the Windows one.
		lookPath := o.lookPath
		if lookPath == nil {
			lookPath = exec.LookPath
		}
		if _, err := lookPath("wslview"); err == nil {
			cs = append(cs, func(u string) error { return run("wslview", []string{u}, out) })
		}
		ps := "powershell.exe"
		if _, err := lookPath(ps); err != nil && o.fileExists(windowsPowerShell) {
			ps = windowsPowerShell
		}
		cs = append(cs, func(u string) error { return run(ps, powerShellArgs(u), out) })
	}
	system := o.system
	if system == nil {
		system = systemOpen
	}
	return append(cs, func(u string) error { return system(u, out) })
}

// inWSL reports whether gdlogin runs in the Windows Subsystem for Linux.
func (o Opener) inWSL() bool {
	if o.wslProbes != nil {
		return detectWSL(o.wslProbes)
	}
	return runtime.GOOS == "linux" && detectWSL(wslProbes)
}

func (o Opener) fileExists(path string) bool {
	if o.exists != nil {
		return o.exists(path)
	}
	_, err := os.Stat(path)
	return err == nil
}

// detectWSL reports whether any of the files (the kernel's version text)
// names Microsoft's kernel or WSL. A missing file is no evidence.
func detectWSL(files []string) bool {
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := string(b)
		if strings.Contains(strings.ToLower(s), "microsoft") || strings.Contains(s, "WSL") {
			return true
		}
	}
	return false
}

// powerShellArgs starts the default Windows browser on u through
// Start-Process. The URL is a PowerShell single-quoted string, in which
// nothing is expanded; checkURL has already refused quotes of any kind,
// and shellquote.PowerShell doubles them anyway.
func powerShellArgs(u string) []string {
	return []string{"-NoProfile", "-NonInteractive", "-Command", "Start-Process " + shellquote.PowerShell(u)}
}

// checkURL accepts only absolute http(s) URLs written with letters, digits
// and the URL punctuation gdlogin's own addresses use (-._~:/?#[]@=%+,).
// Everything a shell, cmd.exe or PowerShell could read as syntax (quotes,
// backticks, $, &, |, ;, parentheses, <, >, ^, spaces, control characters,
// non-ASCII) is refused, so no opener can read the URL as an option or a
// command, whatever it does with it.
func checkURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("%w: %q", ErrNotHTTP, u)
	}
	if i := strings.IndexFunc(u, func(r rune) bool { return !plainURLRune(r) }); i >= 0 {
		return fmt.Errorf("%w: %q holds %q, which an opener could misread", ErrNotHTTP, u, []rune(u[i:])[0])
	}
	return nil
}

func plainURLRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-._~:/?#[]@=%+,", r)
}

// CommandWords splits a --browser-command into the program and its
// arguments as a POSIX shell would, quotes and backslashes included, so
// that a path with spaces can be quoted:
// "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" --new-window.
// Nothing is expanded and no shell runs.
func CommandWords(line string) ([]string, error) {
	fields, err := shlex.Split(line)
	if err != nil {
		return nil, fmt.Errorf("the browser command %q cannot be split into words: %w", line, err)
	}
	if len(fields) == 0 {
		return nil, errors.New("empty browser command")
	}
	return fields, nil
}

// runTemplate runs a command with the URL as one argument: in place of %s,
// or appended. No shell is involved.
func runTemplate(run func(string, []string, io.Writer) error, fields []string, u string, out io.Writer) error {
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

// systemOpen uses the platform's opener: xdg-open and friends on Linux,
// open on macOS, ShellExecute on Windows (no cmd.exe, so no "start" that
// would read & in the URL as a command separator).
func systemOpen(u string, out io.Writer) error {
	browser.Stdout, browser.Stderr = out, out
	return browser.OpenURL(u)
}

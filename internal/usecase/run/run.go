// Package run runs a program with a profile's credential in its
// environment, the way op run and aws-vault exec do: the token is checked
// first (a refusal says how to log in), handed to the program only through
// its environment, never its arguments, the program's streams pass
// through, SIGINT and SIGTERM are forwarded to it, and its exit status
// becomes gdlogin's.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
	"github.com/gdlogin/gdlogin/internal/usecase/status"
)

// Deps are what preparing a run touches.
type Deps struct {
	Profiles profile.Deps
	Client   credential.ClientFactory
}

// Input says which credential the program gets.
type Input struct {
	Profile string
	// Verify asks the organization whether the token still works before
	// the program starts.
	Verify  bool
	Timeout time.Duration
}

// Ready is a credential that may be handed to the program.
type Ready struct {
	Credential credential.Credential
	Profile    store.Profile
}

// NeedsLoginError: there is no usable credential, and a login would make
// one (no profile, its token is gone, expired, revoked, or another user's).
type NeedsLoginError struct {
	Err error
}

func (e *NeedsLoginError) Error() string { return e.Err.Error() }
func (e *NeedsLoginError) Unwrap() error { return e.Err }

// Prepare loads the profile's usable token and, with Verify, checks it
// with the organization as gdlogin status does.
func (d Deps) Prepare(ctx context.Context, in Input) (Ready, error) {
	cred, p, err := d.Profiles.Load(ctx, in.Profile)
	if err != nil {
		if failure.KindOf(err) == failure.Auth {
			return Ready{}, &NeedsLoginError{Err: err}
		}
		return Ready{}, err
	}
	if !in.Verify {
		return Ready{Credential: cred, Profile: p}, nil
	}
	checks, err := status.Deps{Profiles: d.Profiles, Client: d.Client}.Run(ctx, status.Input{Current: in.Profile, Only: true, Timeout: in.Timeout})
	if err != nil {
		return Ready{}, err
	}
	c := checks[0]
	if c.Valid {
		return Ready{Credential: cred, Profile: p}, nil
	}
	msg := fmt.Sprintf("the saved token of profile %q does not work: %s", in.Profile, c.Reason)
	switch c.Problem {
	case status.InvalidToken, status.UserMismatch, status.SecretMissing:
		return Ready{}, &NeedsLoginError{Err: failure.New(failure.Auth, msg, c.Hint)}
	case status.Unreachable, status.TimedOut:
		msg = fmt.Sprintf("could not check the token of profile %q with %s: %s", in.Profile, p.Host, c.Reason)
	}
	return Ready{}, failure.New(c.Kind, msg, c.Hint)
}

// Variables is what the program's environment gets on top of the
// inherited one.
type Variables [][2]string

// Environ is base with vars set: an inherited variable of the same name
// is replaced, never duplicated (on Windows, where names ignore case,
// regardless of case).
func Environ(base []string, vars Variables, foldCase bool) []string {
	same := func(a, b string) bool {
		if foldCase {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	out := make([]string, 0, len(base)+len(vars))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		set := false
		for _, v := range vars {
			if same(name, v[0]) {
				set = true
				break
			}
		}
		if !set {
			out = append(out, kv)
		}
	}
	for _, v := range vars {
		out = append(out, v[0]+"="+v[1])
	}
	return out
}

// Command is the program to run.
type Command struct {
	Name string
	Args []string
	Env  []string
	// Streams pass through; an *os.File is handed over as it is.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Signals are forwarded to the program while it runs.
	Signals <-chan os.Signal
	// Started, when set, hears the program's process id once it runs.
	Started func(pid int)
}

// Exit is how the program ended.
type Exit struct {
	// Code is the exit status a shell reports: the program's own, or
	// 128+N when signal N ended it.
	Code int
	// Signal ended the program, when it did.
	Signal os.Signal
}

// Exec runs c to the end. It does not stop the program when ctx is done
// (an interrupt reaches the program through c.Signals instead): gdlogin
// waits for it, as a shell does. A program that cannot be found or started
// is a failure of kind CommandNotFound or CommandNotExecutable.
func Exec(c Command) (Exit, error) {
	path, err := exec.LookPath(c.Name)
	if err != nil {
		return Exit{}, notRunnable(c.Name, err)
	}
	cmd := exec.Command(path, c.Args...)
	cmd.Args[0] = c.Name
	cmd.Env = c.Env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	if err := cmd.Start(); err != nil {
		return Exit{}, notRunnable(c.Name, err)
	}
	if c.Started != nil {
		c.Started(cmd.Process.Pid)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-c.Signals:
			forward(cmd.Process, sig)
		case err := <-done:
			return exitOf(cmd, err)
		}
	}
}

// notRunnable says why the program did not start, with the exit status a
// shell gives: 127 not found, 126 found but not executable.
func notRunnable(name string, err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) && errors.Is(ee.Err, exec.ErrNotFound) {
		return &failure.Error{Kind: failure.CommandNotFound, Err: err,
			Message: fmt.Sprintf("command not found: %s", name),
			Advice:  "check the name and your PATH; the command goes after --: gdlogin run -- CMD [ARGS…]"}
	}
	if errors.Is(err, exec.ErrDot) {
		return &failure.Error{Kind: failure.CommandNotExecutable, Err: err,
			Message: fmt.Sprintf("%s was found only through a relative directory in PATH, which gdlogin does not run", name),
			Advice:  "give the path, e.g. ./" + name}
	}
	return &failure.Error{Kind: failure.CommandNotExecutable, Err: err, Message: fmt.Sprintf("cannot run %s: %v", name, err),
		Advice: "check that it is an executable file (chmod +x) for this system"}
}

// exitOf reads how the program ended.
func exitOf(cmd *exec.Cmd, err error) (Exit, error) {
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return Exit{}, fmt.Errorf("wait for %s: %w", cmd.Args[0], err)
		}
	}
	if sig, ok := signalOf(cmd.ProcessState); ok {
		return Exit{Code: 128 + signalNumber(sig), Signal: sig}, nil
	}
	return Exit{Code: cmd.ProcessState.ExitCode()}, nil
}

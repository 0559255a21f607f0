// Package cli is gdlogin's command line: the cobra commands and their
// flags, the output modes of stdout, every sentence on stderr, prompts,
// and exit codes. What a command does lives in the use cases
// (internal/usecase/...); cli parses the flags into their inputs, gives
// them their dependencies (the run's HTTP client, the store, the clock, the
// browser opener), turns their events and results into words, and maps
// their failures to exit codes. It is the only package that talks to the
// user.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/opener"
	"github.com/gdlogin/gdlogin/internal/termtext"
)

// version is set at build time with -ldflags "-X github.com/gdlogin/gdlogin/internal/cli.version=v1.2.3".
var version = ""

// Version returns gdlogin's version: the build-time one, the module
// version of `go install …@vX`, or "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Env is everything a command touches in the world. System() returns the
// real one; tests pass stubs that record.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// CloseStdout, when set, closes stdout once a login has written its
	// result, so that TOKEN=$(gdlogin login …) returns while the loopback
	// pages still show the outcome.
	CloseStdout func() error
	// StdinIsTerminal and StderrIsTerminal decide prompts and decoration.
	StdinIsTerminal  bool
	StderrIsTerminal bool
	// ReadSecret reads a line without echo from the terminal.
	ReadSecret func(prompt string) (string, error)
	Getenv     func(string) string
	Hostname   func() (string, error)
	Now        func() time.Time
	// OpenBrowser opens a local page in the user's browser; command, when
	// not empty, is --browser-command.
	OpenBrowser func(url, command string) error
	// Environ is the environment gdlogin run's program inherits.
	Environ func() []string
	// NotifySignals, when set, delivers SIGINT and SIGTERM to ch until
	// stop is called (gdlogin run forwards them to its program).
	NotifySignals func(ch chan<- os.Signal) (stop func())
}

// System is the real environment of the process.
func System() Env {
	return Env{
		Stdin:            os.Stdin,
		Stdout:           os.Stdout,
		CloseStdout:      os.Stdout.Close,
		Stderr:           os.Stderr,
		StdinIsTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		StderrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		ReadSecret: func(prompt string) (string, error) {
			fmt.Fprint(os.Stderr, prompt)
			b, err := term.ReadPassword(int(os.Stdin.Fd()))
			fmt.Fprintln(os.Stderr)
			return string(b), err
		},
		Getenv:   os.Getenv,
		Hostname: os.Hostname,
		Now:      time.Now,
		OpenBrowser: func(url, command string) error {
			return opener.Opener{Getenv: os.Getenv, Output: os.Stderr, Command: command}.Open(url)
		},
		Environ: os.Environ,
		NotifySignals: func(ch chan<- os.Signal) func() {
			signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
			return func() { signal.Stop(ch) }
		},
	}
}

// app is one run of gdlogin.
type app struct {
	env Env
	// errMu serialises lines on stderr: the loopback server reports
	// progress from its own goroutines.
	errMu sync.Mutex
	// spinning is true while a spinner line is drawn on stderr (errMu).
	spinning bool
	verbose  bool
	quiet    bool
	caCert   string
	caFlag   *pflag.Flag // --ca-cert, to tell "not given" from ""
	// profile is --profile; empty means GDLOGIN_PROFILE, then "default".
	profile string
	// storeMode is --store: auto, keyring or file.
	storeMode string

	// https are the run's HTTP clients, one per CA file (httpClientFor),
	// built on first use.
	httpMu sync.Mutex
	https  map[caChoice]httpResult
}

// Run executes gdlogin with args (without the program name) and returns
// the exit code.
func Run(ctx context.Context, args []string, env Env) int {
	a := &app{env: env}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	// Help and --version are what was asked for: stdout, as gh, kubectl
	// and git do, so that gdlogin --help | less works.
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var child *childExit
	if errors.As(err, &child) {
		return child.code
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		err = context.Canceled
	}
	printError(env.Stderr, err)
	return exitCode(err)
}

const rootLong = `gdlogin gets a GoodData.CN / GoodData Cloud API token and hands it to your
shell: printed, saved, or exported.

It logs in one of three ways:

  browser (default)  For organizations that only offer single sign-on. gdlogin
                     opens your browser on a local page; you sign in to the
                     organization as usual and click one bookmark (or paste one
                     snippet). A script in the organization's own page creates
                     the token with your session and hands it back, encrypted,
                     to gdlogin on 127.0.0.1, which verifies it.
  token              No browser. An existing token (yours, an admin's, or the
                     deployment's bootstrap token) creates the new one. It is
                     read from stdin with --with-token, or from GDC_API_TOKEN or
                     GOODDATA_TOKEN; never from the command line.
  oidc               For organizations whose admin registered the identity
                     provider's signing keys: a standard loopback OIDC login
                     (authorization code, PKCE, state, nonce) whose verified ID
                     token creates the API token.

Try it without an account: gdlogin demo`

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "gdlogin",
		Short:         "Get a GoodData API token through your browser's single sign-on",
		Long:          rootLong,
		Version:       Version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("gdlogin {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		if isFlag(err, "--token") {
			return &failure.Error{Kind: failure.Usage, Err: err,
				Advice: "gdlogin never takes a token on the command line, where every user of this computer can read it in the process list: pipe it in with --with-token (gdlogin login ORG_URL --method token --with-token < token.txt), or set GDC_API_TOKEN"}
		}
		return &failure.Error{Kind: failure.Usage, Err: err, Advice: "see " + cmd.CommandPath() + " --help"}
	})
	// An unknown command is a usage error (exit 2) with the nearest
	// command as the hint; without arguments gdlogin shows its help.
	root.SuggestionsMinimumDistance = 2
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		hint := "see gdlogin --help for the commands"
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			hint = "did you mean gdlogin " + strings.Join(s, " or gdlogin ") + "? (gdlogin --help lists the commands)"
		}
		return failure.New(failure.Usage, fmt.Sprintf("unknown command %q", args[0]), hint)
	}
	root.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	pf := root.PersistentFlags()
	pf.StringVar(&a.caCert, "ca-cert", "", "PEM `FILE` of extra certificate authorities (on-premises installs); login saves it with the profile, '' trusts only the system's")
	a.caFlag = pf.Lookup("ca-cert")
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "trace each HTTP call on stderr (never a secret)")
	pf.BoolVarP(&a.quiet, "quiet", "q", false, "print nothing on stderr but errors and prompts")
	pf.StringVarP(&a.profile, "profile", "p", "", "saved profile `NAME` (default $GDLOGIN_PROFILE, else \"default\")")
	pf.StringVar(&a.storeMode, "store", "auto", "where secrets go: auto (keyring, else a 0600 file), keyring, file")
	_ = root.RegisterFlagCompletionFunc("profile", a.completeProfiles)
	_ = root.RegisterFlagCompletionFunc("store", cobra.FixedCompletions([]string{"auto", "keyring", "file"}, cobra.ShellCompDirectiveNoFileComp))
	root.AddCommand(a.loginCommand(), a.demoCommand(), a.bookmarkletCommand(), a.runCommand())
	root.AddCommand(a.credentialCommands()...)
	return root
}

// isFlag reports whether err is pflag's refusal of the unknown flag name
// ("--token", or "--token=…").
func isFlag(err error, name string) bool {
	msg := err.Error()
	return msg == "unknown flag: "+name || strings.HasPrefix(msg, "unknown flag: "+name+"=")
}

// say prints a line for humans on stderr, unless --quiet. Its arguments
// pass through termtext.Sprintf: what the organization, the identity
// provider or the config file says shows as visible escapes, never as
// control sequences.
func (a *app) say(format string, args ...any) {
	if a.quiet {
		return
	}
	a.errMu.Lock()
	defer a.errMu.Unlock()
	a.clearSpinnerLocked()
	fmt.Fprintln(a.env.Stderr, termtext.Sprintf(format, args...))
}

// warn prints a warning on stderr, unless --quiet.
func (a *app) warn(format string, args ...any) {
	if a.quiet {
		return
	}
	a.errMu.Lock()
	defer a.errMu.Unlock()
	a.clearSpinnerLocked()
	fmt.Fprintln(a.env.Stderr, termtext.Sprintf("warning: "+format, args...))
}

// exactArgs is cobra.ExactArgs with a usage exit code and a clear message.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return failure.Usagef("%s takes %s (got %d arguments); see %s --help", cmd.CommandPath(), what, len(args), cmd.CommandPath())
		}
		return nil
	}
}

func oneOf(flag, v string, allowed ...string) error {
	for _, x := range allowed {
		if v == x {
			return nil
		}
	}
	return failure.Usagef("--%s must be one of %s (got %q)", flag, strings.Join(allowed, ", "), v)
}

package cli

// gdlogin run: a program started with a profile's credential in its
// environment (package run does the work).

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/termtext"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
	runuc "github.com/gdlogin/gdlogin/internal/usecase/run"
)

// Variables gdlogin run sets for a profile with an SDK profiles.yaml entry.
const (
	// EnvProfilesFile is the profiles.yaml that gdlogin write-sdk-profile
	// last wrote the profile into, for create_from_profile(profiles_path=…).
	EnvProfilesFile = "GOODDATA_PROFILES_FILE"
	// EnvSDKProfile is that entry's name, for create_from_profile(profile=…).
	EnvSDKProfile = "GDLOGIN_SDK_PROFILE"
)

const runLong = `Run CMD with the saved credential of a profile in its environment, and
nowhere else: not in your shell, not on CMD's command line. CMD gets

  GOODDATA_HOST, GOODDATA_TOKEN, GOODDATA_API_TOKEN, GDC_API_TOKEN
                      as gdlogin env exports them
  GDLOGIN_TOKEN_<P>   the token under the profile's own name, which its entry
                      in the SDK's profiles.yaml reads (gdlogin write-sdk-profile)
  GOODDATA_PROFILES_FILE, GDLOGIN_SDK_PROFILE
                      when gdlogin wrote the profile into a profiles.yaml: that
                      file and the entry's name, for
                      GoodDataSdk.create_from_profile(profile=…, profiles_path=…)

on top of gdlogin's own environment. stdin, stdout and stderr are CMD's.

Before CMD starts, gdlogin asks the organization whether the token still works
(as gdlogin status does; --no-verify skips that). With no saved token, or one
that expired or was revoked, gdlogin refuses and says how to log in; with
--login it logs in again first (as gdlogin login --profile P would: the saved
organization and method), then runs CMD.

gdlogin waits for CMD and exits with its exit status; 128+N when signal N ended
it, as shells do. SIGINT and SIGTERM sent to gdlogin are passed on to CMD (a
Ctrl-C at the terminal reaches CMD directly, and is not sent twice). On
Windows, Ctrl-C reaches CMD through the console.

Exit codes of gdlogin's own: 127 when CMD is not found, 126 when it cannot be
started, 3 when there is no usable token (log in), 4 or 5 when the
organization did not answer the check.`

const runExample = `  # Use the GoodData Python SDK with the default profile
  gdlogin write-sdk-profile
  gdlogin run -- python3 -c 'from gooddata_sdk import GoodDataSdk; print(GoodDataSdk.create_from_profile().catalog_workspace.list_workspaces())'

  # Another profile; log in first if its token no longer works
  gdlogin run --profile staging --login -- python3 report.py

  # Any tool that reads GOODDATA_HOST and GOODDATA_TOKEN
  gdlogin run -- sh -c 'curl -H "Authorization: Bearer $GOODDATA_TOKEN" "$GOODDATA_HOST/api/v1/profile"'`

type runOptions struct {
	login    bool
	noVerify bool
	timeout  time.Duration
}

func (a *app) runCommand() *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:     "run [--profile P] [--login] [--no-verify] -- CMD [ARGS…]",
		Short:   "Run a command with the profile's token in its environment only",
		Long:    runLong,
		Example: runExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return failure.Usagef("gdlogin run needs the command to run: gdlogin run -- CMD [ARGS…]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runRun(cmd.Context(), o, args)
		},
	}
	// Everything after the first argument is CMD's, flags included.
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().BoolVar(&o.login, "login", false, "log in first when there is no usable token (the saved organization and method)")
	cmd.Flags().BoolVar(&o.noVerify, "no-verify", false, "do not ask the organization whether the token still works")
	timeoutFlag(cmd.Flags(), &o.timeout, 30*time.Second, "give up on the token check after this long")
	return cmd
}

// childExit carries the program's exit status to Run, which exits with it
// and prints nothing: the program has said what it had to say.
type childExit struct{ code int }

func (e *childExit) Error() string { return fmt.Sprintf("the command exited with status %d", e.code) }

func (a *app) runRun(ctx context.Context, o *runOptions, args []string) error {
	st, name, err := a.profileStore()
	if err != nil {
		return err
	}
	deps := runuc.Deps{Profiles: a.profiles(st), Client: a.client}
	in := runuc.Input{Profile: name, Verify: !o.noVerify, Timeout: o.timeout}
	ready, err := deps.Prepare(ctx, in)
	var needs *runuc.NeedsLoginError
	if errors.As(err, &needs) {
		if !o.login {
			return needsLogin(needs, name)
		}
		if err := a.loginForRun(ctx, st, name, needs); err != nil {
			return err
		}
		in.Verify = false // the login verified it
		ready, err = deps.Prepare(ctx, in)
	}
	if err != nil {
		return err
	}

	vars := runuc.Variables(credentialVars(ready.Credential.Host, ready.Credential.Token.Reveal(), ready.Profile.Name))
	if e, ok := lastSDKEntry(ready.Profile); ok {
		vars = append(vars, [2]string{EnvProfilesFile, e.Path}, [2]string{EnvSDKProfile, e.Name})
	}
	var base []string
	if a.env.Environ != nil {
		base = a.env.Environ()
	}
	sigs := make(chan os.Signal, 4)
	if a.env.NotifySignals != nil {
		stop := a.env.NotifySignals(sigs)
		defer stop()
	}
	exit, err := runuc.Exec(runuc.Command{
		Name: args[0], Args: args[1:],
		Env:   runuc.Environ(base, vars, runtime.GOOS == "windows"),
		Stdin: a.env.Stdin, Stdout: a.env.Stdout, Stderr: a.env.Stderr,
		Signals: sigs,
	})
	if err != nil {
		return err
	}
	if exit.Code != 0 {
		return &childExit{code: exit.Code}
	}
	return nil
}

// needsLogin is the refusal without --login: what is wrong, and the two
// ways on.
func needsLogin(needs *runuc.NeedsLoginError, name string) error {
	hint := failure.HintOf(needs.Err)
	if hint != "" {
		hint += "; "
	}
	hint += "or let gdlogin run log in first: gdlogin run" + profile.Flag(name) + " --login -- CMD"
	return &failure.Error{Kind: failure.Auth, Err: needs.Err, Advice: hint}
}

// loginForRun logs in again as gdlogin login --profile NAME would, with
// the saved organization and method. stdout stays the program's: the
// login prints nothing there.
func (a *app) loginForRun(ctx context.Context, st *store.Store, name string, needs *runuc.NeedsLoginError) error {
	if _, err := st.Get(name); err != nil {
		// Nothing says which organization: the user must name it once.
		return &failure.Error{Kind: failure.Auth, Err: needs.Err,
			Advice: fmt.Sprintf("--login renews a saved profile; log in once with the organization's address: gdlogin login ORG_URL%s", profile.Flag(name))}
	}
	a.say("%s; logging in again.", termtext.Clean(needs.Err.Error()))
	o := &loginOptions{method: methodBrowser, timeout: 5 * time.Minute, output: outNone, keepStdout: true, autoRemote: true}
	return a.runLogin(ctx, o, "", false)
}

// lastSDKEntry is the profiles-form entry most recently written for p.
func lastSDKEntry(p store.Profile) (store.SDKEntry, bool) {
	for i := len(p.SDKProfiles) - 1; i >= 0; i-- {
		if e := p.SDKProfiles[i]; e.TokenEnv != "" {
			return e, true
		}
	}
	return store.SDKEntry{}, false
}

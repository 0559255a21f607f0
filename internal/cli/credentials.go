package cli

// Saved credentials: where the store lives, and the words around saving a
// login into a profile and reading it back (package profile does both).
// The commands that use them (token, env, status, logout, tokens, rotate,
// write-sdk-profile) live in their own files.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
	"github.com/gdlogin/gdlogin/internal/usecase/replace"
)

// EnvConfigDir names the environment variable that replaces the user config
// directory: profiles then live in $GDLOGIN_CONFIG_DIR/gdlogin/config.yaml.
// It isolates test runs and CI jobs from the user's own profiles.
const EnvConfigDir = "GDLOGIN_CONFIG_DIR"

// keyringHook, when set, chooses the keyring (and the keyring timeout; zero
// means the store's default) of the store in configDir. It is nil in
// production, where the OS keyring is used. Tests set it once, before any
// command runs, so that no test touches the developer's keyring and each
// can pick a present, absent or hanging one.
var keyringHook func(configDir string) (store.Keyring, time.Duration)

// credentialCommands are the commands that use saved profiles.
func (a *app) credentialCommands() []*cobra.Command {
	return []*cobra.Command{
		a.tokenCommand(),
		a.envCommand(),
		a.statusCommand(),
		a.logoutCommand(),
		a.tokensCommand(),
		a.rotateCommand(),
		a.writeSDKProfileCommand(),
		a.forgetInstallationCommand(),
		environmentTopic(),
	}
}

// openStore opens the profile store chosen by GDLOGIN_CONFIG_DIR (else the
// user config directory) and --store. Store warnings (the keyring fallback)
// go to stderr even with --quiet: they say where a secret went.
func (a *app) openStore() (*store.Store, error) {
	mode, err := store.ParseMode(a.storeMode)
	if err != nil {
		return nil, &failure.Error{Kind: failure.Usage, Err: fmt.Errorf("--store: %w", err)}
	}
	dir := a.env.Getenv(EnvConfigDir)
	opts := store.Options{ConfigDir: dir, Mode: mode, Warn: a.env.Stderr, Now: a.env.Now}
	if keyringHook != nil {
		opts.Keyring, opts.KeyringTimeout = keyringHook(dir)
	}
	st, err := store.Open(opts)
	if err != nil {
		return nil, failure.Wrap(failure.Other, err, "set "+EnvConfigDir+" to a directory gdlogin may write to")
	}
	return st, nil
}

// profileName is the profile this run uses: --profile, else
// GDLOGIN_PROFILE, else "default".
func (a *app) profileName() (string, error) {
	name, err := store.ResolveName(a.profile, a.env.Getenv)
	if err != nil {
		return "", &failure.Error{Kind: failure.Usage, Err: err}
	}
	return name, nil
}

// profileStore opens the store and names the profile this run uses.
func (a *app) profileStore() (*store.Store, string, error) {
	name, err := a.profileName()
	if err != nil {
		return nil, "", err
	}
	st, err := a.openStore()
	return st, name, err
}

// profiles is the profile use cases' dependencies for store st, on the
// HTTP client for --ca-cert.
func (a *app) profiles(st *store.Store) profile.Deps {
	ca, _ := a.flagCA() // a --ca-cert error surfaces at the first API call
	return a.profilesFor(st, ca)
}

// profilesFor is the profile use cases' dependencies for store st, on the
// HTTP client for ca (an ID token's renewal reaches the identity provider).
func (a *app) profilesFor(st *store.Store, ca caChoice) profile.Deps {
	hc, _ := a.httpClientFor(ca) // a CA file error surfaces at the first API call
	return profile.Deps{
		Store:        st,
		HTTPClient:   hc,
		ClientSecret: strings.TrimSpace(a.env.Getenv(EnvOIDCClientSecret)),
		Events: func(ev profile.Event) {
			if ev.Kind == profile.RenewedNotSaved {
				a.warn("renewed the ID token of profile %q but could not save it (%v); the next command may need a new login", ev.Profile, ev.Err)
			}
		},
	}
}

// saveCredential saves a verified login into the profile this run uses,
// if no other gdlogin saved it since the login read it (seen), retires
// the token it replaces (unless keepOld), and says on stderr where the
// secret went and what became of the old token. The login command calls
// it after verification.
func (a *app) saveCredential(ctx context.Context, cred credential.Credential, seen store.Revision, keepOld bool) (store.Profile, error) {
	st, name, err := a.profileStore()
	if err != nil {
		return store.Profile{}, err
	}
	ca, _ := a.flagCA() // the login's own CA: it already reached the organization
	if cred.CACert != "" {
		ca = caChoice{file: cred.CACert, profile: name}
	}
	deps := replace.Deps{Profiles: a.profilesFor(st, ca), Client: a.clientFor(ca),
		ClientOf: func(p store.Profile, token string) (*gooddata.Client, error) {
			return a.clientFor(caChoice{file: p.CACert, profile: p.Name})(p.Host, token)
		}}
	res, err := deps.Save(ctx, replace.Input{Profile: name, Cred: cred, Seen: seen, KeepOld: keepOld})
	if err != nil {
		return store.Profile{}, err
	}
	a.say("Saved as profile %q (%s).", res.Saved.Name, secretPlace(st, res.Saved))
	a.sayRetired(res)
	return res.Saved, nil
}

// sayRetired tells what became of the token a saved login replaced.
func (a *app) sayRetired(res replace.Result) {
	old := res.Replaced
	if old == nil {
		return
	}
	what := fmt.Sprintf("API token %q", old.TokenID)
	if old.Host != res.Saved.Host || old.UserID != res.Saved.UserID {
		what = fmt.Sprintf("the login of %s on %s (API token %q)", old.UserID, old.Host, old.TokenID)
	}
	switch res.Old {
	case replace.Deleted:
		a.say("It replaces %s, now deleted on the server.", what)
	case replace.AlreadyGone:
		a.say("It replaces %s, which was already deleted on the server (or no longer worked).", what)
	case replace.KeptOld:
		a.say("It replaces %s, which still works (--keep-old); delete it when done with it: %s", what, res.DeleteHint())
	case replace.NotMinted:
		a.say("It replaces %s, which still works: this login keeps the ID token and created no API token, so it deleted none; delete it when done with it: %s", what, res.DeleteHint())
	case replace.StillHeld:
		a.say("It replaces %s, which stays: profile %s still uses it.", what, strings.Join(res.HeldBy, ", "))
	case replace.NotDeleted:
		a.warn("the login is saved, but it replaces %s, which could not be deleted on the server (%v); it still works until you delete it: %s", what, res.Err, res.DeleteHint())
	}
}

// savedCredential loads the profile this run uses and its usable token.
// A missing profile is an error with exit code 3 (ExitAuth: log in first)
// and the hint to run gdlogin login.
func (a *app) savedCredential(ctx context.Context) (credential.Credential, store.Profile, error) {
	st, name, err := a.profileStore()
	if err != nil {
		return credential.Credential{}, store.Profile{}, err
	}
	ca, err := a.caOf(st, name)
	if err != nil {
		return credential.Credential{}, store.Profile{}, err
	}
	return a.profilesFor(st, ca).Load(ctx, name)
}

// secretPlace says where a saved profile's secret lives, for humans.
func secretPlace(st *store.Store, p store.Profile) string {
	if p.SecretStore == store.LocationKeyring {
		return "token in the OS keyring"
	}
	return "token in a 0600 file under " + st.Dir()
}

// storeError gives a store failure its exit code and a hint
// (profile.StoreFailure).
func (a *app) storeError(err error, name string) error {
	return profile.StoreFailure(err, name, "")
}

const environmentLong = `gdlogin reads these environment variables:

  GDLOGIN_PROFILE     the saved profile to use when --profile is not given
                      (default "default")
  GDLOGIN_CONFIG_DIR  replaces the user config directory: profiles are saved
                      in $GDLOGIN_CONFIG_DIR/gdlogin/config.yaml instead of
                      <user config dir>/gdlogin/config.yaml (on Linux
                      ~/.config/gdlogin). Useful for CI jobs and tests.
  GDC_API_TOKEN       an existing token for gdlogin login --method token
  GOODDATA_TOKEN      the same, read after GDC_API_TOKEN
  SHELL               gdlogin env writes fish syntax when it ends in fish
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY
                      the proxy used to reach the organization

gdlogin env and gdlogin login --output env export, and gdlogin run sets for
its program, GOODDATA_HOST, GOODDATA_TOKEN, GOODDATA_API_TOKEN and
GDC_API_TOKEN for the tools that read them (gooddata-dbt, the VS Code
extension, GoodData.CN's tools), and the profile's own GDLOGIN_TOKEN_<P>
(GDLOGIN_TOKEN_STAGING for profile staging), which its entry in the GoodData
Python SDK's profiles.yaml reads (see gdlogin write-sdk-profile --help for how
the name is made). gdlogin run also sets GOODDATA_PROFILES_FILE and
GDLOGIN_SDK_PROFILE to the profiles.yaml and entry gdlogin last wrote for the
profile.`

// completeProfiles completes --profile with the saved profile names.
func (a *app) completeProfiles(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	st, err := a.openStore()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	profiles, err := st.List()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := make([]string, 0, len(profiles))
	for _, p := range profiles {
		names = append(names, p.Name+"\t"+p.Host)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// environmentTopic is `gdlogin help environment`.
func environmentTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "environment",
		Short: "Environment variables gdlogin reads",
		Long:  environmentLong,
	}
}

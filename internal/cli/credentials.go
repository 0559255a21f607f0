package cli

// Saved credentials: where the store lives, how a login is saved into a
// profile and read back, and how store failures become messages and exit
// codes. The commands that use them (token, env, status, logout, tokens,
// rotate, write-sdk-profile) live in their own files.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/store"
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
		return nil, &userError{code: ExitUsage, err: fmt.Errorf("--store: %w", err)}
	}
	dir := a.env.Getenv(EnvConfigDir)
	opts := store.Options{ConfigDir: dir, Mode: mode, Warn: a.env.Stderr, Now: a.env.Now}
	if keyringHook != nil {
		opts.Keyring, opts.KeyringTimeout = keyringHook(dir)
	}
	st, err := store.Open(opts)
	if err != nil {
		return nil, withHint(ExitError, err, "set "+EnvConfigDir+" to a directory gdlogin may write to")
	}
	return st, nil
}

// profileName is the profile this run uses: --profile, else
// GDLOGIN_PROFILE, else "default".
func (a *app) profileName() (string, error) {
	name, err := store.ResolveName(a.profile, a.env.Getenv)
	if err != nil {
		return "", &userError{code: ExitUsage, err: err}
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

// saveCredential saves a verified login into the profile this run uses,
// replacing what it held only once the new secret is safely stored, and
// says on stderr where the secret went. The login command calls it after
// verification.
func (a *app) saveCredential(ctx context.Context, cred credential) (store.Profile, error) {
	st, name, err := a.profileStore()
	if err != nil {
		return store.Profile{}, err
	}
	p := store.Profile{
		Name:             name,
		Host:             cred.Host,
		UserID:           cred.Profile.UserID,
		OrganizationID:   cred.Profile.OrganizationID,
		OrganizationName: cred.Profile.OrganizationName,
		TokenID:          cred.TokenID,
		CreatedAt:        cred.CreatedAt,
		Method:           store.Method(cred.Method),
	}
	secret := store.Secret{Token: cred.Token.Reveal()}
	if oc := cred.OIDC; oc != nil {
		p.OIDC = &store.OIDCSettings{Issuer: oc.Issuer, ClientID: oc.ClientID, Scopes: oc.Scopes}
		if oc.KeepJWT {
			// Token is the ID token too: it is the bearer until it expires.
			secret.IDToken, secret.IDTokenExpiry, secret.RefreshToken = cred.Token.Reveal(), oc.IDTokenExpiry, oc.RefreshToken.Reveal()
		}
	}
	prev, prevErr := st.Get(name) // only for the note below
	saved, err := st.Save(ctx, p, secret)
	if err != nil {
		return store.Profile{}, a.storeError(err, name)
	}
	a.say("Saved as profile %q (%s).", saved.Name, secretPlace(st, saved))
	if prevErr == nil && prev.TokenID != "" && (prev.TokenID != saved.TokenID || prev.Host != saved.Host) {
		switch {
		case prev.Host == saved.Host && prev.UserID == saved.UserID:
			a.say("It replaces API token %q, which still works on the server; delete it with: gdlogin tokens delete%s %s",
				prev.TokenID, profileFlag(name), prev.TokenID)
		default:
			a.say("It replaces the login of %s on %s (API token %q, which still works there).", prev.UserID, prev.Host, prev.TokenID)
		}
	}
	return saved, nil
}

// savedCredential loads the profile this run uses and its usable token.
// A missing profile is an error with exit code 3 (ExitAuth: log in first)
// and the hint to run gdlogin login.
func (a *app) savedCredential(ctx context.Context) (credential, store.Profile, error) {
	name, err := a.profileName()
	if err != nil {
		return credential{}, store.Profile{}, err
	}
	st, err := a.openStore()
	if err != nil {
		return credential{}, store.Profile{}, err
	}
	return a.loadCredential(ctx, st, name)
}

// loadCredential is savedCredential with an open store and a chosen name.
func (a *app) loadCredential(ctx context.Context, st *store.Store, name string) (credential, store.Profile, error) {
	p, err := st.Get(name)
	if err != nil {
		return credential{}, store.Profile{}, a.storeError(err, name)
	}
	tok, err := a.usableToken(ctx, st, p)
	if err != nil {
		return credential{}, p, err
	}
	return credentialOf(p, tok), p, nil
}

// usableToken returns the bearer that works for profile p now. Today that
// is the saved API token; an oidc profile saved with --keep-jwt will
// refresh its ID token here when it has expired, so every command that
// calls the API gets a usable bearer from this one place.
func (a *app) usableToken(ctx context.Context, st *store.Store, p store.Profile) (gooddata.Secret, error) {
	sec, err := st.Secret(ctx, p.Name)
	if err != nil {
		return "", a.storeErrorAt(err, p.Name, p.Host)
	}
	if p.Method == store.MethodOIDC && sec.IDToken != "" {
		// oidc --keep-jwt: renewed with the refresh token when it is about
		// to expire; never an expired ID token (login_oidc.go).
		return a.keptJWT(ctx, st, p, sec)
	}
	return gooddata.Secret(sec.Token), nil
}

// credentialOf turns a saved profile and its token back into a credential.
func credentialOf(p store.Profile, tok gooddata.Secret) credential {
	return credential{
		Host: p.Host,
		Profile: gooddata.Profile{
			UserID:           p.UserID,
			OrganizationID:   p.OrganizationID,
			OrganizationName: p.OrganizationName,
		},
		TokenID:   p.TokenID,
		Token:     tok,
		Method:    string(p.Method),
		CreatedAt: p.CreatedAt,
	}
}

// secretPlace says where a saved profile's secret lives, for humans.
func secretPlace(st *store.Store, p store.Profile) string {
	if p.SecretStore == store.LocationKeyring {
		return "token in the OS keyring"
	}
	return "token in a 0600 file under " + st.Dir()
}

// profileFlag is " --profile NAME" when the profile is not the default, for
// commands quoted in hints.
func profileFlag(name string) string {
	if name == store.DefaultProfile {
		return ""
	}
	return " --profile " + name
}

// loginHint is the command that (re)creates profile name.
func loginHint(name, host string) string {
	if host == "" {
		host = "ORG_URL"
	}
	return "gdlogin login " + host + profileFlag(name)
}

// storeError gives a store failure its exit code and a hint. Exit codes:
// 3 (ExitAuth) when there is nothing to authenticate with (no such
// profile, its secret is gone), 2 for a bad profile name or --store, 1 for
// everything else (a corrupt or unsafe file, an unusable keyring, a lock
// held too long, a concurrent change).
func (a *app) storeError(err error, name string) error {
	return a.storeErrorAt(err, name, "")
}

// storeErrorAt is storeError for a profile whose host is known, so that
// hints can quote the whole login command.
func (a *app) storeErrorAt(err error, name, host string) error {
	var ue *userError
	if errors.As(err, &ue) {
		return err
	}
	var corrupt *store.CorruptFileError
	var insecure *store.InsecurePermissionsError
	var required *store.KeyringRequiredError
	var lock *store.LockTimeoutError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, store.ErrProfileNotFound):
		msg := fmt.Sprintf("not logged in: there is no profile %q", name)
		if name == store.DefaultProfile {
			msg = "not logged in: there is no saved profile \"default\""
		}
		return &userError{code: ExitAuth, err: err, msg: msg,
			hint: "log in first: " + loginHint(name, "") + " (gdlogin status lists the saved profiles)"}
	case errors.Is(err, store.ErrSecretNotFound):
		return &userError{code: ExitAuth, err: err,
			hint: "the saved token is gone (was the keyring reset?); log in again: " + loginHint(name, host)}
	case errors.Is(err, store.ErrInvalidName):
		return &userError{code: ExitUsage, err: err}
	case errors.As(err, &corrupt):
		return withHint(ExitError, err, "gdlogin never rewrites a file it cannot read; fix the line shown, or move the file away and log in again")
	case errors.As(err, &insecure):
		return withHint(ExitError, err, fmt.Sprintf("chmod 600 %q, then consider gdlogin rotate%s", insecure.Path, profileFlag(name)))
	case errors.As(err, &required):
		return withHint(ExitError, err, "unlock or start the OS keyring, or pass --store file (a 0600 file) or --store auto")
	case errors.As(err, &lock):
		return withHint(ExitError, err, "wait for the other gdlogin to finish, then try again")
	case errors.Is(err, store.ErrConflict):
		return withHint(ExitError, err, "another gdlogin changed the profile meanwhile; check it with gdlogin status")
	case errors.Is(err, store.ErrKeyringUnavailable):
		return withHint(ExitError, err, "unlock the OS keyring (e.g. start gnome-keyring on Linux) and try again, or log in again with --store file")
	}
	return &userError{code: ExitError, err: err}
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

gdlogin env and gdlogin login --output env set GOODDATA_HOST, GOODDATA_TOKEN and
GOODDATA_API_TOKEN for the tools that read them (the GoodData Python SDK
through profiles.yaml, gooddata-dbt, the VS Code extension).`

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

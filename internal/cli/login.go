package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/internal/usecase/login"
	"github.com/gdlogin/gdlogin/internal/usecase/replace"
)

// Login methods.
const (
	methodBrowser = credential.MethodBrowser
	methodToken   = credential.MethodToken
	methodOIDC    = credential.MethodOIDC
)

var loginMethods = []string{methodBrowser, methodToken, methodOIDC}

type loginOptions struct {
	method    string
	withToken bool
	tokenID   string
	user      string
	output    string
	timeout   time.Duration
	allowHTTP bool
	// existingToken and existingSource, when set, replace the token
	// method's lookup (the demo passes the emulator's bootstrap token).
	existingToken, existingSource string
	// browser method
	remote         bool // paste mode
	autoRemote     bool // paste mode may be chosen for the user (SSH without a display)
	port           int
	noBrowser      bool
	browserCommand string
	// startPage opens the start page even when the bookmark worked for
	// this profile last time. bookmarkKnown is when it did; bookmark is
	// the same when gdlogin opens the organization directly, else zero
	// (login_bookmark.go).
	startPage               bool
	bookmarkKnown, bookmark time.Time
	// ephemeralInstallation signs the pairing with a one-time key instead
	// of the saved installation key (the demo).
	ephemeralInstallation bool
	// keepStdout leaves stdout open after the login (demo --keep goes on
	// after it).
	keepStdout bool
	// oidc method (login_oidc.go)
	oidc oidcOptions
	// saving
	noSave bool
	// keepOld leaves alive the API token that the login replaces.
	keepOld bool
	// seen is the profile as the login found it when it started; the save
	// goes through only if no other gdlogin saved it meanwhile.
	seen       store.Revision
	writeSDK   bool
	sdkProfile string
	sdkFile    string
	// org is the organization origin, once validated.
	org string
	// saved is the profile named by --profile when ORG_URL was left out:
	// its host, method and OIDC settings are the defaults of this login.
	saved *store.Profile
	// ca is the CA file this login trusts and saves (cacert.go).
	ca caChoice
}

const loginLong = `Log in to a GoodData organization and get a new API token.

ORG_URL is the address you open in the browser, e.g. https://analytics.example.com.
It must use https, except for a GoodData.CN running on this machine.

With --method browser (the default), gdlogin serves a page on 127.0.0.1 and
opens it in your browser. You sign in to the organization as usual, then click
the gdlogin bookmark (or paste a console snippet) on the organization's tab: a
script there creates the token with your session and hands it back encrypted.
gdlogin prints the page's address too; --no-browser only prints it.

Once the bookmark has worked for a profile, the next browser login of that
profile opens the organization's tab directly, and the bookmark there is the one
thing to click. gdlogin still prints the start page's address ("If you have no
gdlogin bookmark, open …"); --start-page opens the start page instead. A login
whose token came from the console snippet, or that opened the organization and
timed out, makes the next one open the start page again.

With --method oidc, for organizations whose admin registered the identity
provider's signing key with GoodData, gdlogin signs you in at the identity
provider (--issuer, --client-id) with a standard loopback login (authorization
code, PKCE, state, nonce), verifies the ID token, and creates the API token
with it; --keep-jwt keeps the ID token and a refresh token instead. A
confidential client's secret comes from GDLOGIN_OIDC_CLIENT_SECRET or, with
--client-secret-stdin, from stdin.

With --method token, an existing token creates the new one. gdlogin reads it,
in this order, from stdin (--with-token), GDC_API_TOKEN, or GOODDATA_TOKEN, and
says which one it used. It never takes a token as an argument: arguments are
visible to every user of the machine in the process list.

With --ca-cert FILE, for an organization whose certificate a private
(corporate) certificate authority signed, gdlogin trusts FILE on top of the
system's authorities and saves its absolute path with the profile, once the
login is verified: status, tokens, rotate, logout, env and write-sdk-profile
(ssl_ca_cert) use it without the flag, and so does a login again to the same
organization. --ca-cert FILE on a later login replaces it, --ca-cert ''
drops it; on any other command --ca-cert overrides it for that run.

The new token is verified with the organization before gdlogin reports
success. stdout carries only what --output asks for; everything else goes to
stderr.`

const loginExample = `  # Sign in through the browser (single sign-on) and print the new token
  gdlogin login https://analytics.example.com

  # Create a token for yourself from an existing one, print it
  gdlogin login https://analytics.example.com --method token --with-token < old-token.txt

  # An admin creates a token for john.doe with the bootstrap token
  GDC_API_TOKEN=… gdlogin login https://analytics.example.com --method token --user john.doe

  # Sign in at the identity provider whose key the organization accepts
  gdlogin login https://analytics.example.com --method oidc --issuer https://login.example.com/realms/example --client-id gdlogin

  # On a machine no browser can reach (SSH): copy and paste instead
  gdlogin login https://analytics.example.com --remote`

func (a *app) loginCommand() *cobra.Command {
	o := &loginOptions{}
	cmd := &cobra.Command{
		Use:     "login [ORG_URL]",
		Short:   "Log in to an organization and get a verified API token",
		Long:    loginLong,
		Example: loginExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return failure.Usagef("login takes one organization URL (got %d arguments); see gdlogin login --help", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			orgArg := ""
			if len(args) == 1 {
				orgArg = args[0]
			}
			f := cmd.Flags()
			o.oidc.keepJWTSet = f.Changed("keep-jwt")
			o.autoRemote = !f.Changed("remote") && !f.Changed("port") && !f.Changed("no-browser") && !f.Changed("browser-command")
			return a.runLogin(cmd.Context(), o, orgArg, f.Changed("method"))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.method, "method", methodBrowser, "how to log in: "+strings.Join(loginMethods, ", "))
	f.BoolVar(&o.withToken, "with-token", false, "read the existing token from stdin (method token)")
	f.StringVar(&o.tokenID, "token-id", "", "id of the new API token (default gdlogin-<host>-<UTC time>)")
	f.StringVar(&o.user, "user", "", "create the token for this user `ID` (admins); with other methods, require that the token belongs to ID")
	f.StringVarP(&o.output, "output", "o", "", "what to print on stdout: "+strings.Join(outputModes, ", ")+" (default: none when the token is saved, else token)")
	f.BoolVar(&o.noSave, "no-save", false, "do not save the token in a profile (it is printed instead)")
	f.BoolVar(&o.keepOld, "keep-old", false, "do not delete the API token that the saved profile held before (by default a re-login deletes it on the server once the new one is saved)")
	f.BoolVar(&o.writeSDK, "write-sdk-profile", false, "also write the profile into ~/.gooddata/profiles.yaml for GoodData's Python SDK and gooddata-dbt")
	f.StringVar(&o.sdkProfile, "sdk-profile", "", "profile `NAME` in profiles.yaml (default: the gdlogin profile's name)")
	f.StringVar(&o.sdkFile, "sdk-file", "", "profiles.yaml `PATH` (default ~/.gooddata/profiles.yaml)")
	timeoutFlag(f, &o.timeout, 5*time.Minute, "give up after this long")
	f.IntVar(&o.port, "port", 0, "loopback port for the browser and oidc methods (default: a free one; oidc: for identity providers that register an exact redirect URI)")
	f.BoolVar(&o.noBrowser, "no-browser", false, "do not open a browser; only print the page's address")
	f.BoolVar(&o.startPage, "start-page", false, "open gdlogin's start page, even for a profile whose bookmark worked last time (gdlogin then opens the organization directly)")
	f.BoolVar(&o.remote, "remote", false, "paste mode, for machines no browser can reach (SSH): the token comes back by copy and paste; on by default over SSH without a display (--remote=false to turn it off)")
	f.StringVar(&o.browserCommand, "browser-command", "", "open the page with this `COMMAND` (the URL replaces %s, or is appended) instead of $BROWSER or the system's opener")
	addOIDCFlags(f, &o.oidc)
	f.BoolVar(&o.allowHTTP, "allow-insecure-http", false, "accept a plain-http organization on another host with --method token or oidc (the token crosses the network in clear)")
	_ = cmd.RegisterFlagCompletionFunc("method", cobra.FixedCompletions(loginMethods, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputModes, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) runLogin(ctx context.Context, o *loginOptions, orgArg string, methodChosen bool) error {
	if orgArg == "" {
		p, err := a.savedProfileForLogin()
		if err != nil {
			return err
		}
		o.saved, orgArg = &p, p.Host
		if !methodChosen && p.Method != "" {
			o.method = string(p.Method)
		}
		a.say("Logging in again as profile %q: %s with the %s method.", p.Name, p.Host, o.method)
	}
	if err := oneOf("method", o.method, loginMethods...); err != nil {
		return err
	}
	if o.output != "" {
		if err := oneOf("output", o.output, outputModes...); err != nil {
			return err
		}
	}
	if o.noSave && o.writeSDK {
		return failure.Usagef("--write-sdk-profile needs the saved profile; leave out --no-save")
	}
	if o.noSave && o.keepOld {
		return failure.Usagef("--keep-old keeps the token that saving replaces, and --no-save replaces nothing; leave out one of them")
	}
	if o.tokenID != "" && !gooddata.ValidTokenID(o.tokenID) {
		return invalidTokenIDFlag(o.tokenID)
	}
	if o.withToken && o.method != methodToken {
		return failure.Usagef("--with-token only goes with --method token")
	}
	if o.method != methodOIDC && (o.oidc.issuer != "" || o.oidc.clientID != "" || o.oidc.scopes != "" || o.oidc.keepJWT || o.oidc.clientSecretStdin) {
		return failure.Usagef("--issuer, --client-id, --scopes, --keep-jwt and --client-secret-stdin only go with --method oidc")
	}
	if o.port < 0 || o.port > 65535 {
		return failure.Usagef("--port must be between 1 and 65535 (got %d)", o.port)
	}
	if o.autoRemote && o.method == methodBrowser {
		if ssh, why := sshWithoutDisplay(a.env.Getenv); ssh {
			o.remote = true
			a.say("Using paste mode: %s.", why)
			a.say("To use a browser on your own computer instead, forward a port: ssh -L 8085:127.0.0.1:8085 this-host,\nthen run gdlogin login ORG --port 8085 --no-browser here and open the printed address there (or --remote=false).\n")
		}
	}
	if o.remote && o.method != methodBrowser {
		if o.method == methodToken {
			o.remote = false // paste mode belongs to the browser handoff; the token method needs no browser
		} else {
			return failure.Usagef("--remote goes with the browser method")
		}
	}
	org, err := gooddata.ParseOrgURL(orgArg)
	if err != nil {
		return &failure.Error{Kind: failure.Usage, Err: err}
	}
	if err := checkPlainHTTP(org, o); err != nil {
		return err
	}
	for _, w := range org.Warnings {
		a.warn("%s", w)
	}
	return a.login(ctx, org.Origin, o)
}

// login runs the chosen method against a validated organization origin,
// within --timeout, and reports the outcome: the output on stdout and the
// summary on stderr as soon as the credential is committed, then the
// loopback pages get their moment to show it and the server closes.
func (a *app) login(ctx context.Context, org string, o *loginOptions) error {
	o.org = org
	if err := a.chooseLoginCA(o); err != nil {
		return err
	}
	if !o.noSave {
		st, name, err := a.profileStore()
		if err != nil {
			return err
		}
		if o.seen, err = st.Revision(name); err != nil {
			return a.storeError(err, name)
		}
	}
	in := login.Input{
		Org: org, Method: o.method, Timeout: o.timeout, User: o.user, TokenID: o.tokenID,
		Port: o.port, Remote: o.remote,
	}
	switch {
	case o.method == methodToken:
		in.Existing, in.ExistingSource = o.existingToken, o.existingSource
		if in.Existing == "" {
			var err error
			in.Existing, in.ExistingSource, err = a.existingToken(ctx, org, o.withToken)
			if err != nil {
				return err
			}
		}
	case o.method == methodOIDC:
		oi, err := a.oidcInput(org, o)
		if err != nil {
			return err
		}
		in.OIDC = oi
	default:
		if o.remote {
			in.Envelopes = a.envelopeLines
		}
		key, err := a.installationKey(ctx, o.ephemeralInstallation)
		if err != nil {
			return err
		}
		in.Installation = key
		a.decideBookmark(o)
	}
	hc, err := a.httpClientFor(o.ca)
	if err != nil {
		return err
	}
	progress := a.loginProgress(o)
	deps := login.Deps{
		Now:        a.env.Now,
		NewTokenID: a.defaultTokenID,
		Client:     a.clientFor(o.ca),
		HTTPClient: hc,
		Events:     progress.event,
	}
	cred, pages, err := deps.Run(ctx, in)
	progress.stop()
	defer pages.Close()
	if err != nil {
		a.forgetBookmarkAfterTimeout(ctx, o, err)
		return err
	}
	cred.CACert = o.ca.file
	err = a.finishLogin(ctx, o, cred)
	// Everything for stdout is written: close it, so that a shell's $(…)
	// capture returns now, while the loopback pages get their moment to
	// show the outcome (pages.Close, deferred).
	if a.env.CloseStdout != nil && !o.keepStdout {
		_ = a.env.CloseStdout()
	}
	return err
}

// finishLogin hands a verified credential to the user: the summary on
// stderr, the profile saved, and the output on stdout.
func (a *app) finishLogin(ctx context.Context, o *loginOptions, cred credential.Credential) error {
	a.say("%s", summary(cred, "Logged in to"))
	output := o.output
	var saveErr error
	savedName := ""
	if !o.noSave {
		var p store.Profile
		p, saveErr = a.saveCredential(ctx, cred, o.seen, o.keepOld)
		if saveErr == nil {
			a.sayBookmarkChange(o, cred)
		}
		savedName = p.Name
		if saveErr == nil && o.writeSDK {
			saveErr = a.writeSDKProfile(ctx, p, cred, o.sdkProfile, o.sdkFile)
		}
	}
	if replace.Unsaved(saveErr) {
		// Another gdlogin saved the profile first, and this login's token
		// is deleted again: there is nothing left to print.
		return saveErr
	}
	if output == "" {
		// A token is never lost: one that is not saved is printed.
		output = outNone
		if o.noSave || saveErr != nil {
			output = outToken
		}
	}
	saved := ""
	if !o.noSave && saveErr == nil {
		saved = savedName
	}
	if err := writeOutput(a.env.Stdout, output, cred, saved); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if saveErr != nil {
		if output == outNone {
			a.warn("the token was not printed (--output none)")
		} else {
			a.warn("the token was printed but not saved")
		}
		return saveErr
	}
	return nil
}

// invalidTokenIDFlag refuses a --token-id.
func invalidTokenIDFlag(id string) error {
	return failure.Usagef("--token-id %q is not a valid token id: use letters, digits, '.', '_' and '-' (not first '.'), up to 255 characters", id)
}

// savedProfileForLogin is the profile a login without ORG_URL renews.
func (a *app) savedProfileForLogin() (store.Profile, error) {
	st, name, err := a.profileStore()
	if err != nil {
		return store.Profile{}, err
	}
	p, err := st.Get(name)
	if err != nil {
		if errors.Is(err, store.ErrProfileNotFound) {
			return store.Profile{}, &failure.Error{Kind: failure.Usage, Err: err, Message: fmt.Sprintf("no organization URL given, and there is no saved profile %q to take it from", name),
				Advice: "pass the organization URL: gdlogin login https://analytics.example.com"}
		}
		return store.Profile{}, a.storeError(err, name)
	}
	return p, nil
}

// checkPlainHTTP refuses plain http to another computer. The browser method
// cannot work there at all (SPEC 3.9: WebCrypto exists only in secure
// contexts); the token method works, but only when the user accepts that
// tokens cross the network in clear.
func checkPlainHTTP(org gooddata.OrgURL, o *loginOptions) error {
	if !org.PlainHTTP || org.Loopback {
		return nil
	}
	if o.method == methodToken || o.method == methodOIDC {
		if o.allowHTTP {
			return nil
		}
		return &failure.Error{Kind: failure.Usage, Message: fmt.Sprintf("%s uses plain http on another computer: tokens would cross the network in clear", org.Origin),
			Advice: "use its https:// address; if there is none and you accept the risk, add --allow-insecure-http"}
	}
	return &failure.Error{Kind: failure.Usage, Message: fmt.Sprintf("%s uses plain http: browsers give the handoff's cryptography (WebCrypto) only to https pages and pages on this computer, so the %s method cannot work there", org.Origin, o.method),
		Advice: "use the organization's https:// address, or --method token or oidc (with --allow-insecure-http)"}
}

// maxTokenInput bounds what is read from stdin.
const maxTokenInput = 64 << 10

// existingToken finds the token that creates the new one, in the order of
// the spec: stdin with --with-token, GDC_API_TOKEN, GOODDATA_TOKEN, and the
// saved profile (when it is for the same organization).
func (a *app) existingToken(ctx context.Context, org string, withToken bool) (string, string, error) {
	if withToken {
		var tok string
		if a.env.StdinIsTerminal {
			s, err := a.env.ReadSecret("Paste the existing API token (input hidden): ")
			if err != nil {
				return "", "", fmt.Errorf("read token: %w", err)
			}
			tok = s
		} else {
			s, err := readLine(a.env.Stdin, maxTokenInput)
			if err != nil {
				return "", "", err
			}
			tok = s
		}
		return checkTokenShape(tok, "stdin")
	}
	for _, name := range []string{"GDC_API_TOKEN", "GOODDATA_TOKEN"} {
		if v := a.env.Getenv(name); v != "" {
			return checkTokenShape(v, name)
		}
	}
	if cred, p, err := a.savedCredential(ctx); err == nil && cred.Host == org && cred.Token.Reveal() != "" {
		return checkTokenShape(cred.Token.Reveal(), fmt.Sprintf("the saved profile %q", p.Name))
	}
	return "", "", &failure.Error{Kind: failure.Usage, Message: "no existing token to create the new one with",
		Advice: "pipe one in with --with-token (gdlogin login ORG --method token --with-token < file), set GDC_API_TOKEN or GOODDATA_TOKEN, or log in with the browser method"}
}

func readLine(r io.Reader, limit int) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, int64(limit)+1))
	data, err := io.ReadAll(br)
	if err != nil {
		return "", fmt.Errorf("read stdin: %w", err)
	}
	if len(data) > limit {
		return "", failure.Usagef("stdin holds more than %d bytes; expected one token", limit)
	}
	return string(data), nil
}

func checkTokenShape(tok, source string) (string, string, error) {
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", "", failure.Usagef("the token from %s is empty", source)
	}
	if strings.IndexFunc(tok, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r > unicode.MaxASCII }) >= 0 {
		return "", "", failure.Usagef("the token from %s contains spaces, line breaks or other characters no token has; pass exactly one token", source)
	}
	return tok, source, nil
}

func (a *app) defaultTokenID() string {
	host, err := a.env.Hostname()
	if err != nil {
		host = ""
	}
	return gooddata.DefaultTokenID(host, a.env.Now())
}

// client builds an API client on the HTTP client for --ca-cert.
func (a *app) client(org, token string) (*gooddata.Client, error) {
	ca, err := a.flagCA()
	if err != nil {
		return nil, err
	}
	return a.clientFor(ca)(org, token)
}

// httpClient is the run's HTTP client for --ca-cert.
func (a *app) httpClient() (*http.Client, error) {
	ca, err := a.flagCA()
	if err != nil {
		return nil, err
	}
	return a.httpClientFor(ca)
}

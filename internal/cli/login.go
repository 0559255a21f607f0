package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/gooddata"
)

// Login methods.
const (
	methodToken = "token"
)

var loginMethods = []string{methodToken}

type loginOptions struct {
	method    string
	withToken bool
	tokenID   string
	user      string
	output    string
	timeout   time.Duration
}

const loginLong = `Log in to a GoodData organization and get a new API token.

ORG_URL is the address you open in the browser, e.g. https://analytics.example.com.
It must use https, except for a GoodData.CN running on this machine.

With --method token, an existing token creates the new one. gdlogin reads it,
in this order, from stdin (--with-token), GDC_API_TOKEN, or GOODDATA_TOKEN, and
says which one it used. It never takes a token as an argument: arguments are
visible to every user of the machine in the process list.

The new token is verified with the organization before gdlogin reports
success. stdout carries only what --output asks for; everything else goes to
stderr.`

const loginExample = `  # Create a token for yourself from an existing one, print it
  gdlogin login https://analytics.example.com --method token --with-token < old-token.txt

  # An admin creates a token for john.doe with the bootstrap token
  GDC_API_TOKEN=… gdlogin login https://analytics.example.com --method token --user john.doe`

func (a *app) loginCommand() *cobra.Command {
	o := &loginOptions{}
	cmd := &cobra.Command{
		Use:     "login ORG_URL",
		Short:   "Log in to an organization and get a verified API token",
		Long:    loginLong,
		Example: loginExample,
		Args:    exactArgs(1, "the organization URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runLogin(cmd.Context(), o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.method, "method", methodToken, "how to log in: "+strings.Join(loginMethods, ", "))
	f.BoolVar(&o.withToken, "with-token", false, "read the existing token from stdin (method token)")
	f.StringVar(&o.tokenID, "token-id", "", "id of the new API token (default gdlogin-<host>-<UTC time>)")
	f.StringVar(&o.user, "user", "", "create the token for this user `ID` (admins); with other methods, require that the token belongs to ID")
	f.StringVarP(&o.output, "output", "o", outToken, "what to print on stdout: "+strings.Join(outputModes, ", "))
	f.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up after this long")
	_ = cmd.RegisterFlagCompletionFunc("method", cobra.FixedCompletions(loginMethods, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputModes, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) runLogin(ctx context.Context, o *loginOptions, orgArg string) error {
	if err := oneOf("method", o.method, loginMethods...); err != nil {
		return err
	}
	if err := oneOf("output", o.output, outputModes...); err != nil {
		return err
	}
	if o.timeout <= 0 {
		return usageErr("--timeout must be positive (got %s)", o.timeout)
	}
	if o.tokenID != "" && !gooddata.ValidTokenID(o.tokenID) {
		return usageErr("--token-id %q is not a valid token id: use letters, digits, '.', '_' and '-' (not first '.'), up to 255 characters", o.tokenID)
	}
	if o.withToken && o.method != methodToken {
		return usageErr("--with-token only goes with --method token")
	}
	org, err := gooddata.ParseOrgURL(orgArg)
	if err != nil {
		return &userError{code: ExitUsage, err: err}
	}
	for _, w := range org.Warnings {
		a.warn("%s", w)
	}

	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	var cred credential
	switch o.method {
	case methodToken:
		var existing, source string
		existing, source, err = a.existingToken(o.withToken)
		if err != nil {
			return err
		}
		cred, err = a.loginWithToken(ctx, org.Origin, existing, source, o)
	}
	return a.finishLogin(ctx, o, cred, err)
}

// finishLogin reports the outcome of a login: the output on stdout and a
// summary on stderr, or the error with a timeout made explicit.
func (a *app) finishLogin(ctx context.Context, o *loginOptions, cred credential, err error) error {
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return &userError{code: ExitTimeout, err: err, msg: fmt.Sprintf("gave up after %s: %v", o.timeout, err),
				hint: "the organization did not answer in time; check the URL and your network, or allow more time with --timeout"}
		}
		return err
	}
	if err := writeOutput(a.env.Stdout, o.output, cred); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	a.say("%s", summary(cred, "Logged in to"))
	return nil
}

// loginWithToken creates a new token with an existing one.
func (a *app) loginWithToken(ctx context.Context, org, existing, source string, o *loginOptions) (credential, error) {
	a.say("Using the existing token from %s.", source)
	client, err := a.client(org, existing)
	if err != nil {
		return credential{}, err
	}
	me, err := client.Profile(ctx)
	if err != nil {
		return credential{}, explainExistingToken(err, source)
	}
	target := me.UserID
	if o.user != "" && o.user != me.UserID {
		if !me.CanManage() {
			return credential{}, &userError{code: ExitAuth,
				msg:  fmt.Sprintf("the token from %s belongs to %s, who cannot create tokens for %s (that needs the MANAGE permission)", source, me.DisplayName(), o.user),
				hint: "use an admin's token, or the bootstrap token (GDC_API_TOKEN)"}
		}
		target = o.user
	} else if !me.CanCreateOwnToken() {
		return credential{}, &userError{code: ExitAuth,
			msg:  fmt.Sprintf("%s may not create API tokens: the SELF_CREATE_TOKEN permission is missing", me.DisplayName()),
			hint: "ask an organization admin to grant SELF_CREATE_TOKEN, or to create the token for you (gdlogin login --method token --user " + me.UserID + ")"}
	}
	tokenID := o.tokenID
	if tokenID == "" {
		tokenID = a.defaultTokenID()
	}
	created, err := client.CreateToken(ctx, target, tokenID)
	if err != nil {
		var ae *gooddata.APIError
		if errors.As(err, &ae) && ae.Kind == gooddata.KindNotFound && target != me.UserID {
			return credential{}, withHint(ExitUsage, err, fmt.Sprintf("is %q the id of a user of this organization?", target))
		}
		return credential{}, err
	}
	if created.ID != tokenID {
		a.say("Token id %q was taken; created %q instead.", tokenID, created.ID)
	}
	owner, err := a.verify(ctx, client, created)
	if err != nil {
		return credential{}, err
	}
	return credential{Host: org, Profile: *owner, TokenID: created.ID, Token: created.Bearer, Method: methodToken, CreatedAt: a.env.Now()}, nil
}

// verify asks the organization who the new token belongs to. A token that
// does not work, or works for somebody else, is deleted again (with the
// token that created it) and reported.
func (a *app) verify(ctx context.Context, creator *gooddata.Client, created *gooddata.CreatedToken) (*gooddata.Profile, error) {
	owner, err := creator.WithToken(created.Bearer.Reveal()).Profile(ctx)
	if err == nil && owner.UserID == created.UserID {
		return owner, nil
	}
	if err == nil {
		err = fmt.Errorf("verify the new token: it belongs to %s, not %s", owner.DisplayName(), created.UserID)
	} else {
		err = fmt.Errorf("verify the new token: %w", err)
	}
	if derr := creator.DeleteToken(ctx, created.UserID, created.ID); derr != nil {
		a.warn("could not delete the unverified token %q: %v", created.ID, derr)
	}
	return nil, err
}

func explainExistingToken(err error, source string) error {
	var ae *gooddata.APIError
	if errors.As(err, &ae) && (ae.Kind == gooddata.KindInvalidToken || ae.Kind == gooddata.KindNotLoggedIn) {
		return &userError{code: ExitAuth, err: err,
			msg:  fmt.Sprintf("the token from %s is not valid for this organization%s", source, traceSuffix(ae.TraceID)),
			hint: "it may have been deleted, or belong to another organization; check the URL and the token, or log in with the browser method"}
	}
	return err
}

func traceSuffix(id string) string {
	if id == "" {
		return ""
	}
	return " (trace id " + id + ")"
}

// maxTokenInput bounds what is read from stdin.
const maxTokenInput = 64 << 10

// existingToken finds the token that creates the new one, in the order of
// the spec: stdin with --with-token, GDC_API_TOKEN, GOODDATA_TOKEN.
func (a *app) existingToken(withToken bool) (string, string, error) {
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
	return "", "", &userError{code: ExitUsage, msg: "no existing token to create the new one with",
		hint: "pipe one in with --with-token (gdlogin login ORG --method token --with-token < file), or set GDC_API_TOKEN or GOODDATA_TOKEN"}
}

func readLine(r io.Reader, limit int) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, int64(limit)+1))
	data, err := io.ReadAll(br)
	if err != nil {
		return "", fmt.Errorf("read stdin: %w", err)
	}
	if len(data) > limit {
		return "", usageErr("stdin holds more than %d bytes; expected one token", limit)
	}
	return string(data), nil
}

func checkTokenShape(tok, source string) (string, string, error) {
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", "", usageErr("the token from %s is empty", source)
	}
	if strings.IndexFunc(tok, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r > unicode.MaxASCII }) >= 0 {
		return "", "", usageErr("the token from %s contains spaces, line breaks or other characters no token has; pass exactly one token", source)
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

// client builds an API client with gdlogin's transport settings.
func (a *app) client(org, token string) (*gooddata.Client, error) {
	hc, err := gooddata.NewHTTPClient(gooddata.HTTPConfig{CACertFile: a.caCert})
	if err != nil {
		return nil, &userError{code: ExitUsage, err: err}
	}
	opts := gooddata.Options{HTTPClient: hc, UserAgent: "gdlogin/" + Version()}
	if a.verbose {
		opts.Trace = func(ev gooddata.TraceEvent) {
			status := "no answer"
			if ev.Status != 0 {
				status = fmt.Sprint(ev.Status)
			}
			line := fmt.Sprintf("http: %s %s -> %s in %s", ev.Method, ev.URL, status, ev.Duration.Round(time.Millisecond))
			if ev.TraceID != "" {
				line += " (trace id " + ev.TraceID + ")"
			}
			fmt.Fprintln(a.env.Stderr, line)
		}
	}
	return gooddata.New(org, token, opts)
}

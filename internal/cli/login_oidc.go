package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/oidcflow"
	"github.com/gdlogin/gdlogin/internal/store"
)

// EnvOIDCClientSecret names the environment variable that holds the client
// secret of a confidential OIDC client. The secret is never an argument.
const EnvOIDCClientSecret = "GDLOGIN_OIDC_CLIENT_SECRET"

// oidcOptions are the flags of --method oidc.
type oidcOptions struct {
	issuer            string
	clientID          string
	scopes            string
	keepJWT           bool
	clientSecretStdin bool
}

func addOIDCFlags(f *pflag.FlagSet, o *oidcOptions) {
	f.StringVar(&o.issuer, "issuer", "", "issuer `URL` of the identity provider (method oidc), e.g. https://login.example.com/realms/example")
	f.StringVar(&o.clientID, "client-id", "", "client `ID` registered for gdlogin at the identity provider (method oidc)")
	f.StringVar(&o.scopes, "scopes", "", "scopes to ask the identity provider for, separated by spaces or commas; openid is always added (method oidc; default \""+strings.Join(oidcflow.DefaultScopes, " ")+"\")")
	f.BoolVar(&o.keepJWT, "keep-jwt", false, "keep the ID token (and a refresh token) as the credential instead of creating an API token (method oidc)")
	f.BoolVar(&o.clientSecretStdin, "client-secret-stdin", false, "read the client secret of a confidential client from stdin (method oidc; or set "+EnvOIDCClientSecret+")")
}

// oidcCredential is what an oidc login adds to its credential: the
// provider, for the profile, and with --keep-jwt the ID token's expiry and
// the refresh token, for the secret store (store.Profile.OIDC,
// store.Secret.IDToken/IDTokenExpiry/RefreshToken).
type oidcCredential struct {
	Issuer        string
	ClientID      string
	Scopes        []string // as asked for with --scopes (openid included; offline_access only if asked for)
	KeepJWT       bool
	IDTokenExpiry time.Time
	RefreshToken  gooddata.Secret
}

// loginWithOIDC runs the loopback OIDC login (SPEC 2.3) and returns the
// verified credential: a new API token created with the ID token, or, with
// --keep-jwt, the ID token itself.
func (a *app) loginWithOIDC(ctx context.Context, org string, o *loginOptions) (credential, error) {
	cred, oc, err := a.loginWithOIDCResult(ctx, org, o)
	if err != nil {
		return credential{}, err
	}
	cred.OIDC = oc
	return cred, nil
}

// loginWithOIDCResult is loginWithOIDC with the OIDC part of the result,
// which the profile store needs (see oidcCredential).
func (a *app) loginWithOIDCResult(ctx context.Context, org string, o *loginOptions) (credential, *oidcCredential, error) {
	oo := o.oidc
	if s := o.saved; s != nil && s.OIDC != nil {
		// Logging in again as a saved profile: its provider is the default.
		if oo.issuer == "" {
			oo.issuer = s.OIDC.Issuer
		}
		if oo.clientID == "" {
			oo.clientID = s.OIDC.ClientID
		}
		if oo.scopes == "" {
			oo.scopes = strings.Join(s.OIDC.Scopes, " ")
		}
	}
	if oo.issuer == "" || oo.clientID == "" {
		return credential{}, nil, &userError{code: ExitUsage, msg: "--method oidc needs --issuer URL and --client-id ID",
			hint: "ask the organization's admin which identity provider and client gdlogin uses, e.g. gdlogin login " + org + " --method oidc --issuer https://login.example.com --client-id gdlogin"}
	}
	if err := oidcflow.ValidateIssuer(oo.issuer); err != nil {
		return credential{}, nil, &userError{code: ExitUsage, err: fmt.Errorf("--issuer: %w", err)}
	}
	secret, err := a.oidcClientSecret(oo.clientSecretStdin)
	if err != nil {
		return credential{}, nil, err
	}
	hc, err := a.httpClient()
	if err != nil {
		return credential{}, nil, err
	}
	ln, err := listenLoopback(o.port)
	if err != nil {
		return credential{}, nil, err
	}

	var (
		flow      *oidcflow.Flow
		flowReady = make(chan struct{}) // closed once flow is set
		cred      credential
		result    = &oidcCredential{Issuer: oo.issuer, ClientID: oo.clientID, KeepJWT: oo.keepJWT}
	)
	// use runs when the identity provider's ID token is verified, before
	// the loopback page answers: the page then shows the real outcome.
	use := func(ctx context.Context, t *oidcflow.Tokens) (string, error) {
		select {
		case <-flowReady:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		c, err := a.oidcUse(ctx, org, o, flow, t)
		if err != nil {
			return "", withPageHint(err)
		}
		cred = c
		if oo.keepJWT {
			return fmt.Sprintf("Signed in to %s as %s. The terminal has the ID token.", orgLabelOf(c), c.Profile.DisplayName()), nil
		}
		return fmt.Sprintf("API token for %s created and verified with %s.", c.Profile.DisplayName(), orgLabelOf(c)), nil
	}
	start := a.env.Now()
	flow, err = oidcflow.Start(ctx, oidcflow.Config{
		Issuer:       oo.issuer,
		ClientID:     oo.clientID,
		ClientSecret: secret,
		Scopes:       oidcflow.ParseScopes(oo.scopes),
		Offline:      oo.keepJWT,
		HTTPClient:   hc,
		Listener:     ln,
		Use:          use,
		Events:       a.oidcProgress(start),
		// Now stays nil: the ID token's expiry is judged by the real
		// clock, as the organization judges it.
	})
	if err != nil {
		var de *oidcflow.DiscoveryError
		if errors.As(err, &de) {
			return credential{}, nil, &userError{code: ExitNetwork, err: err, hint: de.Hint()}
		}
		return credential{}, nil, err
	}
	close(flowReady)
	defer flow.Close()
	result.Scopes = oidcflow.EffectiveScopes(oidcflow.ParseScopes(oo.scopes), false)

	u := flow.StartURL()
	if o.noBrowser {
		a.say("Open this address in a browser on this computer to sign in with %s:\n\n    %s\n", oo.issuer, u)
	} else {
		a.say("Opening your identity provider in the browser. If it does not open, go to:\n\n    %s\n", u)
		if err := a.env.OpenBrowser(u, o.browserCommand); err != nil {
			a.warn("could not open a browser (%v); open the address above yourself", err)
		}
	}
	if a.verbose {
		a.say("The address redirects to %s", flow.AuthURL())
	}
	deadline, _ := ctx.Deadline()
	a.say("Waiting for you to sign in at %s (Ctrl-C to cancel, gives up at %s)…", oo.issuer, deadline.Local().Format("15:04:05"))

	stopSpinner := a.spin("waiting for the identity provider", a.env.Now())
	tokens, err := flow.Wait(ctx)
	stopSpinner()
	if err != nil {
		return credential{}, nil, a.oidcError(ctx, org, o, err)
	}
	if oo.keepJWT {
		result.IDTokenExpiry = tokens.Expiry
		result.RefreshToken = tokens.RefreshToken
		a.say("The ID token is valid until %s.", tokens.Expiry.Local().Format("2006-01-02 15:04:05"))
		if tokens.RefreshToken == "" {
			a.warn("the identity provider gave no refresh token (does the client allow offline_access?); log in again when the ID token expires")
		}
	}
	return cred, result, nil
}

// oidcUse checks the verified ID token with the organization and turns it
// into the credential: the ID token itself (--keep-jwt) or a new API token
// created with it, exactly as the token method creates one.
func (a *app) oidcUse(ctx context.Context, org string, o *loginOptions, flow *oidcflow.Flow, t *oidcflow.Tokens) (credential, error) {
	client, err := a.client(org, t.IDToken.Reveal())
	if err != nil {
		return credential{}, err
	}
	me, err := client.Profile(ctx)
	if err != nil {
		var ae *gooddata.APIError
		if errors.As(err, &ae) && (ae.Kind == gooddata.KindInvalidToken || ae.Kind == gooddata.KindNotLoggedIn) {
			var key *oidcflow.JWK
			if t.KeyID != "" && flow != nil {
				key, _ = flow.PublishedKey(ctx, t.KeyID, t.Algorithm)
			}
			return credential{}, explainRejectedJWT(org, t, key, flow, ae)
		}
		return credential{}, err
	}
	if o.user != "" && me.UserID != o.user {
		return credential{}, pageError(ExitAuth,
			fmt.Sprintf("the identity provider signed you in as %s, but --user asks for %s", me.DisplayName(), o.user),
			"sign in at the identity provider as "+o.user+", or leave --user out", nil)
	}
	if o.oidc.keepJWT {
		return credential{Host: org, Profile: *me, Token: t.IDToken, Method: methodOIDC, CreatedAt: a.env.Now()}, nil
	}
	return a.mintWithIDToken(ctx, org, client, me, o)
}

// mintWithIDToken creates the long-lived API token with the ID token as
// the existing token, through the token method's own steps (permission
// checks, creation, verification of the new token).
func (a *app) mintWithIDToken(ctx context.Context, org string, client *gooddata.Client, me *gooddata.Profile, o *loginOptions) (credential, error) {
	cred, err := a.mintToken(ctx, org, client, me, "your identity provider's ID token", o)
	if err != nil {
		return credential{}, err
	}
	cred.Method = methodOIDC
	return cred, nil
}

// oidcClientSecret reads a confidential client's secret: stdin with
// --client-secret-stdin, else GDLOGIN_OIDC_CLIENT_SECRET, else none (a
// public client).
func (a *app) oidcClientSecret(fromStdin bool) (string, error) {
	if fromStdin {
		var s string
		if a.env.StdinIsTerminal {
			v, err := a.env.ReadSecret("OIDC client secret (input hidden): ")
			if err != nil {
				return "", fmt.Errorf("read the client secret: %w", err)
			}
			s = v
		} else {
			v, err := readLine(a.env.Stdin, maxTokenInput)
			if err != nil {
				return "", err
			}
			s = v
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return "", usageErr("the client secret from stdin is empty")
		}
		a.say("Using the OIDC client secret from stdin.")
		return s, nil
	}
	if s := strings.TrimSpace(a.env.Getenv(EnvOIDCClientSecret)); s != "" {
		a.say("Using the OIDC client secret from %s.", EnvOIDCClientSecret)
		return s, nil
	}
	return "", nil
}

// oidcError gives the ways an OIDC login ends their exit codes and hints.
func (a *app) oidcError(ctx context.Context, org string, o *loginOptions, err error) error {
	var ue *userError
	if errors.As(err, &ue) {
		return err
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		if errors.Is(err, context.DeadlineExceeded) {
			return &userError{code: ExitTimeout, msg: fmt.Sprintf("no sign-in arrived within %s", o.timeout),
				hint: "sign in at the identity provider in the browser tab gdlogin opened; --timeout allows more time"}
		}
		return context.Canceled
	}
	var pe *oidcflow.ProviderError
	if errors.As(err, &pe) {
		return &userError{code: ExitAuth, err: err, hint: pe.Hint() + "; or log in with the browser method: gdlogin login " + org}
	}
	var te *oidcflow.TokenError
	if errors.As(err, &te) {
		return &userError{code: ExitAuth, err: err, hint: te.Hint()}
	}
	return err
}

// explainRejectedJWT is the one error for an ID token that the
// organization refuses: GoodData's 401 says nothing, so it names the
// likely causes (SPEC 1: a JWK registered for the kid, sub a GoodData user
// id, typ JWT or absent, an RS* alg) and what an admin must do.
func explainRejectedJWT(org string, t *oidcflow.Tokens, key *oidcflow.JWK, flow *oidcflow.Flow, ae *gooddata.APIError) error {
	kid := t.KeyID
	if kid == "" {
		kid = "<kid>"
	}
	var causes []string
	if t.KeyID == "" {
		causes = append(causes, "the token's header has no kid, which GoodData requires")
	} else {
		causes = append(causes, fmt.Sprintf("no JSON web key is registered for the identity provider's key (kid %q in the token's header)", t.KeyID))
	}
	causes = append(causes, fmt.Sprintf("the token's sub %q is not the id of a user of the organization", t.Subject))
	if t.Type != "" && t.Type != "JWT" {
		causes = append(causes, fmt.Sprintf("the token's typ is %q, and GoodData accepts only JWT (or none)", t.Type))
	}
	switch t.Algorithm {
	case "RS256", "RS384", "RS512":
	default:
		causes = append(causes, fmt.Sprintf("the token is signed with %s, and GoodData accepts only RS256, RS384 and RS512", t.Algorithm))
	}
	trace := ""
	if ae != nil && ae.TraceID != "" {
		trace = ", trace id " + ae.TraceID
	}
	msg := fmt.Sprintf("the organization refused the identity provider's ID token (401 invalid_token%s). GoodData accepts such tokens only from a provider whose signing key an admin registered; the likely causes: %s",
		trace, strings.Join(causes, "; or "))

	content := key
	if content == nil {
		content = &oidcflow.JWK{Kty: "RSA", Alg: orDefault(t.Algorithm, "RS256"), Use: "sig", Kid: kid, N: "…", E: "AQAB"}
	}
	var doc jwkDocument
	doc.Data.ID, doc.Data.Type, doc.Data.Attributes.Content = jwkID(t.KeyID), "jwk", *content
	var body strings.Builder
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(doc)
	var hint strings.Builder
	fmt.Fprintf(&hint, "an organization admin registers the identity provider's key once:\n\n    curl -X POST %s/api/v1/entities/jwks -H \"Authorization: Bearer $ADMIN_TOKEN\" -H 'Content-Type: application/vnd.gooddata.api+json' -d %s\n\n",
		org, shellQuote(strings.TrimSpace(body.String())))
	if key == nil {
		where := "the identity provider's published keys"
		if flow != nil && flow.JWKSURI() != "" {
			where += " (" + flow.JWKSURI() + ")"
		}
		fmt.Fprintf(&hint, "taking n and e of the key %q from %s. ", kid, where)
	}
	fmt.Fprintf(&hint, "The user %q must exist in the organization with exactly that id (the token's sub). Until then, log in with the browser method: gdlogin login %s", t.Subject, org)
	return pageError(ExitAuth, msg, hint.String(), ae)
}

// shellQuote single-quotes s for POSIX shells: the key's fields come from
// the identity provider, and the command is meant to be pasted.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// jwkDocument is the JSON:API body of POST /api/v1/entities/jwks, in the
// order the API documentation shows it.
type jwkDocument struct {
	Data struct {
		ID         string `json:"id"`
		Type       string `json:"type"`
		Attributes struct {
			Content oidcflow.JWK `json:"content"`
		} `json:"attributes"`
	} `json:"data"`
}

// jwkIDPattern is GoodData's entity id rule, less the leading-dot check.
var jwkIDPattern = regexp.MustCompile(`^[.A-Za-z0-9_-]{1,255}$`)

// jwkID proposes the id of the key's entity: the kid when it is a valid id.
func jwkID(kid string) string {
	if jwkIDPattern.MatchString(kid) && kid[0] != '.' {
		return kid
	}
	return "identity-provider"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// hintedError carries a hint to the OIDC loopback pages, which show the
// Hint() of an error that ends the login; userError keeps the same hint
// for the terminal.
type hintedError struct {
	msg, hint string
	err       error
}

func (e *hintedError) Error() string { return e.msg }
func (e *hintedError) Hint() string  { return e.hint }
func (e *hintedError) Unwrap() error { return e.err }

// pageError is a userError whose hint the loopback page shows too.
func pageError(code int, msg, hint string, cause error) error {
	return &userError{code: code, err: &hintedError{msg: msg, hint: hint, err: cause}, hint: hint}
}

// withPageHint makes the hint of a userError visible to the loopback
// page too.
func withPageHint(err error) error {
	var ue *userError
	var h hinter
	if errors.As(err, &ue) && ue.hint != "" && !errors.As(err, &h) {
		return &userError{code: ue.code, err: &hintedError{msg: ue.Error(), hint: ue.hint, err: ue.err}, hint: ue.hint}
	}
	return err
}

// orgLabelOf names the organization of a credential for sentences.
func orgLabelOf(c credential) string {
	if c.Profile.OrganizationName != "" {
		return c.Profile.OrganizationName
	}
	return c.Host
}

// oidcProgress reports the loopback server's events on stderr, with the
// time since the login started.
func (a *app) oidcProgress(start time.Time) func(oidcflow.Event) {
	return func(ev oidcflow.Event) {
		elapsed := a.env.Now().Sub(start).Round(time.Second)
		switch ev.Kind {
		case oidcflow.EventOpened:
			a.say("[%s] The browser went on to the identity provider; sign in there.", elapsed)
		case oidcflow.EventRejected:
			if a.verbose {
				a.say("[%s] refused a request to the local server: %s", elapsed, ev.Reason)
			}
		case oidcflow.EventReceived:
			a.say("[%s] Signed in at the identity provider; verifying the ID token and checking it with the organization…", elapsed)
		case oidcflow.EventExchangeFailed:
			a.say("[%s] The identity provider did not confirm a sign-in: %v. Still waiting (Ctrl-C to cancel).", elapsed, ev.Err)
		case oidcflow.EventCommitted:
			a.say("[%s] Verified.", elapsed)
		}
	}
}

// refreshMargin: a kept ID token that expires sooner than this is
// refreshed before it is used.
const refreshMargin = time.Minute

// keptJWT returns the bearer of an oidc profile saved with --keep-jwt: the
// saved ID token while it stays valid for more than refreshMargin, else a
// new one from the identity provider (oidcflow.Refresh verifies it; it
// must belong to the profile's user), which is saved in place with the
// rotated refresh token. It never returns an expired ID token. usableToken
// calls it for such profiles (sec.IDToken set); other secrets pass through.
func (a *app) keptJWT(ctx context.Context, st *store.Store, p store.Profile, sec store.Secret) (gooddata.Secret, error) {
	if sec.IDToken == "" {
		return gooddata.Secret(sec.Token), nil
	}
	// Expiry is judged by the real clock, as the organization judges it.
	if time.Until(sec.IDTokenExpiry) > refreshMargin {
		return gooddata.Secret(sec.IDToken), nil
	}
	relogin := "log in again: gdlogin login" + profileFlag(p.Name) + " --keep-jwt"
	if sec.RefreshToken == "" || p.OIDC == nil {
		return "", &userError{code: ExitAuth, msg: fmt.Sprintf("the ID token of profile %q expired at %s, and there is no refresh token to renew it", p.Name, sec.IDTokenExpiry.Local().Format("2006-01-02 15:04:05")),
			hint: relogin}
	}
	hc, err := a.httpClient()
	if err != nil {
		return "", err
	}
	t, err := oidcflow.Refresh(ctx, oidcflow.Config{
		Issuer:       p.OIDC.Issuer,
		ClientID:     p.OIDC.ClientID,
		ClientSecret: strings.TrimSpace(a.env.Getenv(EnvOIDCClientSecret)),
		Scopes:       p.OIDC.Scopes,
		HTTPClient:   hc,
	}, gooddata.Secret(sec.RefreshToken))
	if err != nil {
		var re *oidcflow.RefreshError
		var te *oidcflow.TokenError
		switch {
		case errors.As(err, &re):
			return "", &userError{code: ExitAuth, err: err, hint: relogin}
		case errors.As(err, &te):
			return "", &userError{code: ExitAuth, err: err, hint: te.Hint()}
		}
		return "", fmt.Errorf("renew the ID token of profile %q: %w", p.Name, err)
	}
	if t.Subject != p.UserID {
		return "", &userError{code: ExitAuth, msg: fmt.Sprintf("the identity provider renewed the login of %q, but profile %q belongs to %q", t.Subject, p.Name, p.UserID),
			hint: relogin}
	}
	renewed := store.Secret{Token: t.IDToken.Reveal(), IDToken: t.IDToken.Reveal(), IDTokenExpiry: t.Expiry, RefreshToken: t.RefreshToken.Reveal()}
	if _, err := st.Save(ctx, p, renewed); err != nil {
		// The token works; only the next renewal is at risk (the old
		// refresh token may be spent).
		a.warn("renewed the ID token of profile %q but could not save it (%v); the next command may need a new login", p.Name, err)
	}
	return t.IDToken, nil
}

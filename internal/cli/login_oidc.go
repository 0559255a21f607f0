package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/oidcflow"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/login"
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
	keepJWTSet        bool // --keep-jwt was given, true or false
	clientSecretStdin bool
}

func addOIDCFlags(f *pflag.FlagSet, o *oidcOptions) {
	f.StringVar(&o.issuer, "issuer", "", "issuer `URL` of the identity provider (method oidc), e.g. https://login.example.com/realms/example")
	f.StringVar(&o.clientID, "client-id", "", "client `ID` registered for gdlogin at the identity provider (method oidc)")
	f.StringVar(&o.scopes, "scopes", "", "scopes to ask the identity provider for, separated by spaces or commas; openid is always added (method oidc; default \""+strings.Join(oidcflow.DefaultScopes, " ")+"\")")
	f.BoolVar(&o.keepJWT, "keep-jwt", false, "keep the ID token (and a refresh token) as the credential instead of creating an API token (method oidc; the profile remembers it: a login again does the same until --keep-jwt=false)")
	f.BoolVar(&o.clientSecretStdin, "client-secret-stdin", false, "read the client secret of a confidential client from stdin (method oidc; or set "+EnvOIDCClientSecret+")")
}

// oidcInput is the oidc method's part of the login: the provider, client
// and --keep-jwt from the flags, else from the saved profile being renewed
// (a login again to the same organization), and a confidential client's
// secret.
func (a *app) oidcInput(org string, o *loginOptions) (login.OIDCInput, error) {
	oo := o.oidc
	if s := a.sameOrgProfile(o); s != nil && s.OIDC != nil && s.Method == store.MethodOIDC {
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
		if !oo.keepJWTSet && s.KeptJWT() {
			oo.keepJWT = true
			a.say("Keeping the ID token as the credential, as profile %q does (--keep-jwt=false creates an API token instead).", s.Name)
		}
	}
	o.oidc.issuer = oo.issuer // for the progress lines
	if oo.issuer == "" || oo.clientID == "" {
		return login.OIDCInput{}, failure.New(failure.Usage, "--method oidc needs --issuer URL and --client-id ID",
			"ask the organization's admin which identity provider and client gdlogin uses, e.g. gdlogin login "+org+" --method oidc --issuer https://login.example.com --client-id gdlogin")
	}
	if err := oidcflow.ValidateIssuer(oo.issuer); err != nil {
		return login.OIDCInput{}, &failure.Error{Kind: failure.Usage, Err: fmt.Errorf("--issuer: %w", err)}
	}
	secret, err := a.oidcClientSecret(oo.clientSecretStdin)
	if err != nil {
		return login.OIDCInput{}, err
	}
	return login.OIDCInput{Issuer: oo.issuer, ClientID: oo.clientID, ClientSecret: secret,
		Scopes: oidcflow.ParseScopes(oo.scopes), KeepJWT: oo.keepJWT}, nil
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
			return "", failure.Usagef("the client secret from stdin is empty")
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

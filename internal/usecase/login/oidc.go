package login

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/oidcflow"
	"github.com/gdlogin/gdlogin/internal/shellquote"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
)

// oidc runs the loopback OIDC login (SPEC 2.3) and returns the verified
// credential: a new API token created with the ID token, or, with
// KeepJWT, the ID token itself.
func (d Deps) oidc(ctx context.Context, in Input) (credential.Credential, *Pages, error) {
	oi := in.OIDC
	if err := oidcflow.ValidateIssuer(oi.Issuer); err != nil {
		return credential.Credential{}, nil, &failure.Error{Kind: failure.Usage, Err: fmt.Errorf("--issuer: %w", err)}
	}
	ln, err := listenLoopback(in.Port)
	if err != nil {
		return credential.Credential{}, nil, err
	}
	var (
		flow      *oidcflow.Flow
		flowReady = make(chan struct{}) // closed once flow is set
		cred      credential.Credential
	)
	// use runs when the identity provider's ID token is verified, before
	// the loopback page answers: the page then shows the real outcome.
	use := func(ctx context.Context, t *oidcflow.Tokens) (string, error) {
		select {
		case <-flowReady:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		c, err := d.oidcUse(ctx, in, flow, t)
		if err != nil {
			return "", err
		}
		cred = c
		if oi.KeepJWT {
			return fmt.Sprintf("Signed in to %s as %s. The terminal has the ID token.", c.OrgLabel(), c.Profile.DisplayName()), nil
		}
		return fmt.Sprintf("API token for %s created and verified with %s.", c.Profile.DisplayName(), c.OrgLabel()), nil
	}
	flow, err = oidcflow.Start(ctx, oidcflow.Config{
		Issuer:       oi.Issuer,
		ClientID:     oi.ClientID,
		ClientSecret: oi.ClientSecret,
		Scopes:       oi.Scopes,
		Offline:      oi.KeepJWT,
		HTTPClient:   d.HTTPClient,
		Listener:     ln,
		Use:          use,
		Events:       d.oidcEvent,
		// Now stays nil: the ID token's expiry is judged by the real
		// clock, as the organization judges it.
	})
	if err != nil {
		var de *oidcflow.DiscoveryError
		if errors.As(err, &de) {
			return credential.Credential{}, nil, &failure.Error{Kind: failure.Network, Err: err, Advice: de.Hint()}
		}
		return credential.Credential{}, nil, err
	}
	close(flowReady)
	pages := &Pages{close: flow.Close}

	d.emit(Event{Kind: StartPage, Method: in.Method, URL: flow.StartURL(), AuthURL: flow.AuthURL()})
	deadline, _ := ctx.Deadline()
	d.emit(Event{Kind: Waiting, Method: in.Method, Deadline: deadline})

	tokens, err := flow.Wait(ctx)
	if err != nil {
		return credential.Credential{}, pages, oidcError(ctx, in, err)
	}
	if oi.KeepJWT {
		cred.OIDC = &credential.OIDC{IDTokenExpiry: tokens.Expiry, RefreshToken: tokens.RefreshToken}
		d.emit(Event{Kind: IDTokenKept, Method: in.Method, Expiry: tokens.Expiry, NoRefreshToken: tokens.RefreshToken == ""})
	} else {
		cred.OIDC = &credential.OIDC{}
	}
	cred.OIDC.Issuer, cred.OIDC.ClientID, cred.OIDC.KeepJWT = oi.Issuer, oi.ClientID, oi.KeepJWT
	cred.OIDC.Scopes = oidcflow.EffectiveScopes(oi.Scopes, false)
	return cred, pages, nil
}

// oidcUse checks the verified ID token with the organization and turns it
// into the credential: the ID token itself (KeepJWT) or a new API token
// created with it, exactly as the token method creates one.
func (d Deps) oidcUse(ctx context.Context, in Input, flow *oidcflow.Flow, t *oidcflow.Tokens) (credential.Credential, error) {
	client, err := d.Client(in.Org, t.IDToken.Reveal())
	if err != nil {
		return credential.Credential{}, err
	}
	me, err := client.Profile(ctx)
	if err != nil {
		if ae, ok := gooddata.RefusedToken(err); ok {
			var key *oidcflow.JWK
			if t.KeyID != "" && flow != nil {
				key, _ = flow.PublishedKey(ctx, t.KeyID, t.Algorithm)
			}
			return credential.Credential{}, explainRejectedJWT(in.Org, t, key, flow, ae)
		}
		return credential.Credential{}, err
	}
	if in.User != "" && me.UserID != in.User {
		return credential.Credential{}, failure.New(failure.Auth,
			fmt.Sprintf("the identity provider signed you in as %s, but --user asks for %s", me.DisplayName(), in.User),
			"sign in at the identity provider as "+in.User+", or leave --user out")
	}
	if in.OIDC.KeepJWT {
		return credential.Credential{Host: in.Org, Profile: *me, Token: t.IDToken, Method: credential.MethodOIDC, CreatedAt: d.Now()}, nil
	}
	// The long-lived API token, with the ID token as the existing token,
	// through the token method's own steps.
	return d.minter().Mint(ctx, credential.MintRequest{
		Org: in.Org, Client: client, Me: me, Source: "your identity provider's ID token",
		User: in.User, TokenID: d.tokenID(in), Method: credential.MethodOIDC,
	})
}

// oidcError gives the ways an OIDC login ends their classes and hints.
func oidcError(ctx context.Context, in Input, err error) error {
	var fe *failure.Error
	if errors.As(err, &fe) {
		return err
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		if errors.Is(err, context.DeadlineExceeded) {
			return failure.New(failure.Timeout, fmt.Sprintf("no sign-in arrived within %s", in.Timeout),
				"sign in at the identity provider in the browser tab gdlogin opened; --timeout allows more time")
		}
		return context.Canceled
	}
	var pe *oidcflow.ProviderError
	if errors.As(err, &pe) {
		return failure.Wrap(failure.Auth, err, pe.Hint()+"; or log in with the browser method: gdlogin login "+in.Org)
	}
	var te *oidcflow.TokenError
	if errors.As(err, &te) {
		return failure.Wrap(failure.Auth, err, te.Hint())
	}
	return err
}

// oidcEvent passes the OIDC flow's progress on.
func (d Deps) oidcEvent(ev oidcflow.Event) {
	m := credential.MethodOIDC
	switch ev.Kind {
	case oidcflow.EventOpened:
		d.emit(Event{Kind: ProviderOpened, Method: m})
	case oidcflow.EventRejected:
		d.emit(Event{Kind: Rejected, Method: m, Reason: ev.Reason})
	case oidcflow.EventReceived:
		d.emit(Event{Kind: Received, Method: m})
	case oidcflow.EventExchangeFailed:
		d.emit(Event{Kind: VerifyFailed, Method: m, Err: ev.Err})
	case oidcflow.EventCommitted:
		d.emit(Event{Kind: Verified, Method: m})
	}
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
		alg := t.Algorithm
		if alg == "" {
			alg = "RS256"
		}
		content = &oidcflow.JWK{Kty: "RSA", Alg: alg, Use: "sig", Kid: kid, N: "…", E: "AQAB"}
	}
	var doc jwkDocument
	doc.Data.ID, doc.Data.Type, doc.Data.Attributes.Content = jwkID(t.KeyID), "jwk", *content
	var body strings.Builder
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(doc)
	var hint strings.Builder
	fmt.Fprintf(&hint, "an organization admin registers the identity provider's key once:\n\n    curl -X POST %s/api/v1/entities/jwks -H \"Authorization: Bearer $ADMIN_TOKEN\" -H 'Content-Type: application/vnd.gooddata.api+json' -d %s\n\n",
		org, shellquote.POSIX(strings.TrimSpace(body.String())))
	if key == nil {
		where := "the identity provider's published keys"
		if flow != nil && flow.JWKSURI() != "" {
			where += " (" + flow.JWKSURI() + ")"
		}
		fmt.Fprintf(&hint, "taking n and e of the key %q from %s. ", kid, where)
	}
	fmt.Fprintf(&hint, "The user %q must exist in the organization with exactly that id (the token's sub). Until then, log in with the browser method: gdlogin login %s", t.Subject, org)
	fe := &failure.Error{Kind: failure.Auth, Message: msg, Advice: hint.String()}
	if ae != nil {
		fe.Err = ae
	}
	return fe
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

// jwkID proposes the id of the key's entity: the kid when it is a valid
// entity id (the same rule as token ids), else a fixed one.
func jwkID(kid string) string {
	if gooddata.ValidTokenID(kid) {
		return kid
	}
	return "identity-provider"
}

package oidcflow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gdlogin/gdlogin/internal/gooddata"
)

// TokenError: the identity provider answered with tokens that gdlogin
// does not accept. Reason is one sentence for people.
type TokenError struct {
	Reason string
	hint   string
	Err    error
}

func (e *TokenError) Error() string {
	return "the identity provider's ID token was refused: " + e.Reason
}

func (e *TokenError) Unwrap() error { return e.Err }

// Hint says what to check.
func (e *TokenError) Hint() string { return e.hint }

// verifyTokenResponse checks the token endpoint's answer: an ID token is
// there, go-oidc verifies it (signature with the provider's published
// keys, issuer, audience = client id, expiry), and its nonce is the one
// this login sent (wantNonce; "" skips the check, for refreshes).
func verifyTokenResponse(ctx context.Context, cfg Config, v *oidc.IDTokenVerifier, tok *oauth2.Token, wantNonce string) (*Tokens, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, &TokenError{Reason: "the token endpoint returned no ID token",
			hint: "check that the client may use OpenID Connect and that --scopes contains openid"}
	}
	idt, err := v.Verify(clientContext(ctx, cfg.HTTPClient), raw)
	if err != nil {
		return nil, explainVerifyError(cfg, raw, err)
	}
	if wantNonce != "" && !equalSecret(idt.Nonce, wantNonce) {
		return nil, &TokenError{Reason: "its nonce is not the one this login sent",
			hint: "the ID token does not answer this login's request; sign in again, and if it persists, the identity provider does not echo the nonce as OpenID Connect requires"}
	}
	if idt.Subject == "" {
		return nil, &TokenError{Reason: "it has no subject (sub)", hint: "ask the identity provider's administrator"}
	}
	if idt.AccessTokenHash != "" && tok.AccessToken != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, &TokenError{Reason: "its at_hash does not match the access token", Err: err,
				hint: "the token endpoint's answer was altered, or the identity provider is broken"}
		}
	}
	var claims struct {
		Email             string `json:"email"`
		Name              string `json:"name"`
		PreferredUsername string `json:"preferred_username"`
	}
	if err := idt.Claims(&claims); err != nil {
		return nil, &TokenError{Reason: "its claims cannot be read", Err: err}
	}
	hdr := readHeader(raw)
	t := &Tokens{
		IDToken:           gooddata.Secret(raw),
		Expiry:            idt.Expiry,
		RefreshToken:      gooddata.Secret(tok.RefreshToken),
		Issuer:            idt.Issuer,
		Subject:           idt.Subject,
		Email:             claims.Email,
		Name:              claims.Name,
		PreferredUsername: claims.PreferredUsername,
		KeyID:             hdr.Kid,
		Algorithm:         hdr.Alg,
		Type:              hdr.Typ,
	}
	if s, ok := tok.Extra("scope").(string); ok && s != "" {
		t.Scopes = strings.Fields(s)
	}
	return t, nil
}

// explainVerifyError turns go-oidc's refusal into a sentence. The decision
// is go-oidc's; the claims are read here, unverified, only to name the
// mismatch.
func explainVerifyError(cfg Config, raw string, err error) error {
	var expired *oidc.TokenExpiredError
	if errors.As(err, &expired) {
		return &TokenError{Err: err,
			Reason: fmt.Sprintf("it expired at %s (tolerance %s)", expired.Expiry.UTC().Format(time.RFC3339), cfg.ClockSkew),
			hint:   "check the clocks of this computer and of the identity provider; an ID token that is expired when it arrives cannot be used"}
	}
	var c struct {
		Iss string          `json:"iss"`
		Aud json.RawMessage `json:"aud"`
	}
	_ = decodeSegment(raw, 1, &c)
	if c.Iss != "" && c.Iss != cfg.Issuer {
		return &TokenError{Err: err, Reason: fmt.Sprintf("it was issued by %q, not by the issuer %q", c.Iss, cfg.Issuer),
			hint: "pass exactly the issuer that the identity provider puts in its tokens as --issuer"}
	}
	if aud := audience(c.Aud); len(aud) > 0 && !slices.Contains(aud, cfg.ClientID) {
		return &TokenError{Err: err, Reason: fmt.Sprintf("it is for the audience %s, not for the client %q", strings.Join(aud, ", "), cfg.ClientID),
			hint: "check --client-id: it must be the client the identity provider issues the token to"}
	}
	return &TokenError{Err: err, Reason: err.Error(),
		hint: "the token's signature or format is not acceptable; check --issuer, or ask the identity provider's administrator"}
}

func audience(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil && one != "" {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

func readHeader(raw string) jwtHeader {
	var h jwtHeader
	_ = decodeSegment(raw, 0, &h)
	return h
}

// decodeSegment decodes part i of a compact JWS as JSON.
func decodeSegment(raw string, i int, v any) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return errors.New("not a compact JWS")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// exchangeError names the token endpoint's refusal without echoing
// anything secret.
func exchangeError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		s := "the token endpoint refused"
		if re.Response != nil {
			s = fmt.Sprintf("the token endpoint answered %d %s", re.Response.StatusCode, http.StatusText(re.Response.StatusCode))
		}
		if re.ErrorCode != "" {
			s += " (" + re.ErrorCode
			if re.ErrorDescription != "" {
				s += ": " + re.ErrorDescription
			}
			s += ")"
		}
		return errors.New(s)
	}
	return err
}

func clientContext(ctx context.Context, hc *http.Client) context.Context {
	return oidc.ClientContext(ctx, hc)
}

// RefreshError: the identity provider refused the refresh token (expired,
// revoked, or the session ended). The way out is a new login.
type RefreshError struct {
	Err error
}

func (e *RefreshError) Error() string {
	return "the identity provider refused the refresh token: " + exchangeError(e.Err).Error()
}

func (e *RefreshError) Unwrap() error { return e.Err }

// Hint says what to do.
func (e *RefreshError) Hint() string {
	return "the sign-in has expired or was revoked; log in again with gdlogin login --method oidc"
}

// Refresh trades a refresh token for fresh tokens and verifies the new ID
// token exactly as a login does (except the nonce, which belongs to the
// original request). cfg needs Issuer, ClientID, the ClientSecret of a
// confidential client, and optionally Scopes, HTTPClient, ClockSkew and
// Now. When the provider does not rotate the refresh token, the returned
// Tokens keep the one given. The caller should check that Subject is the
// user the saved login belongs to.
func Refresh(ctx context.Context, cfg Config, refreshToken gooddata.Secret) (*Tokens, error) {
	if refreshToken == "" {
		return nil, errors.New("there is no refresh token; log in again with gdlogin login --method oidc --keep-jwt")
	}
	cfg.Listener = nil
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	provider, err := discover(ctx, cfg)
	if err != nil {
		return nil, err
	}
	oc := oauthConfig(cfg, provider, "")
	cctx := clientContext(ctx, cfg.HTTPClient)
	tok, err := oc.TokenSource(cctx, &oauth2.Token{RefreshToken: refreshToken.Reveal()}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500 {
			return nil, &RefreshError{Err: err}
		}
		return nil, fmt.Errorf("refresh the ID token at %s: %w", cfg.Issuer, exchangeError(err))
	}
	t, err := verifyTokenResponse(ctx, cfg, newVerifier(ctx, cfg, provider), tok, "")
	if err != nil {
		return nil, err
	}
	if t.RefreshToken == "" {
		t.RefreshToken = refreshToken
	}
	return t, nil
}

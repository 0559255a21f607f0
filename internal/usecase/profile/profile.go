// Package profile is the saved side of a login: saving a verified
// credential into a profile (replacing what it held only once the new
// secret is safely stored, and saying what it replaced), loading a profile
// with a token that works now (an oidc --keep-jwt profile's ID token is
// renewed here when it is about to expire), and the meaning of the store's
// failures: their class and what to do about them.
package profile

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/oidcflow"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
)

// Deps are what the profile use cases touch.
type Deps struct {
	Store *store.Store
	// HTTPClient reaches the identity provider when an ID token is
	// renewed.
	HTTPClient *http.Client
	// ClientSecret is a confidential OIDC client's secret for renewals
	// (GDLOGIN_OIDC_CLIENT_SECRET); empty for public clients.
	ClientSecret string
	// Events, when set, hears what the caller should tell the user.
	Events func(Event)
}

// EventKind says what happened.
type EventKind int

const (
	// RenewedNotSaved: an ID token was renewed and works, but could not be
	// saved (Err); the next renewal may need a new login.
	RenewedNotSaved EventKind = iota
)

// Event is news for the terminal; never a secret.
type Event struct {
	Kind    EventKind
	Profile string
	Err     error
}

func (d Deps) emit(ev Event) {
	if d.Events != nil {
		d.Events(ev)
	}
}

// Saved is the outcome of Save.
type Saved struct {
	Profile store.Profile
	// Replaced is what the profile held before, when it held another
	// token or another organization's login; nil otherwise.
	Replaced *store.Profile
}

// Save saves a verified login as profile name, replacing what it held
// only once the new secret is safely stored, and only if the profile is
// still at seen, the revision the login read when it started (else a
// *store.ChangedError: another gdlogin saved it first).
func (d Deps) Save(ctx context.Context, name string, cred credential.Credential, seen store.Revision) (Saved, error) {
	p := store.Profile{
		Name:             name,
		Host:             cred.Host,
		UserID:           cred.Profile.UserID,
		OrganizationID:   cred.Profile.OrganizationID,
		OrganizationName: cred.Profile.OrganizationName,
		TokenID:          cred.TokenID,
		CreatedAt:        cred.CreatedAt,
		Method:           store.Method(cred.Method),
		CACert:           cred.CACert,
	}
	secret := store.Secret{Token: cred.Token.Reveal()}
	if oc := cred.OIDC; oc != nil {
		p.OIDC = &store.OIDCSettings{Issuer: oc.Issuer, ClientID: oc.ClientID, Scopes: oc.Scopes, KeepJWT: oc.KeepJWT}
		if oc.KeepJWT {
			// Token is the ID token too: it is the bearer until it expires.
			secret.IDToken, secret.IDTokenExpiry, secret.RefreshToken = cred.Token.Reveal(), oc.IDTokenExpiry, oc.RefreshToken.Reveal()
		}
	}
	prev, prevErr := d.Store.Get(name)
	p.BookmarkWorked = bookmarkWorked(cred, prev, prevErr == nil)
	saved, err := d.Store.SaveIf(ctx, p, secret, seen)
	if err != nil {
		return Saved{}, StoreFailure(err, name, "")
	}
	out := Saved{Profile: saved}
	if prevErr == nil && prev.TokenID != "" && (prev.TokenID != saved.TokenID || prev.Host != saved.Host) {
		out.Replaced = &prev
	}
	return out, nil
}

// Holders maps each API token id of user on host to the saved profiles
// that hold it.
func Holders(all []store.Profile, host, user string) map[string][]string {
	held := map[string][]string{}
	for _, q := range all {
		if q.Host == host && q.UserID == user && q.TokenID != "" {
			held[q.TokenID] = append(held[q.TokenID], q.Name)
		}
	}
	return held
}

// AlsoHeldBy lists the saved profiles other than p that hold p's API
// token, so that it is not deleted under them.
func (d Deps) AlsoHeldBy(p store.Profile) ([]string, error) {
	if p.TokenID == "" {
		return nil, nil
	}
	all, err := d.Store.List()
	if err != nil {
		return nil, err
	}
	var others []string
	for _, name := range Holders(all, p.Host, p.UserID)[p.TokenID] {
		if name != p.Name {
			others = append(others, name)
		}
	}
	return others, nil
}

// Load reads profile name and a token that works for it now.
func (d Deps) Load(ctx context.Context, name string) (credential.Credential, store.Profile, error) {
	p, err := d.Store.Get(name)
	if err != nil {
		return credential.Credential{}, store.Profile{}, StoreFailure(err, name, "")
	}
	tok, err := d.UsableToken(ctx, p)
	if err != nil {
		return credential.Credential{}, p, err
	}
	return credential.Of(p, tok), p, nil
}

// UsableToken returns the bearer that works for profile p now: the saved
// API token, or for an oidc profile saved with --keep-jwt its ID token,
// renewed with the refresh token when it is about to expire. Every command
// that calls the API gets its bearer from here.
func (d Deps) UsableToken(ctx context.Context, p store.Profile) (gooddata.Secret, error) {
	sec, err := d.Store.Secret(ctx, p.Name)
	if err != nil {
		return "", StoreFailure(err, p.Name, p.Host)
	}
	if p.Method == store.MethodOIDC && sec.IDToken != "" {
		return d.KeptJWT(ctx, p, sec)
	}
	return gooddata.Secret(sec.Token), nil
}

// RefreshMargin: a kept ID token that expires sooner than this is renewed
// before it is used.
const RefreshMargin = time.Minute

// KeptJWT returns the bearer of an oidc profile saved with --keep-jwt: the
// saved ID token while it stays valid for more than RefreshMargin, else a
// new one from the identity provider (oidcflow.Refresh verifies it; it
// must belong to the profile's user), saved in place with the rotated
// refresh token. It never returns an expired ID token. Secrets without an
// ID token pass through.
func (d Deps) KeptJWT(ctx context.Context, p store.Profile, sec store.Secret) (gooddata.Secret, error) {
	if sec.IDToken == "" {
		return gooddata.Secret(sec.Token), nil
	}
	// Expiry is judged by the real clock, as the organization judges it.
	if time.Until(sec.IDTokenExpiry) > RefreshMargin {
		return gooddata.Secret(sec.IDToken), nil
	}
	relogin := "log in again: gdlogin login" + Flag(p.Name) + " --keep-jwt"
	if sec.RefreshToken == "" || p.OIDC == nil {
		return "", failure.New(failure.Auth, fmt.Sprintf("the ID token of profile %q expired at %s, and there is no refresh token to renew it", p.Name, sec.IDTokenExpiry.Local().Format("2006-01-02 15:04:05")),
			relogin)
	}
	t, err := oidcflow.Refresh(ctx, oidcflow.Config{
		Issuer:       p.OIDC.Issuer,
		ClientID:     p.OIDC.ClientID,
		ClientSecret: d.ClientSecret,
		Scopes:       p.OIDC.Scopes,
		HTTPClient:   d.HTTPClient,
	}, gooddata.Secret(sec.RefreshToken))
	if err != nil {
		var re *oidcflow.RefreshError
		var te *oidcflow.TokenError
		switch {
		case errors.As(err, &re):
			return "", failure.Wrap(failure.Auth, err, relogin)
		case errors.As(err, &te):
			return "", failure.Wrap(failure.Auth, err, te.Hint())
		}
		return "", fmt.Errorf("renew the ID token of profile %q: %w", p.Name, err)
	}
	if t.Subject != p.UserID {
		return "", failure.New(failure.Auth, fmt.Sprintf("the identity provider renewed the login of %q, but profile %q belongs to %q", t.Subject, p.Name, p.UserID),
			relogin)
	}
	renewed := store.Secret{Token: t.IDToken.Reveal(), IDToken: t.IDToken.Reveal(), IDTokenExpiry: t.Expiry, RefreshToken: t.RefreshToken.Reveal()}
	if _, err := d.Store.Save(ctx, p, renewed); err != nil {
		// The token works; only the next renewal is at risk (the old
		// refresh token may be spent).
		d.emit(Event{Kind: RenewedNotSaved, Profile: p.Name, Err: err})
	}
	return t.IDToken, nil
}

// Flag is " --profile NAME" when the profile is not the default, for
// commands quoted in hints.
func Flag(name string) string {
	if name == store.DefaultProfile {
		return ""
	}
	return " --profile " + name
}

// DeleteCommand is the command that deletes API token id with profile
// name's token.
func DeleteCommand(name, id string) string {
	return "gdlogin tokens delete" + Flag(name) + " " + id
}

// LoginHint is the command that (re)creates profile name.
func LoginHint(name, host string) string {
	if host == "" {
		host = "ORG_URL"
	}
	return "gdlogin login " + host + Flag(name)
}

// StoreFailure gives a store failure its class and a hint: Auth when
// there is nothing to authenticate with (no such profile, its secret is
// gone), Usage for a bad profile name, Other for everything else (a
// corrupt or unsafe file, an unusable keyring, a lock held too long, a
// concurrent change). host, when known, completes the login command in
// hints. A failure that already has a class passes through.
func StoreFailure(err error, name, host string) error {
	var fe *failure.Error
	if errors.As(err, &fe) {
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
		return &failure.Error{Kind: failure.Auth, Err: err, Message: msg,
			Advice: "log in first: " + LoginHint(name, "") + " (gdlogin status lists the saved profiles)"}
	case errors.Is(err, store.ErrSecretNotFound):
		return failure.Wrap(failure.Auth, err, "the saved token is gone (was the keyring reset?); log in again: "+LoginHint(name, host))
	case errors.Is(err, store.ErrInvalidName):
		return failure.Wrap(failure.Usage, err, "")
	case errors.As(err, &corrupt):
		return failure.Wrap(failure.Other, err, "gdlogin never rewrites a file it cannot read; fix the line shown, or move the file away and log in again")
	case errors.As(err, &insecure):
		return failure.Wrap(failure.Other, err, fmt.Sprintf("chmod 600 %q, then consider gdlogin rotate%s", insecure.Path, Flag(name)))
	case errors.As(err, &required):
		return failure.Wrap(failure.Other, err, "unlock or start the OS keyring, or pass --store file (a 0600 file) or --store auto")
	case errors.As(err, &lock):
		return failure.Wrap(failure.Other, err, "wait for the other gdlogin to finish, then try again")
	case errors.Is(err, store.ErrConflict):
		return failure.Wrap(failure.Other, err, "another gdlogin changed the profile meanwhile; check it with gdlogin status")
	case errors.Is(err, store.ErrKeyringUnavailable):
		return failure.Wrap(failure.Other, err, "unlock the OS keyring (e.g. start gnome-keyring on Linux) and try again, or log in again with --store file")
	}
	return failure.Wrap(failure.Other, err, "")
}

// Package credential is what every login produces and every profile
// holds, and the two steps that the token and OIDC logins and rotate
// share: minting a new API token with an existing one (the permission
// checks and the creation), and verifying a new token with the
// organization, which deletes it again when it does not verify. It lives
// apart from package login because rotate and profile need the same type
// and steps without the login's loopback servers.
package credential

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/store"
)

// Login methods, as profiles save them.
const (
	MethodBrowser = string(store.MethodBrowser)
	MethodToken   = string(store.MethodToken)
	MethodOIDC    = string(store.MethodOIDC)
)

// Credential is what a login produced, or what a profile holds.
type Credential struct {
	Host      string
	Profile   gooddata.Profile // the token's owner, as the server reported it
	TokenID   string
	Token     gooddata.Secret
	Method    string
	CreatedAt time.Time
	// CACert is the absolute path of the CA file the login trusted for the
	// organization (--ca-cert); the profile keeps it. Empty: the system's.
	CACert string
	// OIDC is set by the oidc method: the identity provider, saved in the
	// profile, and with KeepJWT the ID token's expiry and the refresh
	// token, saved with the secret. Token is then the ID token and TokenID
	// is empty.
	OIDC *OIDC
	// Bookmark is what the login learned about the gdlogin bookmark in
	// this computer's browser; saved in the profile (BookmarkWorked).
	Bookmark Bookmark
}

// Bookmark is what a login learned about the gdlogin bookmark.
type Bookmark int

const (
	// BookmarkUnknown: nothing; the profile keeps what it knew. Not the
	// browser method, or paste mode, whose browser may be another
	// computer's.
	BookmarkUnknown Bookmark = iota
	// BookmarkWorked: the token came from the bookmark.
	BookmarkWorked
	// BookmarkNotUsed: the token came from the console snippet or an
	// organization page's script; this browser may not run the bookmark
	// (Safari refuses it under a strict CSP).
	BookmarkNotUsed
)

// OIDC is what an oidc login adds to its credential (store.Profile.OIDC,
// store.Secret.IDToken/IDTokenExpiry/RefreshToken).
type OIDC struct {
	Issuer        string
	ClientID      string
	Scopes        []string // as asked for (openid included; offline_access only if asked for)
	KeepJWT       bool
	IDTokenExpiry time.Time
	RefreshToken  gooddata.Secret
}

// OrgLabel names the credential's organization for sentences: its name,
// else its id, else its address.
func (c Credential) OrgLabel() string {
	if l := c.Profile.OrgLabel(); l != "" {
		return l
	}
	return c.Host
}

// Of turns a saved profile and its token back into a credential.
func Of(p store.Profile, tok gooddata.Secret) Credential {
	return Credential{
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
		CACert:    p.CACert,
	}
}

// ClientFactory builds an API client for an organization and a token. The
// command line passes one that shares the run's HTTP client and traces.
type ClientFactory func(org, token string) (*gooddata.Client, error)

// EventKind says what happened while minting.
type EventKind int

const (
	// TokenIDTaken: the asked-for id was taken; the organization chose
	// Created instead.
	TokenIDTaken EventKind = iota
	// UnverifiedNotDeleted: a new token that did not verify could not be
	// deleted again (Err says why); it exists on the server.
	UnverifiedNotDeleted
)

// Event is news for the terminal; never a secret.
type Event struct {
	Kind    EventKind
	Wanted  string // TokenIDTaken
	Created string // the new token's id
	Err     error
}

// Deps are what minting touches.
type Deps struct {
	Now    func() time.Time
	Events func(Event)
}

func (d Deps) emit(ev Event) {
	if d.Events != nil {
		d.Events(ev)
	}
}

// MintRequest is one new API token.
type MintRequest struct {
	Org string
	// Client carries the existing token, which belongs to Me.
	Client *gooddata.Client
	Me     *gooddata.Profile
	// Source names the existing token in errors ("GDC_API_TOKEN").
	Source string
	// User, when not Me, is whom the token is for (Me must manage the
	// organization).
	User    string
	TokenID string
	Method  string
}

// Mint creates and verifies the new API token: for Me, or for User when
// Me may manage the organization.
func (d Deps) Mint(ctx context.Context, r MintRequest) (Credential, error) {
	me := r.Me
	target := me.UserID
	if r.User != "" && r.User != me.UserID {
		if !me.CanManage() {
			return Credential{}, failure.New(failure.Auth,
				fmt.Sprintf("the token from %s belongs to %s, who cannot create tokens for %s (that needs the MANAGE permission)", r.Source, me.DisplayName(), r.User),
				"use an admin's token, or the bootstrap token (GDC_API_TOKEN)")
		}
		target = r.User
	} else if !me.CanCreateOwnToken() {
		return Credential{}, failure.New(failure.Auth,
			fmt.Sprintf("%s may not create API tokens: the SELF_CREATE_TOKEN permission is missing", me.DisplayName()),
			"ask an organization admin to grant SELF_CREATE_TOKEN, or to create the token for you (gdlogin login --method token --user "+me.UserID+")")
	}
	created, err := r.Client.CreateToken(ctx, target, r.TokenID)
	if err != nil {
		var ae *gooddata.APIError
		if errors.As(err, &ae) && ae.Kind == gooddata.KindNotFound && target != me.UserID {
			return Credential{}, failure.Wrap(failure.Usage, err, fmt.Sprintf("is %q the id of a user of this organization?", target))
		}
		return Credential{}, err
	}
	if created.ID != r.TokenID {
		d.emit(Event{Kind: TokenIDTaken, Wanted: r.TokenID, Created: created.ID})
	}
	owner, err := d.VerifyNew(ctx, r.Client, created)
	if err != nil {
		return Credential{}, err
	}
	return Credential{Host: r.Org, Profile: *owner, TokenID: created.ID, Token: created.Bearer, Method: r.Method, CreatedAt: d.Now()}, nil
}

// VerifyNew asks the organization who the new token belongs to. A token
// that does not work, or works for somebody else, is deleted again (with
// the token that created it) and reported.
func (d Deps) VerifyNew(ctx context.Context, creator *gooddata.Client, created *gooddata.CreatedToken) (*gooddata.Profile, error) {
	owner, err := creator.WithToken(created.Bearer.Reveal()).Profile(ctx)
	if err == nil && owner.UserID == created.UserID {
		return owner, nil
	}
	if err == nil {
		err = fmt.Errorf("verify the new token: it belongs to %s, not %s", owner.DisplayName(), created.UserID)
	} else {
		err = fmt.Errorf("verify the new token: %w", err)
	}
	if _, derr := DeleteToken(ctx, creator, created.UserID, created.ID); derr != nil {
		d.emit(Event{Kind: UnverifiedNotDeleted, Created: created.ID, Err: derr})
	}
	return nil, err
}

// CleanupTimeout bounds one deletion that tidies up after a command's
// work. It runs even when the command's own deadline has passed or the
// command was cancelled.
const CleanupTimeout = 15 * time.Second

// DeleteToken deletes API token tokenID of userID with c, within a
// CleanupTimeout of its own, so that a command that ran out of time still
// tidies up. A token the server no longer has counts as deleted: gone is
// then true and err nil.
func DeleteToken(ctx context.Context, c *gooddata.Client, userID, tokenID string) (gone bool, err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CleanupTimeout)
	defer cancel()
	err = c.DeleteToken(ctx, userID, tokenID)
	var ae *gooddata.APIError
	if errors.As(err, &ae) && ae.Kind == gooddata.KindNotFound {
		return true, nil
	}
	return false, err
}

// VerifyHandoff returns the check of a token the browser handed over
// (SPEC 3.5): it must work, belong to the user the page named, and to
// wantUser if set.
func VerifyHandoff(org, wantUser string, client ClientFactory) func(context.Context, handoff.Payload) (*gooddata.Profile, error) {
	return func(ctx context.Context, p handoff.Payload) (*gooddata.Profile, error) {
		c, err := client(org, p.Token)
		if err != nil {
			return nil, err
		}
		prof, err := c.Profile(ctx)
		if err != nil {
			return nil, err
		}
		if prof.UserID != p.UserID {
			return nil, fmt.Errorf("the token belongs to %s, not to %s as the page said", prof.DisplayName(), p.UserID)
		}
		if wantUser != "" && prof.UserID != wantUser {
			return nil, fmt.Errorf("the token belongs to %s, but --user asks for %s; sign in as %s and run the bookmark again", prof.DisplayName(), wantUser, wantUser)
		}
		return prof, nil
	}
}

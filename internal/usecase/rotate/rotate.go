// Package rotate replaces a profile's API token with a new one, in an
// order that leaves a working credential whatever step fails: the saved
// token creates the new one, the organization confirms it, it is saved
// (unless the profile changed meanwhile), and only then is the old one
// deleted.
package rotate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
)

// Deps are what rotating touches.
type Deps struct {
	Profiles   profile.Deps
	Client     credential.ClientFactory
	Now        func() time.Time
	NewTokenID func() string
	Events     func(Event)
}

// EventKind says what happened.
type EventKind int

const (
	// TokenIDTaken: the asked-for id was taken; Created is the new one's.
	TokenIDTaken EventKind = iota
	// UnverifiedNotDeleted: a new token that did not verify, Created,
	// could not be deleted again (Err).
	UnverifiedNotDeleted
	// CreatedNotSaved: the new token, Created, could not be saved nor
	// deleted again; it exists on the server.
	CreatedNotSaved
	// OldAlreadyGone: the old token, Old, was already deleted on the
	// server.
	OldAlreadyGone
)

// Event is news for the terminal; never a secret.
type Event struct {
	Kind    EventKind
	Profile string
	Wanted  string
	Created string
	Old     string
	Err     error
}

func (d Deps) emit(ev Event) {
	if d.Events != nil {
		d.Events(ev)
	}
}

// Input is one rotation.
type Input struct {
	Profile string
	// TokenID of the new token; empty means NewTokenID().
	TokenID string
	// Timeout bounds the calls to the organization.
	Timeout time.Duration
}

// Result is a saved rotation. It is set (Saved non-zero) whenever the new
// token replaced the old one in the profile, even when Run also returns
// the error of deleting the old token.
type Result struct {
	// Credential is the new token, with its owner as the server reported.
	Credential credential.Credential
	Saved      store.Profile
	// OldTokenID is the token the profile used before.
	OldTokenID string
}

// Rotated reports whether the profile holds the new token.
func (r Result) Rotated() bool { return r.Saved.Name != "" }

// Run rotates the token of profile in.Profile.
func (d Deps) Run(ctx context.Context, in Input) (Result, error) {
	st := d.Profiles.Store
	name := in.Profile
	cred, p, err := d.Profiles.Load(ctx, name)
	if err != nil {
		return Result{}, err
	}
	client, err := d.Client(p.Host, cred.Token.Reveal())
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, in.Timeout)
	defer cancel()
	unchanged := fmt.Sprintf("profile %q still uses API token %q", name, p.TokenID)

	// 1. The saved token must work, for the saved user.
	me, err := client.Profile(ctx)
	if err != nil {
		return Result{}, failed(ctx, in, err, p, "the saved token does not work: %v")
	}
	if me.UserID != p.UserID {
		return Result{}, failure.New(failure.Auth,
			fmt.Sprintf("the saved token of profile %q belongs to %s, not to %s; nothing changed", name, me.DisplayName(), p.UserID),
			"log in again: "+profile.LoginHint(name, p.Host))
	}

	// 2. Create and verify the new token.
	newID := in.TokenID
	if newID == "" {
		newID = d.NewTokenID()
	}
	created, err := client.CreateToken(ctx, p.UserID, newID)
	if err != nil {
		return Result{}, failed(ctx, in, err, p, "could not create the new token: %v; nothing changed, "+unchanged)
	}
	if created.ID != newID {
		d.emit(Event{Kind: TokenIDTaken, Profile: name, Wanted: newID, Created: created.ID})
	}
	minter := credential.Deps{Now: d.Now, Events: func(ev credential.Event) {
		if ev.Kind == credential.UnverifiedNotDeleted {
			d.emit(Event{Kind: UnverifiedNotDeleted, Profile: name, Created: ev.Created, Err: ev.Err})
		}
	}}
	owner, err := minter.VerifyNew(ctx, client, created)
	if err != nil {
		return Result{}, failed(ctx, in, err, p, "%v; nothing changed, "+unchanged)
	}

	// 3. Save it, unless the profile changed meanwhile.
	next := p
	next.TokenID = created.ID
	next.CreatedAt = d.Now()
	next.OrganizationID, next.OrganizationName = owner.OrganizationID, owner.OrganizationName
	saved, err := st.Rotate(ctx, next, store.Secret{Token: created.Bearer.Reveal()}, p.TokenID)
	if err != nil {
		serr := profile.StoreFailure(err, name, p.Host)
		cleanup := fmt.Sprintf("the new token %q was deleted again on the server", created.ID)
		if _, derr := credential.DeleteToken(ctx, client, created.UserID, created.ID); derr != nil {
			cleanup = fmt.Sprintf("the new token %q could not be deleted again on the server (%v)", created.ID, derr)
			d.emit(Event{Kind: CreatedNotSaved, Profile: name, Created: created.ID, Err: derr})
		}
		return Result{}, &failure.Error{Kind: failure.KindOf(serr), Err: serr,
			Message: fmt.Sprintf("could not save the new token: %v; %s, and %s", serr, cleanup, unchanged),
			Advice:  failure.HintOf(serr)}
	}

	// 4. Delete the old token, with the new one.
	res := Result{Credential: credential.Of(saved, created.Bearer), Saved: saved, OldTokenID: p.TokenID}
	res.Credential.Profile = *owner
	gone, derr := credential.DeleteToken(ctx, client.WithToken(created.Bearer.Reveal()), p.UserID, p.TokenID)
	if gone {
		d.emit(Event{Kind: OldAlreadyGone, Profile: name, Old: p.TokenID})
	}
	if derr != nil {
		kind := failure.KindOf(derr)
		if kind == failure.Usage {
			kind = failure.Other
		}
		return res, &failure.Error{Kind: kind, Err: derr,
			Message: fmt.Sprintf("profile %q now uses the new API token %q, but the old token %q could not be deleted on the server: %v",
				name, created.ID, p.TokenID, derr),
			Advice: fmt.Sprintf("the old token still works until it is deleted: %s", profile.DeleteCommand(name, p.TokenID))}
	}
	return res, nil
}

// failed explains a failure before anything was saved.
func failed(ctx context.Context, in Input, err error, p store.Profile, format string) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	kind := failure.KindOf(err)
	hint := failure.HintOf(err)
	if _, ok := gooddata.RefusedToken(err); ok {
		hint = "the saved token no longer works, so it cannot create a new one; log in again: " + profile.LoginHint(p.Name, p.Host)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		kind = failure.Timeout
		hint = fmt.Sprintf("the organization did not answer within %s; check your network, or allow more time with --timeout", in.Timeout)
	}
	return &failure.Error{Kind: kind, Err: err, Message: fmt.Sprintf(format, err), Advice: hint}
}

// Package replace saves a verified login into a profile and retires the
// API token it replaces, so that re-logins leave no live token behind:
// the new credential is saved first (only if no other gdlogin saved the
// profile since this login read it), and only then is the old token
// deleted on the server. A login that lost the race to another one
// deletes the token it made, since nothing will ever hold it.
package replace

import (
	"context"
	"errors"
	"fmt"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
)

// Deps are what saving a login touches.
type Deps struct {
	Profiles profile.Deps
	// Client reaches the new credential's organization, as the login did.
	Client credential.ClientFactory
	// ClientOf reaches a saved profile's organization with its own CA
	// file: an old token of another organization is deleted there, with
	// itself.
	ClientOf func(p store.Profile, token string) (*gooddata.Client, error)
}

// Input is one save.
type Input struct {
	Profile string
	Cred    credential.Credential
	// Seen is the profile's revision when the login started.
	Seen store.Revision
	// KeepOld leaves the replaced token alive (--keep-old).
	KeepOld bool
}

// Outcome is what became of the replaced token.
type Outcome int

const (
	// NothingReplaced: the profile was new, held no API token, or held
	// the same one.
	NothingReplaced Outcome = iota
	// Deleted on the server.
	Deleted
	// AlreadyGone: the server no longer had it, or no longer took it.
	AlreadyGone
	// KeptOld: --keep-old.
	KeptOld
	// NotMinted: this login created no API token (oidc --keep-jwt), so
	// it does not retire one either.
	NotMinted
	// StillHeld: other profiles on this machine hold it (HeldBy).
	StillHeld
	// NotDeleted: the deletion failed (Err); the token still works.
	NotDeleted
)

// Result is a saved login.
type Result struct {
	Saved store.Profile
	// Replaced is what the profile held before, when that was another
	// token or another organization's login.
	Replaced *store.Profile
	Old      Outcome
	HeldBy   []string
	Err      error
}

// DeleteHint is the command that deletes the replaced token, for
// NotDeleted, KeptOld and NotMinted.
func (r Result) DeleteHint() string {
	old := r.Replaced
	if old == nil {
		return ""
	}
	if old.Host == r.Saved.Host && old.UserID == r.Saved.UserID {
		return profile.DeleteCommand(r.Saved.Name, old.TokenID)
	}
	// The profile now belongs to another organization or user.
	other := r.Saved.Name + "-old"
	return fmt.Sprintf("gdlogin login %s --profile %s, then %s", old.Host, other, profile.DeleteCommand(other, old.TokenID))
}

// LostRaceError is a login that another gdlogin beat to the profile: it
// saved nothing, and the token it created is deleted again (Deleted) or
// still live (Err).
type LostRaceError struct {
	Changed *store.ChangedError
	TokenID string
	Deleted bool
	Err     error
}

func (e *LostRaceError) Error() string {
	if e.TokenID == "" {
		return fmt.Sprintf("%v; this login was not saved", e.Changed)
	}
	if e.Deleted {
		return fmt.Sprintf("%v; this login was not saved, and its new API token %q was deleted again on the server", e.Changed, e.TokenID)
	}
	return fmt.Sprintf("%v; this login was not saved, and its new API token %q could not be deleted again on the server (%v)", e.Changed, e.TokenID, e.Err)
}

func (e *LostRaceError) Unwrap() error { return e.Changed }

// Save saves in.Cred as profile in.Profile and retires the token it
// replaces. The error is the save's; a failed deletion is Result.Err.
func (d Deps) Save(ctx context.Context, in Input) (Result, error) {
	st := d.Profiles.Store
	prev, prevErr := st.Get(in.Profile)
	hadPrev := prevErr == nil
	// An old token of another organization or user is deleted with
	// itself, so its secret is read before the save removes it.
	var oldSecret store.Secret
	if hadPrev && prev.TokenID != "" && (prev.Host != in.Cred.Host || prev.UserID != in.Cred.Profile.UserID) && d.retires(in, prev) {
		if sec, err := st.Secret(ctx, in.Profile); err == nil {
			oldSecret = sec
		}
	}
	saved, err := d.Profiles.Save(ctx, in.Profile, in.Cred, in.Seen)
	if err != nil {
		var changed *store.ChangedError
		if errors.As(err, &changed) {
			return Result{}, d.lost(ctx, in, changed)
		}
		return Result{}, err
	}
	res := Result{Saved: saved.Profile, Replaced: saved.Replaced}
	if res.Replaced == nil {
		return res, nil
	}
	old := *res.Replaced
	switch {
	case in.KeepOld:
		res.Old = KeptOld
		return res, nil
	case !minted(in.Cred):
		res.Old = NotMinted
		return res, nil
	}
	if held := d.heldBy(old); len(held) > 0 {
		res.Old, res.HeldBy = StillHeld, held
		return res, nil
	}
	var client *gooddata.Client
	if old.Host == in.Cred.Host && old.UserID == in.Cred.Profile.UserID {
		client, err = d.Client(in.Cred.Host, in.Cred.Token.Reveal())
	} else if oldSecret.Token == "" {
		err = errors.New("its secret could not be read before the new login replaced it")
	} else {
		client, err = d.ClientOf(old, oldSecret.Token)
	}
	gone := false
	if err == nil {
		gone, err = credential.DeleteToken(ctx, client, old.UserID, old.TokenID)
	}
	_, refused := gooddata.RefusedToken(err)
	switch {
	case gone,
		refused && oldSecret.Token != "": // the old token deleting itself no longer works
		res.Old = AlreadyGone
	case err == nil:
		res.Old = Deleted
	default:
		res.Old, res.Err = NotDeleted, err
	}
	return res, nil
}

// retires reports whether a save of in would delete prev's token, as far
// as can be told before saving.
func (d Deps) retires(in Input, prev store.Profile) bool {
	return !in.KeepOld && minted(in.Cred) && prev.TokenID != ""
}

// minted reports whether the login created its API token.
func minted(c credential.Credential) bool {
	return c.TokenID != "" && (c.OIDC == nil || !c.OIDC.KeepJWT)
}

// heldBy lists the other profiles that hold p's token; a profile list
// that cannot be read counts as held, so nothing is deleted on a guess.
func (d Deps) heldBy(p store.Profile) []string {
	held, err := d.Profiles.AlsoHeldBy(p)
	if err != nil {
		return []string{"(the profile list could not be read)"}
	}
	return held
}

// lost deletes the token of a login that another gdlogin beat to the
// profile.
func (d Deps) lost(ctx context.Context, in Input, changed *store.ChangedError) error {
	le := &LostRaceError{Changed: changed}
	if minted(in.Cred) {
		le.TokenID = in.Cred.TokenID
		client, err := d.Client(in.Cred.Host, in.Cred.Token.Reveal())
		if err == nil {
			_, err = credential.DeleteToken(ctx, client, in.Cred.Profile.UserID, in.Cred.TokenID)
		}
		le.Deleted, le.Err = err == nil, err
	}
	hint := "gdlogin status" + profile.Flag(in.Profile) + " shows what the profile holds now; log in again to replace it"
	if le.TokenID != "" && !le.Deleted {
		hint = "the token below is this login's; delete it when done with it: " + profile.DeleteCommand(in.Profile, le.TokenID)
	}
	return &failure.Error{Kind: failure.Other, Err: le, Advice: hint}
}

// Unsaved reports whether err is a lost race whose token is gone, so
// there is nothing to print.
func Unsaved(err error) bool {
	var le *LostRaceError
	return errors.As(err, &le) && (le.TokenID == "" || le.Deleted)
}

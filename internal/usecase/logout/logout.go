// Package logout ends a profile: its token dies on the server first, then
// the local copy, so that a copy of the token anywhere else stops working
// too. A server that cannot be reached or refuses leaves everything as it
// was, unless the caller forces the local deletion.
package logout

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

// Deps are what logging out touches.
type Deps struct {
	Profiles profile.Deps
	Client   credential.ClientFactory
}

// Input is one logout.
type Input struct {
	Profile string
	// Force deletes the local copy even when the server did not delete
	// the token.
	Force bool
	// Timeout bounds the call to the server.
	Timeout time.Duration
}

// Outcome says what happened on the server.
type Outcome int

const (
	// Deleted: the server deleted the token.
	Deleted Outcome = iota
	// AlreadyGone: the server no longer knows or accepts the token.
	AlreadyGone
	// KeptOnServer: the server did not delete it (Result.ServerErr), and
	// Force removed the local copy anyway; the token still works.
	KeptOnServer
	// StillHeld: other saved profiles hold the same token (Result.HeldBy),
	// so it stays alive on the server for them.
	StillHeld
)

// Result is a finished logout: the profile is gone from this machine.
type Result struct {
	Profile   store.Profile
	Outcome   Outcome
	ServerErr error    // KeptOnServer
	HeldBy    []string // StillHeld
}

// ErrAlreadyGone means the server no longer knows or accepts the token.
var ErrAlreadyGone = errors.New("the token is already invalid on the server")

// Run logs profile in.Profile out.
func (d Deps) Run(ctx context.Context, in Input) (Result, error) {
	st := d.Profiles.Store
	p, err := st.Get(in.Profile)
	if err != nil {
		return Result{}, profile.StoreFailure(err, in.Profile, "")
	}
	res := Result{Profile: p}
	held, err := d.Profiles.AlsoHeldBy(p)
	if err != nil {
		return Result{}, profile.StoreFailure(err, in.Profile, p.Host)
	}
	var serverErr error
	if len(held) == 0 {
		serverErr = d.deleteOnServer(ctx, p, in.Timeout)
	}
	switch {
	case len(held) > 0:
		res.Outcome, res.HeldBy = StillHeld, held
	case serverErr == nil:
		res.Outcome = Deleted
	case errors.Is(serverErr, ErrAlreadyGone):
		res.Outcome = AlreadyGone
	case errors.Is(serverErr, context.Canceled):
		return Result{}, serverErr
	case !in.Force:
		return Result{}, explainFailure(serverErr, p)
	default:
		res.Outcome, res.ServerErr = KeptOnServer, serverErr
	}
	if err := st.Delete(ctx, in.Profile); err != nil {
		return Result{}, profile.StoreFailure(err, in.Profile, p.Host)
	}
	return res, nil
}

// deleteOnServer deletes p's token with itself.
func (d Deps) deleteOnServer(ctx context.Context, p store.Profile, timeout time.Duration) error {
	tok, err := d.Profiles.UsableToken(ctx, p)
	if err != nil {
		return fmt.Errorf("cannot delete the token on the server without it: %w", err)
	}
	client, err := d.Client(p.Host, tok.Reveal())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = client.DeleteToken(ctx, p.UserID, p.TokenID)
	var ae *gooddata.APIError
	if _, refused := gooddata.RefusedToken(err); refused || errors.As(err, &ae) && ae.Kind == gooddata.KindNotFound {
		return ErrAlreadyGone
	}
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		var ne *gooddata.NetworkError
		if !errors.As(err, &ne) {
			err = &gooddata.NetworkError{Op: "delete API token", Host: p.Host, Kind: gooddata.NetTimeout, Err: err}
		}
	}
	return err
}

// explainFailure keeps the failure's class and says that nothing was
// deleted and what forcing would do.
func explainFailure(err error, p store.Profile) error {
	kind := failure.KindOf(err)
	if kind == failure.Usage {
		kind = failure.Other
	}
	var ae *gooddata.APIError
	var ne *gooddata.NetworkError
	what := "could not delete API token %q on the server"
	switch {
	case errors.As(err, &ne):
		what = "could not reach the organization to delete API token %q"
	case errors.As(err, &ae) && ae.Kind == gooddata.KindForbidden:
		what = "the organization refused to delete API token %q"
	}
	hint := fmt.Sprintf("nothing was deleted; to delete only the local copy, run gdlogin logout%s --force (the token then keeps working on the server until it is deleted there with gdlogin tokens delete %s)",
		profile.Flag(p.Name), p.TokenID)
	if h := failure.HintOf(err); h != "" && ne != nil {
		hint = h + "; " + hint
	}
	return &failure.Error{Kind: kind, Err: err, Message: fmt.Sprintf(what+": %v", p.TokenID, err), Advice: hint}
}

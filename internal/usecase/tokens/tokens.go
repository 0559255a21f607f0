// Package tokens lists and deletes a user's API tokens on the server with
// the saved token of a profile, knowing which tokens the profiles on this
// machine hold: the current profile's own token is never deleted here
// (logout does that), and a token another profile holds is named before
// it goes.
package tokens

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
)

// Deps are what the token commands touch.
type Deps struct {
	Profiles profile.Deps
	Client   credential.ClientFactory
}

// Session is what list and delete share: the current profile, a client
// with its token, whose tokens, and the tokens saved on this machine.
type Session struct {
	Profile store.Profile
	// Target is whose tokens: the profile's user, or another (admins).
	Target string
	// Held maps a token id to the profiles on this machine that hold it
	// (same host and user).
	Held   map[string][]string
	client *gooddata.Client
}

// Open loads profile name and the tokens the profiles hold; user, when
// set, is whose tokens to manage.
func (d Deps) Open(ctx context.Context, name, user string) (*Session, error) {
	cred, p, err := d.Profiles.Load(ctx, name)
	if err != nil {
		return nil, err
	}
	client, err := d.Client(p.Host, cred.Token.Reveal())
	if err != nil {
		return nil, err
	}
	s := &Session{Profile: p, client: client, Target: p.UserID}
	if user != "" {
		s.Target = user
	}
	all, err := d.Profiles.Store.List()
	if err != nil {
		return nil, profile.StoreFailure(err, name, p.Host)
	}
	s.Held = profile.Holders(all, p.Host, s.Target)
	return s, nil
}

// InUse reports whether id is the token the current profile uses.
func (s *Session) InUse(id string) bool {
	return s.Target == s.Profile.UserID && id == s.Profile.TokenID
}

// Token is one listed token.
type Token struct {
	ID     string
	UserID string
	// InUse is true for the token of the current profile.
	InUse bool
	// Profiles are the saved profiles on this machine that hold it.
	Profiles []string
}

// List returns the target's tokens, within timeout.
func (s *Session) List(ctx context.Context, timeout time.Duration) ([]Token, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	list, err := s.client.ListTokens(ctx, s.Target)
	if err != nil {
		return nil, s.explain(err)
	}
	out := make([]Token, 0, len(list))
	for _, t := range list {
		held := s.Held[t.ID]
		if held == nil {
			held = []string{}
		}
		out = append(out, Token{ID: t.ID, UserID: s.Target, InUse: s.InUse(t.ID), Profiles: held})
	}
	return out, nil
}

// CheckDelete refuses ids that are not token ids, or that include the
// current profile's own token, before anything is deleted. It returns the
// ids without repetitions.
func (s *Session) CheckDelete(ids []string) ([]string, error) {
	ids = Unique(ids)
	for _, id := range ids {
		if !gooddata.ValidTokenID(id) {
			return nil, InvalidIDError(id)
		}
		if s.InUse(id) {
			return nil, failure.New(failure.Usage,
				fmt.Sprintf("API token %q is the one profile %q uses; tokens delete would leave the profile with a dead token", id, s.Profile.Name),
				"run gdlogin logout"+profile.Flag(s.Profile.Name)+", which deletes it on the server and here")
		}
	}
	return ids, nil
}

// InvalidIDError is the usage error for a string that is no token id.
func InvalidIDError(id string) error {
	return failure.Usagef("%q is not a valid token id: use letters, digits, '.', '_' and '-' (not first '.'), up to 255 characters", id)
}

// Deletion is the outcome of deleting one token.
type Deletion struct {
	ID string
	// HeldBy are the profiles on this machine that used it.
	HeldBy []string
	Err    error
}

// Delete deletes ids one after the other within timeout, and reports each
// one as it is done (report may be nil). It stops early only when
// cancelled; the error is then context.Canceled.
func (s *Session) Delete(ctx context.Context, ids []string, timeout time.Duration, report func(Deletion)) ([]Deletion, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var out []Deletion
	for _, id := range ids {
		err := s.client.DeleteToken(ctx, s.Target, id)
		if errors.Is(err, context.Canceled) {
			return out, err
		}
		var ae *gooddata.APIError
		if errors.As(err, &ae) && ae.Kind == gooddata.KindNotFound {
			err = failure.Wrap(failure.Usage, err, "gdlogin tokens list shows the ids")
		} else if err != nil {
			err = s.explain(err)
		}
		d := Deletion{ID: id, HeldBy: s.Held[id], Err: err}
		if report != nil {
			report(d)
		}
		out = append(out, d)
	}
	return out, nil
}

// explain adds what to do when listing or deleting is refused.
func (s *Session) explain(err error) error {
	var ae *gooddata.APIError
	if errors.As(err, &ae) {
		_, refused := gooddata.RefusedToken(err)
		switch {
		case ae.Kind == gooddata.KindForbidden && s.Target != s.Profile.UserID:
			return failure.Wrap(failure.Auth, err, fmt.Sprintf("managing the tokens of %s needs the MANAGE permission; use an admin's profile (--profile)", s.Target))
		case ae.Kind == gooddata.KindForbidden:
			return failure.Wrap(failure.Auth, err, "managing your own API tokens needs the SELF_CREATE_TOKEN (or MANAGE) permission; ask an organization admin")
		case refused:
			return failure.Wrap(failure.Auth, err, "the saved token of profile "+s.Profile.Name+" no longer works; log in again: "+profile.LoginHint(s.Profile.Name, s.Profile.Host))
		case ae.Kind == gooddata.KindNotFound && s.Target != s.Profile.UserID:
			return failure.Wrap(failure.Usage, err, fmt.Sprintf("is %q the id of a user of this organization?", s.Target))
		}
	}
	return err
}

// Unique drops repeated values, keeping the first of each.
func Unique(list []string) []string {
	var out []string
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Pruning is what tokens prune would delete, and what it leaves.
type Pruning struct {
	// Delete are gdlogin's tokens (ids DefaultTokenID made) of this
	// machine, or of any machine when asked, that no profile here holds.
	Delete []string
	// OtherMachines are gdlogin's tokens made on other machines that no
	// profile here holds: they may be another computer's saved login.
	OtherMachines []string
}

// Prunable sorts listed tokens for tokens prune: host is this machine's
// part of gdlogin's ids (gooddata.TokenIDHost); anyHost also takes the
// other machines' tokens. A token a profile here holds, the current
// profile's, or one gdlogin did not name is never in Delete.
func Prunable(list []Token, host string, anyHost bool) Pruning {
	var p Pruning
	for _, t := range list {
		made, ok := gooddata.MadeByDefault(t.ID)
		if !ok || t.InUse || len(t.Profiles) > 0 {
			continue
		}
		if made == host || anyHost {
			p.Delete = append(p.Delete, t.ID)
		} else {
			p.OtherMachines = append(p.OtherMachines, t.ID)
		}
	}
	return p
}

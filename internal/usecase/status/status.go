// Package status checks saved profiles with their organizations, all at
// once: for each, whether its token still works and belongs to its user,
// and if not, the problem, its class and what to do.
package status

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
)

// Parallel bounds how many organizations are asked at once.
const Parallel = 8

// Problems a profile can have; status --output json names them so.
const (
	InvalidToken  = "invalid_token"  // the organization refused the token
	UserMismatch  = "user_mismatch"  // the token belongs to another user
	SecretMissing = "secret_missing" // the token is gone from its store
	SecretError   = "secret_error"   // the store could not be read
	Unreachable   = "unreachable"    // no answer, refused, DNS, TLS
	TimedOut      = "timeout"        // the timeout ran out
	ServerError   = "server_error"   // an answer that is not the expected one
	SetupError    = "setup_error"    // no client for the organization (an unusable CA file)
)

// Deps are what checking touches.
type Deps struct {
	Profiles profile.Deps
	Client   credential.ClientFactory
	// Bind, when set, gives the dependencies for checking profile p (the
	// command line builds them on the CA file saved with p).
	Bind func(p store.Profile) (Deps, error)
}

// Input says which profiles to check.
type Input struct {
	// Current is the current profile's name; Only checks it alone,
	// otherwise every saved profile is checked.
	Current string
	Only    bool
	Timeout time.Duration
}

// Check is one checked profile.
type Check struct {
	Profile store.Profile
	Current bool
	Valid   bool
	// Owner is who the server says the token belongs to (Valid).
	Owner *gooddata.Profile
	// Problem, Reason, Kind and Hint say what is wrong (not Valid).
	Problem string
	Reason  string
	Kind    failure.Kind
	Hint    string
}

// ErrNoProfiles: there is nothing to check.
var ErrNoProfiles = errors.New("no saved profiles")

// Run checks the profiles concurrently within in.Timeout.
func (d Deps) Run(ctx context.Context, in Input) ([]Check, error) {
	st := d.Profiles.Store
	var profiles []store.Profile
	if in.Only {
		p, err := st.Get(in.Current)
		if err != nil {
			return nil, profile.StoreFailure(err, in.Current, "")
		}
		profiles = []store.Profile{p}
	} else {
		var err error
		profiles, err = st.List()
		if err != nil {
			return nil, profile.StoreFailure(err, in.Current, "")
		}
	}
	if len(profiles) == 0 {
		return nil, failure.New(failure.Auth, "not logged in: no saved profiles in "+st.ConfigPath(), "log in first: gdlogin login ORG_URL")
	}
	ctx, cancel := context.WithTimeout(ctx, in.Timeout)
	defer cancel()
	checks := make([]Check, len(profiles))
	sem := make(chan struct{}, Parallel)
	var wg sync.WaitGroup
	for i, p := range profiles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			checks[i] = d.check(ctx, p, p.Name == in.Current)
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); errors.Is(err, context.Canceled) {
		return nil, err
	}
	return checks, nil
}

// check asks p's organization who p's token belongs to.
func (d Deps) check(ctx context.Context, p store.Profile, current bool) Check {
	c := Check{Profile: p, Current: current}
	setup := func(err error) Check {
		c.Problem, c.Reason, c.Kind, c.Hint = SetupError, err.Error(), failure.KindOf(err), failure.HintOf(err)
		return c
	}
	if d.Bind != nil {
		bound, err := d.Bind(p)
		if err != nil {
			return setup(err)
		}
		d = bound
	}
	relogin := "log in again: " + profile.LoginHint(p.Name, p.Host)
	tok, err := d.Profiles.UsableToken(ctx, p)
	if err != nil {
		c.Problem, c.Reason, c.Kind, c.Hint = SecretError, err.Error(), failure.KindOf(err), failure.HintOf(err)
		if errors.Is(err, store.ErrSecretNotFound) {
			c.Problem, c.Hint = SecretMissing, relogin
		}
		return c
	}
	client, err := d.Client(p.Host, tok.Reveal())
	if err != nil {
		return setup(err)
	}
	me, err := client.Profile(ctx)
	var ne *gooddata.NetworkError
	ae, refused := gooddata.RefusedToken(err)
	switch {
	case err == nil && me.UserID != p.UserID:
		c.Problem, c.Kind, c.Hint = UserMismatch, failure.Auth, relogin
		c.Reason = fmt.Sprintf("the token belongs to %s, not to %s", me.DisplayName(), p.UserID)
	case err == nil:
		c.Valid, c.Owner = true, me
	case refused:
		c.Problem, c.Kind, c.Hint = InvalidToken, failure.Auth, relogin
		c.Reason = "the organization refused the token (was it deleted on the server?)"
		if ae.TraceID != "" {
			c.Reason += " (trace id " + ae.TraceID + ")"
		}
	case errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded):
		c.Problem, c.Kind, c.Hint = Unreachable, failure.Network, failure.HintOf(err)
		c.Reason = err.Error()
		if (ne != nil && ne.Kind == gooddata.NetTimeout) || errors.Is(err, context.DeadlineExceeded) {
			c.Problem, c.Kind = TimedOut, failure.Timeout
			c.Hint = "the organization did not answer in time; check the URL and your network, or allow more time with --timeout"
		}
	default:
		c.Problem, c.Reason, c.Kind, c.Hint = ServerError, err.Error(), failure.KindOf(err), failure.HintOf(err)
	}
	return c
}

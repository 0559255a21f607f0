// Package login is the login use case: one of the token, browser (with
// its paste mode) and OIDC methods, within a deadline, to a verified
// credential. It reports progress as events and the outcome as a value;
// it prints nothing. The loopback pages of the browser and OIDC methods
// may still be showing the outcome when Run returns: the caller hands the
// credential to the user first and then closes them (Pages.Close).
package login

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
)

// Input is one login.
type Input struct {
	// Org is the validated organization origin (gooddata.ParseOrgURL).
	Org string
	// Method is credential.MethodBrowser, MethodToken or MethodOIDC.
	Method string
	// Timeout bounds the whole login.
	Timeout time.Duration
	// User, when set, is whom the token is for (token method, admins), or
	// whom it must belong to (browser and oidc).
	User string
	// TokenID of the new token; empty means Deps.NewTokenID().
	TokenID string

	// Existing and ExistingSource are the token method's existing token
	// and where it came from ("GDC_API_TOKEN"), for messages.
	Existing, ExistingSource string

	// Port is the loopback port of the browser and oidc methods; zero
	// means a free one.
	Port int
	// Remote is the browser method's paste mode (SPEC 3.7).
	Remote bool
	// Installation signs the browser method's pairing (SPEC 3.11); the
	// browser and paste modes need it.
	Installation *handoff.InstallationKey
	// Envelopes delivers the pastes of paste mode until ctx ends; a
	// closed channel means the input ended.
	Envelopes func(ctx context.Context) <-chan Paste

	// OIDC is the oidc method's provider and client.
	OIDC OIDCInput
}

// OIDCInput are the settings of the oidc method.
type OIDCInput struct {
	Issuer, ClientID, ClientSecret string
	Scopes                         []string
	// KeepJWT keeps the ID token (and a refresh token) as the credential
	// instead of creating an API token.
	KeepJWT bool
}

// Paste is one line of paste mode's input.
type Paste struct {
	Text string
	Err  error
}

// Deps are what a login touches.
type Deps struct {
	Now func() time.Time
	// NewTokenID proposes the id of a new token (gdlogin-<host>-<time>).
	NewTokenID func() string
	// Client builds API clients.
	Client credential.ClientFactory
	// HTTPClient reaches the identity provider (oidc).
	HTTPClient *http.Client
	// Events, when set, hears about progress.
	Events func(Event)
}

// EventKind says what happened.
type EventKind int

const (
	// UsingExisting: the token method creates the new token with the
	// existing one from Source.
	UsingExisting EventKind = iota
	// StartPage: the page to open in the browser is URL (the local start
	// page, or the OIDC start URL, which redirects to AuthURL). For the
	// browser method, OrgURL is the organization with the pairing, as the
	// start page's "Open the organization" link has it: what a user whose
	// bookmark works needs, without the start page.
	StartPage
	// Waiting: the login waits for the user until Deadline.
	Waiting
	// PasteStart: paste mode is ready; Paste holds what the user needs.
	PasteStart
	// PasteRefused: a paste was not this login's envelope (Err).
	PasteRefused
	// PasteAccepted: an envelope opened; the token of User is verified.
	PasteAccepted
	// ProviderOpened: the browser went on to the identity provider.
	ProviderOpened
	// Rejected: the loopback server refused a request (Reason); the login
	// goes on.
	Rejected
	// Received: a token of User arrived (browser), or the identity
	// provider sent the browser back (oidc); it is being verified.
	Received
	// VerifyFailed: the organization (or the identity provider) did not
	// confirm what arrived (Err); the login goes on.
	VerifyFailed
	// Verified: the result is committed.
	Verified
	// IDTokenKept: the oidc --keep-jwt credential is valid until Expiry;
	// NoRefreshToken says it cannot be renewed.
	IDTokenKept
	// TokenIDTaken: the asked-for id was taken; Created is the new one's.
	TokenIDTaken
	// UnverifiedNotDeleted: a token that did not verify, Created, could
	// not be deleted again (Err).
	UnverifiedNotDeleted
)

// Event is progress for the terminal. It never carries a secret.
type Event struct {
	Kind     EventKind
	Method   string // the login method
	Source   string // UsingExisting
	URL      string // StartPage
	AuthURL  string // StartPage of the oidc method: the identity provider's address
	OrgURL   string // StartPage of the browser method: the organization with the pairing
	Deadline time.Time
	// ConfirmationCode of the browser method's pairing (Waiting): the
	// organization's page shows it when it asks to confirm an installation
	// it does not know yet (SPEC 3.11).
	ConfirmationCode string
	Paste            *PasteInfo
	Reason           string
	User             string
	Err              error
	Wanted           string // TokenIDTaken
	Created          string // TokenIDTaken, UnverifiedNotDeleted
	Expiry           time.Time
	// NoRefreshToken: IDTokenKept without a refresh token.
	NoRefreshToken bool
}

// PasteInfo is what paste mode shows the user.
type PasteInfo struct {
	OpenOrgURL       string // the organization with the pairing
	PairingCode      string
	Snippet          string // the console snippet of this login
	ConfirmationCode string
}

func (d Deps) emit(ev Event) {
	if d.Events != nil {
		d.Events(ev)
	}
}

func (d Deps) tokenID(in Input) string {
	if in.TokenID != "" {
		return in.TokenID
	}
	return d.NewTokenID()
}

func (d Deps) minter() credential.Deps {
	return credential.Deps{Now: d.Now, Events: func(ev credential.Event) {
		switch ev.Kind {
		case credential.TokenIDTaken:
			d.emit(Event{Kind: TokenIDTaken, Wanted: ev.Wanted, Created: ev.Created})
		case credential.UnverifiedNotDeleted:
			d.emit(Event{Kind: UnverifiedNotDeleted, Created: ev.Created, Err: ev.Err})
		}
	}}
}

// Pages are the loopback pages of a finished login, which may still be
// showing its outcome. Close lets them show it (at most their grace
// period) and shuts the server down. A nil *Pages has nothing to close.
type Pages struct {
	once  sync.Once
	close func() error
	err   error
}

// Close waits until the pages have shown the outcome, at most their grace
// period, then closes the loopback server. Calling it again does nothing.
func (p *Pages) Close() error {
	if p == nil {
		return nil
	}
	p.once.Do(func() { p.err = p.close() })
	return p.err
}

// Run logs in with in.Method within in.Timeout. It returns as soon as the
// credential is verified and committed, or the login failed; call Close
// on the returned Pages afterwards in both cases.
func (d Deps) Run(ctx context.Context, in Input) (credential.Credential, *Pages, error) {
	ctx, cancel := context.WithTimeout(ctx, in.Timeout)
	defer cancel()
	var (
		cred  credential.Credential
		pages *Pages
		err   error
	)
	switch in.Method {
	case credential.MethodBrowser:
		if in.Remote {
			cred, err = d.paste(ctx, in)
		} else {
			cred, pages, err = d.browser(ctx, in)
		}
	case credential.MethodOIDC:
		cred, pages, err = d.oidc(ctx, in)
	case credential.MethodToken:
		cred, err = d.token(ctx, in)
	default:
		err = failure.Usagef("unknown login method %q", in.Method)
	}
	if err != nil {
		var fe *failure.Error
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && !errors.As(err, &fe) {
			err = &failure.Error{Kind: failure.Timeout, Err: err, Message: fmt.Sprintf("gave up after %s: %v", in.Timeout, err),
				Advice: "the organization did not answer in time; check the URL and your network, or allow more time with --timeout"}
		}
	}
	return cred, pages, err
}

// token creates a new token with an existing one.
func (d Deps) token(ctx context.Context, in Input) (credential.Credential, error) {
	d.emit(Event{Kind: UsingExisting, Method: in.Method, Source: in.ExistingSource})
	client, err := d.Client(in.Org, in.Existing)
	if err != nil {
		return credential.Credential{}, err
	}
	me, err := client.Profile(ctx)
	if err != nil {
		return credential.Credential{}, explainExistingToken(err, in.ExistingSource)
	}
	return d.minter().Mint(ctx, credential.MintRequest{
		Org: in.Org, Client: client, Me: me, Source: in.ExistingSource,
		User: in.User, TokenID: d.tokenID(in), Method: credential.MethodToken,
	})
}

func explainExistingToken(err error, source string) error {
	if ae, ok := gooddata.RefusedToken(err); ok {
		return &failure.Error{Kind: failure.Auth, Err: err,
			Message: fmt.Sprintf("the token from %s is not valid for this organization%s", source, traceSuffix(ae.TraceID)),
			Advice:  "it may have been deleted, or belong to another organization; check the URL and the token, or log in with the browser method"}
	}
	return err
}

func traceSuffix(id string) string {
	if id == "" {
		return ""
	}
	return " (trace id " + id + ")"
}

// listenLoopback binds 127.0.0.1 (never localhost, never all interfaces)
// and keeps the socket: the port is the one the pairing names, with no
// window in which another process could take it.
func listenLoopback(port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		if port != 0 && errors.Is(err, syscall.EADDRINUSE) {
			return nil, &failure.Error{Kind: failure.Usage, Err: err, Message: fmt.Sprintf("port %d is in use (by another login?)", port),
				Advice: "finish or cancel the other gdlogin, pick another --port, or leave --port out to use a free one"}
		}
		return nil, fmt.Errorf("listen on 127.0.0.1: %w", err)
	}
	return ln, nil
}

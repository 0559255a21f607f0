package login

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/static"
	"github.com/gdlogin/gdlogin/web"
)

// OpenOrgURL opens the organization with the pairing. It goes through
// /appLogin with the fragment inside redirectTo, so that the pairing
// survives a single sign-on round trip on servers that keep redirectTo
// (SPEC 3.8); signed-in users are sent straight on.
func OpenOrgURL(org, pairingCode string) string {
	return org + "/appLogin?redirectTo=/%23gdlogin%3D" + pairingCode
}

// browser runs the session handoff of SPEC 3 on a loopback server and
// returns the verified credential as soon as it is committed.
func (d Deps) browser(ctx context.Context, in Input) (credential.Credential, *Pages, error) {
	ln, err := listenLoopback(in.Port)
	if err != nil {
		return credential.Credential{}, nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	sess, err := handoff.NewSession(port, d.tokenID(in), in.Org, in.Installation, nil)
	if err != nil {
		ln.Close()
		return credential.Credential{}, nil, err
	}
	snippet, err := static.Snippet(sess.PairingCode())
	if err != nil {
		ln.Close()
		return credential.Credential{}, nil, err
	}
	deadline, _ := ctx.Deadline()
	srv, err := web.New(web.Config{
		Listener:    ln,
		Session:     sess,
		Org:         in.Org,
		OpenOrgURL:  OpenOrgURL(in.Org, sess.PairingCode()),
		Bookmarklet: static.Bookmarklet(),
		Snippet:     snippet,
		ExpectUser:  in.User,
		Deadline:    deadline,
		Verify:      credential.VerifyHandoff(in.Org, in.User, d.Client),
		Events:      d.webEvent,
		// The verification is on the path the user waits on: when the
		// callback page loads, the envelope is milliseconds away.
		CallbackOpened: func() { d.warm(ctx, in.Org) },
	})
	if err != nil {
		ln.Close()
		return credential.Credential{}, nil, err
	}
	srv.Start()
	go d.warm(ctx, in.Org)
	pages := &Pages{close: func() error {
		// The start page long-polls for the outcome; the wait is bounded
		// by the server's grace period, whatever the login's context.
		_ = srv.WaitStatusDelivered(context.Background())
		return srv.Close()
	}}

	d.emit(Event{Kind: StartPage, Method: in.Method, URL: srv.StartURL(), OrgURL: OpenOrgURL(in.Org, sess.PairingCode())})
	d.emit(Event{Kind: Waiting, Method: in.Method, Deadline: deadline, ConfirmationCode: sess.ConfirmationCode()})

	select {
	case <-srv.Done():
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			srv.Fail(ctx.Err(), "gdlogin stopped waiting: the login timed out.", "Run gdlogin login again when you are ready; --timeout allows more time.")
			return credential.Credential{}, pages, failure.New(failure.Timeout, fmt.Sprintf("no token arrived within %s", in.Timeout),
				"sign in on the page gdlogin opened and click the gdlogin bookmark on the organization's tab; --timeout allows more time")
		}
		srv.Fail(ctx.Err(), "The login was cancelled in the terminal.", "Run gdlogin login again if you still need a token.")
		return credential.Credential{}, pages, context.Canceled
	}
	res, err := srv.Result()
	var reported *web.ReportedError
	if errors.As(err, &reported) {
		return credential.Credential{}, pages, &failure.Error{Kind: failure.Auth, Err: err, Message: reported.Message,
			Advice: "an organization admin can grant SELF_CREATE_TOKEN, or create the token for you: gdlogin login " + in.Org + " --method token --user " + reported.UserID}
	}
	if err != nil {
		return credential.Credential{}, pages, err
	}
	bookmark := credential.BookmarkNotUsed
	if res.Payload.Bookmark {
		bookmark = credential.BookmarkWorked
	}
	return credential.Credential{Host: in.Org, Profile: *res.Profile, TokenID: res.Payload.TokenID, Token: gooddata.Secret(res.Payload.Token),
		Method: credential.MethodBrowser, CreatedAt: d.Now(), Bookmark: bookmark}, pages, nil
}

// warm opens a connection to the organization on the shared HTTP client,
// so that the token's verification finds one ready (gooddata.Client.Warm).
func (d Deps) warm(ctx context.Context, org string) {
	if c, err := d.Client(org, ""); err == nil {
		c.Warm(ctx)
	}
}

// webEvent passes the loopback server's progress on.
func (d Deps) webEvent(ev web.Event) {
	m := credential.MethodBrowser
	switch ev.Kind {
	case web.EventRejected:
		d.emit(Event{Kind: Rejected, Method: m, Reason: ev.Reason})
	case web.EventReceived:
		d.emit(Event{Kind: Received, Method: m, User: ev.User})
	case web.EventVerifyFailed:
		d.emit(Event{Kind: VerifyFailed, Method: m, Err: ev.Err})
	case web.EventCommitted:
		d.emit(Event{Kind: Verified, Method: m})
	}
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/static"
	"github.com/gdlogin/gdlogin/web"
)

// listenLoopback binds 127.0.0.1 (never localhost, never all interfaces)
// and keeps the socket: the port is the one the pairing names, with no
// window in which another process could take it.
func listenLoopback(port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		if port != 0 && errors.Is(err, syscall.EADDRINUSE) {
			return nil, &userError{code: ExitUsage, err: err, msg: fmt.Sprintf("port %d is in use (by another login?)", port),
				hint: "finish or cancel the other gdlogin, pick another --port, or leave --port out to use a free one"}
		}
		return nil, fmt.Errorf("listen on 127.0.0.1: %w", err)
	}
	return ln, nil
}

// openOrgURL opens the organization with the pairing. It goes through
// /appLogin with the fragment inside redirectTo, so that the pairing
// survives a single sign-on round trip on servers that keep redirectTo
// (SPEC 3.8); signed-in users are sent straight on.
func openOrgURL(org, pairingCode string) string {
	return org + "/appLogin?redirectTo=/%23gdlogin%3D" + pairingCode
}

// loginWithBrowser runs the session handoff of SPEC 3 and returns the
// verified credential.
func (a *app) loginWithBrowser(ctx context.Context, org string, o *loginOptions) (credential, error) {
	ln, err := listenLoopback(o.port)
	if err != nil {
		return credential{}, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	tokenID := o.tokenID
	if tokenID == "" {
		tokenID = a.defaultTokenID()
	}
	key, err := a.installationKey(ctx, o.ephemeralInstallation)
	if err != nil {
		ln.Close()
		return credential{}, err
	}
	sess, err := handoff.NewSession(port, tokenID, org, key, nil)
	if err != nil {
		ln.Close()
		return credential{}, err
	}
	snippet, err := static.Snippet(sess.PairingCode())
	if err != nil {
		ln.Close()
		return credential{}, err
	}
	start := a.env.Now()
	deadline, _ := ctx.Deadline()
	srv, err := web.New(web.Config{
		Listener:    ln,
		Session:     sess,
		Org:         org,
		OpenOrgURL:  openOrgURL(org, sess.PairingCode()),
		Bookmarklet: static.Bookmarklet(),
		Snippet:     snippet,
		ExpectUser:  o.user,
		Deadline:    deadline,
		Verify:      a.verifyHandoff(org, o.user),
		Events:      a.handoffProgress(start),
	})
	if err != nil {
		ln.Close()
		return credential{}, err
	}
	srv.Start()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	u := srv.StartURL()
	if o.noBrowser {
		a.say("Open this page in a browser on this computer to log in to %s:\n\n    %s\n", org, u)
	} else {
		a.say("Opening the login page in your browser. If it does not open, go to:\n\n    %s\n", u)
		if err := a.env.OpenBrowser(u, o.browserCommand); err != nil {
			a.warn("could not open a browser (%v); open the address above yourself", err)
		}
	}
	a.say("If the organization's page asks you to confirm this login, click Send only if it shows this code:\nConfirmation code: %s\n", sess.ConfirmationCode())
	a.say("Waiting for you to sign in to %s and run gdlogin there (Ctrl-C to cancel, gives up at %s)…", org, deadline.Local().Format("15:04:05"))
	stopSpinner := a.spin("waiting for the browser", start)
	defer stopSpinner()

	select {
	case <-srv.Done():
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			srv.Fail(ctx.Err(), "gdlogin stopped waiting: the login timed out.", "Run gdlogin login again when you are ready; --timeout allows more time.")
			return credential{}, &userError{code: ExitTimeout, msg: fmt.Sprintf("no token arrived within %s", o.timeout),
				hint: "sign in on the page gdlogin opened and click the gdlogin bookmark on the organization's tab; --timeout allows more time"}
		}
		srv.Fail(ctx.Err(), "The login was cancelled in the terminal.", "Run gdlogin login again if you still need a token.")
		return credential{}, context.Canceled
	}
	res, err := srv.Result()
	var reported *web.ReportedError
	if errors.As(err, &reported) {
		return credential{}, &userError{code: ExitAuth, err: err, msg: reported.Message,
			hint: "an organization admin can grant SELF_CREATE_TOKEN, or create the token for you: gdlogin login " + org + " --method token --user " + reported.UserID}
	}
	if err != nil {
		return credential{}, err
	}
	return credential{Host: org, Profile: *res.Profile, TokenID: res.Payload.TokenID, Token: gooddata.Secret(res.Payload.Token),
		Method: methodBrowser, CreatedAt: a.env.Now()}, nil
}

// verifyHandoff checks a received token with the organization (SPEC 3.5):
// it must work, belong to the user the page named, and to --user if given.
func (a *app) verifyHandoff(org, wantUser string) web.Verifier {
	return func(ctx context.Context, p handoff.Payload) (*gooddata.Profile, error) {
		c, err := a.client(org, p.Token)
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

// handoffProgress reports the loopback server's events on stderr, with the
// time since the login started.
func (a *app) handoffProgress(start time.Time) func(web.Event) {
	return func(ev web.Event) {
		elapsed := a.env.Now().Sub(start).Round(time.Second)
		switch ev.Kind {
		case web.EventRejected:
			if a.verbose {
				a.say("[%s] refused a request to the local server: %s", elapsed, ev.Reason)
			}
		case web.EventReceived:
			a.say("[%s] Signed in: a token for %s arrived; verifying it with the organization…", elapsed, ev.User)
		case web.EventVerifyFailed:
			a.say("[%s] The organization did not confirm that token: %v. Still waiting (Ctrl-C to cancel).", elapsed, ev.Err)
		case web.EventCommitted:
			a.say("[%s] Verified.", elapsed)
		}
	}
}

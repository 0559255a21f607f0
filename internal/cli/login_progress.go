package cli

// The words of a login in progress: what the login use case reports,
// turned into lines on stderr, with the time since the login started and a
// spinner while gdlogin waits on the user.

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/usecase/login"
)

// loginProgress is the terminal side of one login.
type loginProgress struct {
	a     *app
	o     *loginOptions
	start time.Time

	mu          sync.Mutex
	stopSpinner func()
}

func (a *app) loginProgress(o *loginOptions) *loginProgress {
	return &loginProgress{a: a, o: o, start: a.env.Now()}
}

// stop ends the spinner, if one turns.
func (p *loginProgress) stop() {
	p.mu.Lock()
	stop := p.stopSpinner
	p.stopSpinner = nil
	p.mu.Unlock()
	if stop != nil {
		stop()
	}
}

func (p *loginProgress) spin(label string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopSpinner == nil {
		p.stopSpinner = p.a.spin(label, p.a.env.Now())
	}
}

func (p *loginProgress) event(ev login.Event) {
	a, o := p.a, p.o
	elapsed := a.env.Now().Sub(p.start).Round(time.Second)
	oidc := ev.Method == methodOIDC
	switch ev.Kind {
	case login.UsingExisting:
		a.say("Using the existing token from %s.", ev.Source)
	case login.StartPage:
		switch {
		case oidc && o.noBrowser:
			a.say("Open this address in a browser on this computer to sign in with %s:\n\n    %s\n", o.oidc.issuer, ev.URL)
		case oidc:
			a.say("Opening your identity provider in the browser. If it does not open, go to:\n\n    %s\n", ev.URL)
		case !o.bookmark.IsZero():
			a.openOrgDirectly(o, ev)
			return
		case o.noBrowser:
			a.say("Open this page in a browser on this computer to log in to %s:\n\n    %s\n", p.org(), ev.URL)
		default:
			a.say("Opening the login page in your browser. If it does not open, go to:\n\n    %s\n", ev.URL)
		}
		if !o.noBrowser {
			if err := a.env.OpenBrowser(ev.URL, o.browserCommand); err != nil {
				a.warn("could not open a browser (%v); open the address above yourself", err)
			}
		}
		if oidc && a.verbose {
			a.say("The address redirects to %s", ev.AuthURL)
		}
	case login.Waiting:
		when := ev.Deadline.Local().Format("15:04:05")
		if oidc {
			a.say("Waiting for you to sign in at %s (Ctrl-C to cancel, gives up at %s)…", o.oidc.issuer, when)
			p.spin("waiting for the identity provider")
		} else {
			a.say("If the organization's page asks you to confirm this login, click Send only if it shows this code:\nConfirmation code: %s\n", ev.ConfirmationCode)
			a.say("Waiting for you to sign in to %s and run gdlogin there (Ctrl-C to cancel, gives up at %s)…", p.org(), when)
			p.spin("waiting for the browser")
		}
	case login.PasteStart:
		// say cleans every argument, a line break included; the snippet
		// is gdlogin's own two lines (a comment, then the code), so each
		// line is an argument of its own, or the code would end up in the
		// comment.
		comment, code, _ := strings.Cut(strings.TrimRight(ev.Paste.Snippet, "\n"), "\n")
		a.say(pasteInstructions, ev.Paste.OpenOrgURL, ev.Paste.PairingCode, comment, code, ev.Paste.ConfirmationCode)
		a.say("(gdlogin waits until %s; Ctrl-C to cancel.)", ev.Deadline.Local().Format("15:04:05"))
	case login.PasteRefused:
		a.say("That is not this login's envelope (%s). Check the confirmation code and paste the whole envelope again.", pasteProblem(ev.Err))
	case login.PasteAccepted:
		a.say("Envelope accepted: a token for %s; verifying it with the organization…", ev.User)
	case login.ProviderOpened:
		a.say("[%s] The browser went on to the identity provider; sign in there.", elapsed)
	case login.Rejected:
		if a.verbose {
			a.say("[%s] refused a request to the local server: %s", elapsed, ev.Reason)
		}
	case login.Received:
		if oidc {
			a.say("[%s] Signed in at the identity provider; verifying the ID token and checking it with the organization…", elapsed)
		} else {
			a.say("[%s] Signed in: a token for %s arrived; verifying it with the organization…", elapsed, ev.User)
		}
	case login.VerifyFailed:
		switch {
		case oidc:
			a.say("[%s] The identity provider did not confirm a sign-in: %v. Still waiting (Ctrl-C to cancel).", elapsed, ev.Err)
		case o.remote:
			a.say("The organization did not confirm that token: %v. Paste another envelope, or Ctrl-C to cancel.", ev.Err)
		default:
			a.say("[%s] The organization did not confirm that token: %v. Still waiting (Ctrl-C to cancel).", elapsed, ev.Err)
		}
	case login.Verified:
		a.say("[%s] Verified.", elapsed)
	case login.IDTokenKept:
		a.say("The ID token is valid until %s.", ev.Expiry.Local().Format("2006-01-02 15:04:05"))
		if ev.NoRefreshToken {
			a.warn("the identity provider gave no refresh token (does the client allow offline_access?); log in again when the ID token expires")
		}
	case login.TokenIDTaken:
		a.say("Token id %q was taken; created %q instead.", ev.Wanted, ev.Created)
	case login.UnverifiedNotDeleted:
		a.warn("could not delete the unverified token %q: %v", ev.Created, ev.Err)
	}
}

// org is the organization this login is for, as the user gave it.
func (p *loginProgress) org() string { return p.o.org }

const pasteInstructions = `Paste mode: the token comes back by copy and paste, because no browser can reach gdlogin here.

1. In a browser on any computer, open the organization with this link and sign in:

    %s

2. On the organization's tab, click the gdlogin bookmark (gdlogin bookmarklet prints it).
   If it asks for a pairing code, paste this one:

    %s

   No bookmark, or Safari (which does not run bookmarks on the organization's pages)? Open the
   developer console on that tab (F12; in Safari: Settings → Advanced → "Show features for web
   developers", then Develop → Show JavaScript Console), type "allow pasting" if Chrome or Edge
   asks, and paste this snippet (for this login only):

%s
%s

3. The page then shows a confirmation code and an envelope. Paste the envelope below ONLY if
   the page shows the same confirmation code as this terminal:

Confirmation code: %s
`

// pasteProblem says what was wrong with a paste, without repeating it.
func pasteProblem(err error) string {
	switch {
	case errors.Is(err, handoff.ErrStateMismatch):
		return "it belongs to another login"
	case errors.Is(err, handoff.ErrOriginMismatch):
		return "it comes from another organization"
	case errors.Is(err, handoff.ErrTooLarge):
		return "it is far too long"
	case errors.Is(err, handoff.ErrDecrypt):
		return "it does not decrypt: a character was lost or changed"
	}
	return "it is damaged or incomplete"
}

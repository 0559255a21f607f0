package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/static"
)

// goos is runtime.GOOS; tests change it.
var goos = runtime.GOOS

// sshWithoutDisplay reports why paste mode should be offered: a Linux
// session over SSH with no X11 or Wayland display cannot open a browser
// that reaches this machine's 127.0.0.1.
func sshWithoutDisplay(getenv func(string) string) (bool, string) {
	if goos != "linux" || getenv("SSH_CONNECTION") == "" || getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != "" {
		return false, ""
	}
	return true, "you are connected over SSH (SSH_CONNECTION is set) and there is no display (DISPLAY and WAYLAND_DISPLAY are empty), so no browser here can reach gdlogin"
}

// loginWithPaste is the browser handoff without a listener (SPEC 3.7): the
// script shows the encrypted envelope on the organization's page and the
// user pastes it here, after checking that both sides show the same
// confirmation code.
func (a *app) loginWithPaste(ctx context.Context, org string, o *loginOptions) (credential, error) {
	tokenID := o.tokenID
	if tokenID == "" {
		tokenID = a.defaultTokenID()
	}
	sess, err := handoff.NewSession(0, tokenID, org, nil)
	if err != nil {
		return credential{}, err
	}
	code := sess.PairingCode()
	snippet, err := static.Snippet(code)
	if err != nil {
		return credential{}, err
	}
	deadline, _ := ctx.Deadline()
	a.say(`Paste mode: the token comes back by copy and paste, because no browser can reach gdlogin here.

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

3. The page then shows a confirmation code and an envelope. Paste the envelope below ONLY if
   the page shows the same confirmation code as this terminal:

Confirmation code: %s
`, openOrgURL(org, code), code, snippet, sess.ConfirmationCode())
	a.say("(gdlogin waits until %s; Ctrl-C to cancel.)", deadline.Local().Format("15:04:05"))

	verify := a.verifyHandoff(org, o.user)
	lines := a.envelopeLines(ctx)
	for {
		var text string
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return credential{}, &userError{code: ExitTimeout, msg: fmt.Sprintf("no envelope was pasted within %s", o.timeout),
					hint: "run gdlogin login --remote again when you are ready; --timeout allows more time"}
			}
			return credential{}, context.Canceled
		case l, ok := <-lines:
			if !ok {
				return credential{}, &userError{code: ExitUsage, msg: "stdin ended before a valid envelope arrived",
					hint: "paste the envelope the organization's page shows, as one line"}
			}
			if l.err != nil {
				return credential{}, fmt.Errorf("read the envelope: %w", l.err)
			}
			text = l.text
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		payload, err := sess.OpenText(text)
		if err != nil {
			a.say("That is not this login's envelope (%s). Check the confirmation code and paste the whole envelope again.", pasteProblem(err))
			continue
		}
		if payload.Error != "" {
			return credential{}, &userError{code: ExitAuth, msg: payload.Error,
				hint: "an organization admin can grant SELF_CREATE_TOKEN, or create the token for you: gdlogin login " + org + " --method token --user " + payload.UserID}
		}
		a.say("Envelope accepted: a token for %s; verifying it with the organization…", payload.UserID)
		prof, err := verify(ctx, payload)
		if err != nil {
			if ctx.Err() != nil {
				continue // the select above reports the deadline or the cancel
			}
			a.say("The organization did not confirm that token: %v. Paste another envelope, or Ctrl-C to cancel.", err)
			continue
		}
		return credential{Host: org, Profile: *prof, TokenID: payload.TokenID, Token: gooddata.Secret(payload.Token),
			Method: methodBrowser, CreatedAt: a.env.Now()}, nil
	}
}

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

type pastedLine struct {
	text string
	err  error
}

// envelopeLines reads pastes: with echo off from a terminal (the envelope
// is encrypted, but a screen that shows a token-bearing blob invites
// photos), or one line at a time from a pipe.
func (a *app) envelopeLines(ctx context.Context) <-chan pastedLine {
	out := make(chan pastedLine)
	go func() {
		defer close(out)
		send := func(l pastedLine) bool {
			select {
			case out <- l:
				return true
			case <-ctx.Done():
				return false
			}
		}
		if a.env.StdinIsTerminal {
			for ctx.Err() == nil {
				s, err := a.env.ReadSecret("Envelope (input hidden): ")
				if !send(pastedLine{text: s, err: err}) || err != nil {
					return
				}
			}
			return
		}
		r := bufio.NewReaderSize(io.LimitReader(a.env.Stdin, 1<<20), 64<<10)
		for {
			s, err := r.ReadString('\n')
			if s != "" && !send(pastedLine{text: s}) {
				return
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					send(pastedLine{err: err})
				}
				return
			}
		}
	}()
	return out
}

package login

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/static"
)

// paste is the browser handoff without a listener (SPEC 3.7): the script
// shows the encrypted envelope on the organization's page and the user
// pastes it, after checking that both sides show the same confirmation
// code.
func (d Deps) paste(ctx context.Context, in Input) (credential.Credential, error) {
	sess, err := handoff.NewSession(0, d.tokenID(in), in.Org, in.Installation, nil)
	if err != nil {
		return credential.Credential{}, err
	}
	code := sess.PairingCode()
	snippet, err := static.Snippet(code)
	if err != nil {
		return credential.Credential{}, err
	}
	deadline, _ := ctx.Deadline()
	d.emit(Event{Kind: PasteStart, Method: in.Method, Deadline: deadline, Paste: &PasteInfo{
		OpenOrgURL: OpenOrgURL(in.Org, code), PairingCode: code, Snippet: snippet, ConfirmationCode: sess.ConfirmationCode(),
	}})

	verify := credential.VerifyHandoff(in.Org, in.User, d.Client)
	lines := in.Envelopes(ctx)
	for {
		var text string
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return credential.Credential{}, failure.New(failure.Timeout, fmt.Sprintf("no envelope was pasted within %s", in.Timeout),
					"run gdlogin login --remote again when you are ready; --timeout allows more time")
			}
			return credential.Credential{}, context.Canceled
		case l, ok := <-lines:
			if !ok {
				return credential.Credential{}, failure.New(failure.Usage, "stdin ended before a valid envelope arrived",
					"paste the envelope the organization's page shows, as one line")
			}
			if l.Err != nil {
				return credential.Credential{}, fmt.Errorf("read the envelope: %w", l.Err)
			}
			text = l.Text
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		payload, err := sess.OpenText(text)
		if err != nil {
			d.emit(Event{Kind: PasteRefused, Method: in.Method, Err: err})
			continue
		}
		if payload.Error != "" {
			return credential.Credential{}, failure.New(failure.Auth, payload.Error,
				"an organization admin can grant SELF_CREATE_TOKEN, or create the token for you: gdlogin login "+in.Org+" --method token --user "+payload.UserID)
		}
		d.emit(Event{Kind: PasteAccepted, Method: in.Method, User: payload.UserID})
		prof, err := verify(ctx, payload)
		if err != nil {
			if ctx.Err() != nil {
				continue // the select above reports the deadline or the cancel
			}
			d.emit(Event{Kind: VerifyFailed, Method: in.Method, Err: err})
			continue
		}
		return credential.Credential{Host: in.Org, Profile: *prof, TokenID: payload.TokenID, Token: gooddata.Secret(payload.Token),
			Method: credential.MethodBrowser, CreatedAt: d.Now()}, nil
	}
}

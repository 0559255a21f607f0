package oidcflow

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/static"
	"github.com/gdlogin/gdlogin/templates"
)

func (f *Flow) routes() {
	e := f.base.Echo
	e.GET("/", f.start)
	e.GET("/callback", f.callback)
	e.GET("/static/app.css", f.css)
}

// start sends the browser to the identity provider: the printed address
// stays short, and reloading it starts the sign-in again.
func (f *Flow) start(c echo.Context) error {
	if done, outcome := f.isFinished(); done {
		return f.finishedPage(c, outcome)
	}
	f.emit(Event{Kind: EventOpened})
	return c.Redirect(http.StatusFound, f.authURL)
}

// callback is the redirect URI. Only the provider's answer to this login
// (the right state) counts: an error answer ends the login, a code is
// exchanged and its ID token verified, and anything else is refused while
// the login keeps waiting.
func (f *Flow) callback(c echo.Context) error {
	f.cbMu.Lock()
	defer f.cbMu.Unlock()
	if done, outcome := f.isFinished(); done {
		return f.finishedPage(c, outcome)
	}
	q := c.QueryParams()
	state := q.Get("state")
	if state == "" || !equalSecret(state, f.state) {
		reason := "callback with a wrong state"
		if state == "" {
			reason = "callback without a state"
		}
		f.emit(Event{Kind: EventRejected, Reason: reason})
		return f.refused(c, http.StatusBadRequest, "This answer is not for this login",
			"The identity provider's answer on this page does not belong to the login gdlogin is waiting for, so gdlogin ignored it.")
	}
	if iss := q.Get("iss"); iss != "" && iss != f.cfg.Issuer {
		// RFC 9207: the answer names another identity provider (mix-up).
		f.emit(Event{Kind: EventRejected, Reason: "callback from another issuer " + quote(iss)})
		return f.refused(c, http.StatusBadRequest, "This answer is from another identity provider",
			"The answer names the issuer "+iss+", but gdlogin signs in with "+f.cfg.Issuer+".")
	}
	if code := q.Get("error"); code != "" {
		err := &ProviderError{Code: code, Description: q.Get("error_description"), URI: q.Get("error_uri")}
		return f.fail(c, http.StatusForbidden, err, "The identity provider refused the sign-in")
	}
	code := q.Get("code")
	if code == "" {
		f.emit(Event{Kind: EventRejected, Reason: "callback without a code"})
		return f.refused(c, http.StatusBadRequest, "No authorization code",
			"This answer carries neither a code nor an error, so gdlogin ignored it.")
	}
	f.emit(Event{Kind: EventReceived})

	ctx, cancel := context.WithTimeout(f.life, exchangeTimeout)
	defer cancel()
	tok, err := f.oauth.Exchange(clientContext(ctx, f.hc), code, oauth2.VerifierOption(f.pkce))
	if err != nil {
		if f.life.Err() != nil {
			return f.finishedPage(c, "")
		}
		f.emit(Event{Kind: EventExchangeFailed, Err: exchangeError(err)})
		return f.refused(c, http.StatusBadGateway, "The identity provider did not confirm this sign-in",
			"gdlogin could not redeem the code: "+exchangeError(err).Error()+".")
	}
	t, err := verifyTokenResponse(ctx, f.cfg, f.verifier, tok, f.nonce)
	if err != nil {
		return f.fail(c, http.StatusBadGateway, err, "The identity provider's ID token was refused")
	}
	msg := "Signed in as " + t.DisplayName() + "."
	if f.cfg.Use != nil {
		m, err := f.cfg.Use(ctx, t)
		if err != nil {
			return f.fail(c, http.StatusForbidden, err, "Signed in, but gdlogin could not finish")
		}
		if m != "" {
			msg = m
		}
	}
	if !f.finish(t, nil, msg) {
		return f.finishedPage(c, "")
	}
	f.emit(Event{Kind: EventCommitted})
	f.outcomeShown()
	return f.base.Render(c, http.StatusOK, templates.OIDCPage(templates.OIDCData{
		Title:   "Signed in",
		Heading: "You are signed in",
		Status:  templates.Status{State: "success", Message: msg},
		Issuer:  f.cfg.Issuer,
		Next:    "You can close this tab and go back to the terminal.",
	}))
}

// refused answers a request that does not end the login.
func (f *Flow) refused(c echo.Context, code int, heading, message string) error {
	return f.base.Render(c, code, templates.OIDCPage(templates.OIDCData{
		Title:   heading,
		Heading: heading,
		Status: templates.Status{State: "waiting", Message: message,
			Hint: "gdlogin is still waiting for your sign-in. Use the address that gdlogin printed in the terminal, or the button below."},
		Issuer:   f.cfg.Issuer,
		RetryURL: f.startURL,
	}))
}

// fail ends the login with err and shows it.
func (f *Flow) fail(c echo.Context, code int, err error, heading string) error {
	if !f.finish(nil, err, err.Error()) {
		return f.finishedPage(c, "")
	}
	f.emit(Event{Kind: EventFailed, Err: err})
	f.outcomeShown()
	hint := failure.HintOf(err)
	return f.base.Render(c, code, templates.OIDCPage(templates.OIDCData{
		Title:   "Login failed",
		Heading: heading,
		Status:  templates.Status{State: "error", Message: sentence(err.Error()), Hint: sentence(hint)},
		Issuer:  f.cfg.Issuer,
		Next:    "The terminal shows the same error. Run gdlogin login again once it is fixed.",
	}))
}

// finishedPage answers after the outcome: 410, with what happened.
func (f *Flow) finishedPage(c echo.Context, outcome string) error {
	if outcome == "" {
		_, outcome = f.isFinished()
	}
	state := "error"
	f.mu.Lock()
	if f.result != nil {
		state = "success"
	}
	f.mu.Unlock()
	return f.base.Render(c, http.StatusGone, templates.OIDCPage(templates.OIDCData{
		Title:   "Login finished",
		Heading: "This login is finished",
		Status:  templates.Status{State: state, Message: sentence(outcome)},
		Next:    "Run gdlogin login again for a new sign-in.",
	}))
}

func (f *Flow) css(c echo.Context) error {
	b, err := static.Pages.ReadFile("app.css")
	if err != nil {
		return echo.ErrNotFound
	}
	err = c.Blob(http.StatusOK, "text/css; charset=utf-8", b)
	if done, _ := f.isFinished(); done {
		f.styledOnce.Do(func() { close(f.styled) })
	}
	return err
}

// sentence capitalises the first letter and ends with a period, for
// error texts written in Go's lower-case style.
func sentence(s string) string {
	if s == "" {
		return ""
	}
	if c := s[0]; c >= 'a' && c <= 'z' {
		s = string(c-'a'+'A') + s[1:]
	}
	switch s[len(s)-1] {
	case '.', '!', '?':
		return s
	}
	return s + "."
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return "\"" + s + "\""
}

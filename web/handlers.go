package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/termtext"
	"github.com/gdlogin/gdlogin/static"
	"github.com/gdlogin/gdlogin/templates"
)

// longPoll bounds one status request; the page asks again.
const longPoll = 25 * time.Second

func (s *Server) routes(e *echo.Echo) {
	e.GET("/", s.startPage)
	e.GET("/callback", s.callbackPage)
	e.POST("/complete", s.complete)
	e.GET("/status", s.status)
	e.GET("/static/:name", s.asset)
}

func (s *Server) startPage(c echo.Context) error {
	if !s.validKey(c.QueryParam("k")) {
		s.emit(Event{Kind: EventRejected, Reason: "start page without its key"})
		return &PageError{Code: http.StatusForbidden, Title: "Open the link from the terminal",
			Message: "This page only opens with the full link that gdlogin printed.",
			Hint:    "Copy the http://127.0.0.1:… link from the terminal, including everything after the question mark."}
	}
	s.startServed.Store(true)
	st, _, _ := s.snapshot()
	deadline := ""
	if !s.cfg.Deadline.IsZero() {
		deadline = s.cfg.Deadline.Local().Format("15:04:05")
	}
	return s.base.Render(c, http.StatusOK, templates.StartPage(templates.StartData{
		OrgOrigin:   s.cfg.Org,
		OrgHost:     strings.TrimPrefix(strings.TrimPrefix(s.cfg.Org, "https://"), "http://"),
		OpenOrgURL:  s.cfg.OpenOrgURL,
		Bookmarklet: s.cfg.Bookmarklet,
		Snippet:     s.cfg.Snippet,
		PairingCode: s.cfg.Session.PairingCode(),
		StatusURL:   "/status?k=" + s.startKey,
		TokenID:     s.cfg.Session.Pairing().TokenID,
		ExpectUser:  s.cfg.ExpectUser,
		Deadline:    deadline,
		WebKit:      webKitOnly(c.Request().UserAgent()),
		Status:      pageStatus(st),
	}))
}

// webKitOnly reports whether a User-Agent is Safari's, or another browser's
// that is built on WebKit alone (every browser on iOS: CriOS, FxiOS,
// EdgiOS). WebKit checks a bookmark's javascript: URL against the page's
// Content-Security-Policy, so on an organization the bookmark does
// nothing there. Chromium-based browsers also say AppleWebKit, and also
// name themselves; Firefox on the desktop does not say AppleWebKit.
func webKitOnly(ua string) bool {
	if !strings.Contains(ua, "AppleWebKit/") {
		return false
	}
	for _, blink := range []string{"Chrome/", "Chromium/", "Edg/", "OPR/", "SamsungBrowser/"} {
		if strings.Contains(ua, blink) {
			return false
		}
	}
	return true
}

func pageStatus(st status) templates.Status {
	return templates.Status{State: st.State, Message: st.Message, Hint: st.Hint}
}

func (s *Server) callbackPage(c echo.Context) error {
	st, _, finished := s.snapshot()
	if finished {
		return s.base.Render(c, http.StatusGone, templates.FinishedPage(pageStatus(st)))
	}
	if s.cfg.CallbackOpened != nil {
		go s.cfg.CallbackOpened()
	}
	return s.base.Render(c, http.StatusOK, templates.CallbackPage(templates.Status{State: "waiting", Message: "Receiving the token…"}))
}

// complete takes the envelope from the callback page (SPEC 3.5): it checks
// the request, decrypts, verifies with the organization, and only then
// commits the result, once.
func (s *Server) complete(c echo.Context) error {
	r := c.Request()
	if o := r.Header.Get("Origin"); o != s.base.Origin {
		s.emit(Event{Kind: EventRejected, Reason: "/complete from foreign origin " + quoteShort(o)})
		return &PageError{Code: http.StatusForbidden, Title: "Refused", Message: "Only gdlogin's own callback page may send the token here."}
	}
	if sfs := r.Header.Get("Sec-Fetch-Site"); sfs != "" && sfs != "same-origin" {
		s.emit(Event{Kind: EventRejected, Reason: "/complete with Sec-Fetch-Site " + quoteShort(sfs)})
		return &PageError{Code: http.StatusForbidden, Title: "Refused", Message: "Only gdlogin's own callback page may send the token here."}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		s.emit(Event{Kind: EventRejected, Reason: "/complete with content type " + quoteShort(r.Header.Get("Content-Type"))})
		return &PageError{Code: http.StatusUnsupportedMediaType, Title: "Refused", Message: "The token must be sent as application/json."}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil || len(body) > MaxBody {
		s.emit(Event{Kind: EventRejected, Reason: "/complete body too large or unreadable"})
		return &PageError{Code: http.StatusRequestEntityTooLarge, Title: "Too large", Message: "The request is larger than gdlogin accepts."}
	}

	s.verifyMu.Lock()
	defer s.verifyMu.Unlock()
	if st, _, finished := s.snapshot(); finished {
		return &PageError{Code: http.StatusGone, Title: "Finished", Message: "This login has already ended.", Hint: st.Message}
	}
	payload, err := s.cfg.Session.Open(body)
	if err != nil {
		s.emit(Event{Kind: EventRejected, Reason: "/complete: " + termtext.Clean(err.Error())})
		return openError(err)
	}
	if payload.Error != "" {
		return s.reported(c, payload)
	}
	s.emit(Event{Kind: EventReceived, User: payload.UserID})

	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.VerifyTimeout)
	defer cancel()
	prof, err := s.cfg.Verify(ctx, payload)
	if err != nil {
		s.emit(Event{Kind: EventVerifyFailed, User: payload.UserID, Err: err})
		s.mu.Lock()
		if !s.finished {
			s.setStatusLocked(status{State: "waiting", Message: "A token arrived, but the organization did not confirm it. Still waiting…",
				Hint: err.Error()})
		}
		s.mu.Unlock()
		return &PageError{Code: http.StatusUnprocessableEntity, Title: "Not confirmed",
			Message: "The organization did not confirm this token: " + err.Error(),
			Hint:    "gdlogin is still waiting. Sign in as the right user and run the bookmark again, or see the terminal."}
	}

	org := s.cfg.Org
	if l := prof.OrgLabel(); l != "" {
		org = l + " (" + s.cfg.Org + ")"
	}
	st := status{State: "success",
		Message: fmt.Sprintf("Token for %s created and verified.", prof.DisplayName()),
		Hint:    "Organization " + org + ". You can close this tab; the terminal has the token."}
	s.mu.Lock()
	committed := !s.finished
	if committed {
		s.commitLocked(&Result{Payload: payload, Profile: prof}, st)
	}
	s.mu.Unlock()
	if !committed {
		return &PageError{Code: http.StatusGone, Title: "Finished", Message: "This login has already ended."}
	}
	s.emit(Event{Kind: EventCommitted, User: prof.UserID})
	if err := c.JSON(http.StatusOK, st); err != nil {
		return err
	}
	s.callbackDelivered()
	return nil
}

// reported ends the login with the failure the organization's page
// reported (a missing permission): it cannot be fixed by waiting.
func (s *Server) reported(c echo.Context, p handoff.Payload) error {
	err := &ReportedError{UserID: p.UserID, Message: p.Error}
	st := status{State: "error", Message: p.Error, Hint: "gdlogin has stopped. Once an admin has granted the permission, run gdlogin login again."}
	s.mu.Lock()
	ended := !s.finished
	if ended {
		s.finishLocked(nil, err, st)
	}
	s.mu.Unlock()
	if !ended {
		return &PageError{Code: http.StatusGone, Title: "Finished", Message: "This login has already ended."}
	}
	s.emit(Event{Kind: EventReported, User: p.UserID, Err: err})
	if err := c.JSON(http.StatusOK, st); err != nil {
		return err
	}
	s.callbackDelivered()
	return nil
}

// openError explains why an envelope was refused, without echoing it.
func openError(err error) error {
	pe := &PageError{Code: http.StatusBadRequest, Title: "Refused"}
	switch {
	case errors.Is(err, handoff.ErrStateMismatch):
		pe.Message = "This token was meant for another gdlogin login."
		pe.Hint = "Run the bookmark on the organization tab that this login opened, or start gdlogin login again."
	case errors.Is(err, handoff.ErrOriginMismatch):
		pe.Message = "This token comes from another organization than the one gdlogin is logging in to."
		pe.Hint = "Open the organization from gdlogin's start page and run the bookmark there."
	case errors.Is(err, handoff.ErrTooLarge):
		pe.Code, pe.Message = http.StatusRequestEntityTooLarge, "The request is larger than gdlogin accepts."
	default:
		pe.Message = "The token could not be read: the address was damaged or is not from gdlogin's script."
		pe.Hint = "Run the bookmark again on the organization's tab."
	}
	return pe
}

// status answers at once when the page is behind, else when the status
// changes or after longPoll (the page then asks again).
func (s *Server) status(c echo.Context) error {
	if !s.validKey(c.QueryParam("k")) {
		s.emit(Event{Kind: EventRejected, Reason: "status without its key"})
		return &PageError{Code: http.StatusForbidden, Title: "Refused", Message: "The status needs the key of the start page."}
	}
	seen, _ := strconv.Atoi(c.QueryParam("v"))
	st, changed, finished := s.snapshot()
	if st.Version <= seen && !finished {
		t := time.NewTimer(longPoll)
		defer t.Stop()
		select {
		case <-changed:
		case <-t.C:
		case <-c.Request().Context().Done():
			return nil
		}
		st, _, finished = s.snapshot()
	}
	if err := c.JSON(http.StatusOK, st); err != nil {
		return err
	}
	if finished {
		s.deliverOnce.Do(func() { close(s.delivered) })
	}
	return nil
}

// assets are the files the pages load; nothing else is served.
var assets = map[string]string{
	"app.css":     "text/css; charset=utf-8",
	"ui.js":       "text/javascript; charset=utf-8",
	"start.js":    "text/javascript; charset=utf-8",
	"callback.js": "text/javascript; charset=utf-8",
}

func (s *Server) asset(c echo.Context) error {
	name := c.Param("name")
	ct, ok := assets[name]
	if !ok {
		return echo.ErrNotFound
	}
	b, err := static.Pages.ReadFile(name)
	if err != nil {
		return echo.ErrNotFound
	}
	return c.Blob(http.StatusOK, ct, b)
}

package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gdlogin/gdlogin/templates"
)

// PageError is a refusal with words for people: a status code, a title,
// one sentence, and what to do. Handlers return it; the error handler
// renders it as a page or as JSON.
type PageError struct {
	Code    int
	Title   string
	Message string
	Hint    string
}

func (e *PageError) Error() string { return e.Message }

// handleError is Echo's error handler: JSON for the endpoints that scripts
// call, a templ page for the rest.
func (b *Base) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	pe := &PageError{Code: http.StatusInternalServerError, Title: "Something went wrong", Message: "gdlogin could not answer this request."}
	var he *echo.HTTPError
	switch {
	case errors.As(err, &pe):
	case errors.As(err, &he):
		pe = &PageError{Code: he.Code, Title: http.StatusText(he.Code)}
		switch he.Code {
		case http.StatusNotFound:
			pe.Title, pe.Message, pe.Hint = "Nothing here", "There is no such page on gdlogin's local server.", "Open the link that gdlogin printed in the terminal."
		case http.StatusMethodNotAllowed:
			pe.Title, pe.Message = "Not allowed", "This address does not take "+c.Request().Method+" requests."
		case http.StatusRequestEntityTooLarge:
			pe.Title, pe.Message = "Too large", "The request is larger than gdlogin accepts."
		default:
			pe.Message = http.StatusText(he.Code)
		}
		if he.Code >= 400 && he.Code < 500 {
			b.emit(Event{Kind: EventRejected, Reason: c.Request().Method + " " + quoteShort(c.Request().URL.Path) + ": " + pe.Title})
		}
	}
	if pe.Code == http.StatusMethodNotAllowed {
		c.Response().Header().Set("Allow", allowed(c.Request().URL.Path))
	}
	if b.wantsJSON(c) {
		_ = c.JSON(pe.Code, status{State: "error", Message: pe.Message, Hint: pe.Hint})
		return
	}
	_ = b.Render(c, pe.Code, templates.ErrorPage(templates.ErrorData{Code: pe.Code, Title: pe.Title, Message: pe.Message, Hint: pe.Hint}))
}

func (b *Base) wantsJSON(c echo.Context) bool {
	return b.jsonPaths[c.Request().URL.Path] || strings.Contains(c.Request().Header.Get("Accept"), "application/json")
}

func allowed(path string) string {
	if path == "/complete" {
		return "POST"
	}
	return "GET, HEAD"
}

package web

import (
	"context"
	"io"
	"log"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

const nonceKey = "gdlogin.nonce"

// contentSecurityPolicy is SPEC 4's policy; the nonce changes per request.
func contentSecurityPolicy(nonce string) string {
	return "default-src 'none'; script-src 'nonce-" + nonce + "'; style-src 'self'; connect-src 'self'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// securityHeaders sets the headers of SPEC 4 on every answer, error pages
// included, and makes a fresh CSP nonce for templ.
func (b *Base) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		nonce, err := randomToken(16)
		if err != nil {
			return err
		}
		c.Set(nonceKey, nonce)
		r := c.Request()
		c.SetRequest(r.WithContext(templ.WithNonce(r.Context(), nonce)))
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy(nonce))
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		return next(c)
	}
}

// checkHost refuses any Host but 127.0.0.1:PORT, which defeats DNS
// rebinding: a page on evil.example that rebinds its name to 127.0.0.1
// still sends Host: evil.example.
func (b *Base) checkHost(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Host != b.Host {
			b.emit(Event{Kind: EventRejected, Reason: "wrong Host header " + quoteShort(c.Request().Host)})
			return &PageError{Code: http.StatusMisdirectedRequest, Title: "Wrong address",
				Message: "This server only answers at " + b.Origin + ".",
				Hint:    "Open the link that gdlogin printed in the terminal."}
		}
		return next(c)
	}
}

// rejectOptions answers OPTIONS with 405 before routing (Echo would answer
// 204 with an Allow header): no CORS preflight can ever succeed here.
func rejectOptions(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method == http.MethodOptions {
			return &PageError{Code: http.StatusMethodNotAllowed, Title: "Not allowed", Message: "This server does not take OPTIONS requests."}
		}
		return next(c)
	}
}

// quoteShort quotes a value that a web page chose (a header, a path) for a
// refusal reason that --verbose prints: strconv.QuoteToASCII, so that no
// control character, C1 CSI or bidi override of the page's reaches the
// terminal, cut to 80 bytes at a rune boundary.
func quoteShort(s string) string {
	cut := false
	if len(s) > 80 {
		n := 80
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s, cut = s[:n], true
	}
	q := strconv.QuoteToASCII(s)
	if cut {
		q += "…"
	}
	return q
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// renderContext is the request's context, which carries the CSP nonce,
// without its cancellation: the error handler renders after the
// ContextTimeout middleware has already cancelled the request's context.
func renderContext(c echo.Context) context.Context {
	return context.WithoutCancel(c.Request().Context())
}

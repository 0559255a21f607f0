package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Base is a hardened Echo on the 127.0.0.1 listener gdlogin bound and
// kept. It applies SPEC 4 to every answer: the security headers with a
// fresh CSP nonce, the Host check, no OPTIONS, a 16 KiB body limit,
// recovery from panics, and an error handler that renders a templ page
// (JSON for the endpoints scripts call). Both loopback servers, the browser
// handoff (Server) and the OIDC redirect (package oidcflow), stand on it.
type Base struct {
	// Echo is the configured instance; add routes to it.
	Echo *echo.Echo
	// Host is 127.0.0.1:PORT, the only Host header answered.
	Host string
	// Origin is http://127.0.0.1:PORT.
	Origin string

	ln        net.Listener
	emit      func(Event)
	jsonPaths map[string]bool
}

// NewBase sets Echo up on ln, which must be bound to 127.0.0.1. events,
// when set, hears about refused requests. Requests to jsonPaths get JSON
// errors instead of pages.
func NewBase(ln net.Listener, events func(Event), jsonPaths ...string) (*Base, error) {
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if !ok || !tcp.IP.Equal(net.IPv4(127, 0, 0, 1)) {
		return nil, fmt.Errorf("web: the listener must be on 127.0.0.1, not %s", ln.Addr())
	}
	host := "127.0.0.1:" + strconv.Itoa(tcp.Port)
	b := &Base{Host: host, Origin: "http://" + host, ln: ln, emit: events, jsonPaths: map[string]bool{}}
	for _, p := range jsonPaths {
		b.jsonPaths[p] = true
	}
	if b.emit == nil {
		b.emit = func(Event) {}
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Listener = ln
	e.Server.ReadHeaderTimeout = 10 * time.Second
	e.Server.IdleTimeout = 30 * time.Second
	e.Server.ErrorLog = discardLogger()
	e.HTTPErrorHandler = b.handleError
	e.Pre(b.securityHeaders, b.checkHost, rejectOptions)
	e.Use(middleware.Recover())
	e.Use(middleware.BodyLimit("16K"))
	e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: 60 * time.Second}))
	b.Echo = e
	return b, nil
}

// Serve starts serving in the background. If serving stops for any
// reason but Close, failed hears why: the login must end with that error
// rather than wait for a browser that can no longer reach it.
func (b *Base) Serve(failed func(error)) {
	go func() {
		err := b.Echo.Server.Serve(b.ln)
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			failed(fmt.Errorf("gdlogin's local server on %s stopped: %w", b.Host, err))
		}
	}()
}

// Close shuts the server down, waiting at most two seconds for requests in
// flight, and closes the listener.
func (b *Base) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := b.Echo.Shutdown(ctx)
	if err != nil {
		_ = b.Echo.Close()
	}
	return err
}

// Render renders a templ component with the request's context, so the CSP
// nonce reaches every <script>. It renders to a buffer first, so that a
// failed render becomes an error page rather than half a page.
func (b *Base) Render(c echo.Context, code int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(renderContext(c), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(code, buf.Bytes())
}

// Package web is gdlogin's loopback server for the browser login (SPEC
// sections 3 and 4): the start page, the callback page, /complete, the live
// status, and the embedded static files, on the 127.0.0.1 listener gdlogin
// bound and kept. It owns the hardening of that server and the one-shot
// result: a token is committed only after it was decrypted and verified with
// the organization, and junk never consumes or aborts the login.
package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/handoff"
)

// DefaultGrace is the Grace of Config (and of oidcflow.Config) when none is
// set: long enough for a page on this computer to fetch the outcome it is
// already waiting for, short enough not to hold the terminal.
const DefaultGrace = 2 * time.Second

// MaxBody bounds every request body (SPEC 4: /complete takes at most 16 KiB).
const MaxBody = 16 << 10

// Verifier checks a decrypted payload with the organization and returns the
// profile of the token's owner. It must fail when the token does not work,
// belongs to another user than payload.UserID, or is not acceptable.
type Verifier func(ctx context.Context, p handoff.Payload) (*gooddata.Profile, error)

// Config is one browser login.
type Config struct {
	// Listener is the 127.0.0.1 socket gdlogin bound; the server keeps it.
	Listener net.Listener
	// Session holds the pairing and the key that opens envelopes.
	Session *handoff.Session
	// Org is the organization origin the login is for.
	Org string
	// OpenOrgURL opens the organization with the pairing.
	OpenOrgURL string
	// Bookmarklet and Snippet are the handoff script, shown on the start page.
	Bookmarklet, Snippet string
	// ExpectUser, when set, is shown on the start page; Verify enforces it.
	ExpectUser string
	// Deadline is when the login gives up, shown on the start page.
	Deadline time.Time
	// Verify checks a payload with the organization.
	Verify Verifier
	// Events, when set, hears about progress (for the terminal).
	Events func(Event)
	// Grace bounds how long the server waits, once the login has an
	// outcome, for a page to show it (WaitStatusDelivered); zero means
	// DefaultGrace, a negative value no wait. It means the same in package
	// oidcflow.
	Grace time.Duration
	// VerifyTimeout bounds one verification; zero means 30 seconds.
	VerifyTimeout time.Duration
	// CallbackOpened, when set, is called in a goroutine of its own each
	// time the callback page is served while the login waits: the
	// envelope is moments away, and the login can warm its connection to
	// the organization for the verification.
	CallbackOpened func()
}

// EventKind says what happened.
type EventKind int

const (
	// EventRejected: a request was refused (junk, wrong host, bad state…);
	// the login goes on.
	EventRejected EventKind = iota
	// EventReceived: an envelope opened; the token is being verified.
	EventReceived
	// EventVerifyFailed: a token arrived but the organization did not
	// confirm it; the login goes on.
	EventVerifyFailed
	// EventReported: the script on the organization's page reported an
	// error it cannot recover from; the login ends.
	EventReported
	// EventCommitted: the verified token is the result.
	EventCommitted
)

// Event is progress for the terminal. It never carries a secret.
type Event struct {
	Kind   EventKind
	Reason string // for EventRejected and EventVerifyFailed
	User   string // the user a received token belongs to, when known
	Err    error
}

// ReportedError is a failure that the script on the organization's page
// reported, encrypted like a token (a missing permission). Its message
// comes from that page; the payload parser has checked that it is short
// and printable.
type ReportedError struct {
	UserID  string
	Message string
}

func (e *ReportedError) Error() string { return "the organization's page reported: " + e.Message }

// Result is the verified outcome of the login.
type Result struct {
	Payload handoff.Payload
	Profile *gooddata.Profile
}

// Server is the loopback server of one login.
type Server struct {
	cfg      Config
	base     *Base
	startKey string

	verifyMu sync.Mutex // one /complete verification at a time

	mu          sync.Mutex
	st          status
	changed     chan struct{} // closed and replaced on every status change
	finished    bool          // success or failure: no more results
	result      *Result
	err         error
	done        chan struct{} // closed when finished
	delivered   chan struct{} // closed when a final status reached a page
	deliverOnce sync.Once
	// startServed: the start page was loaded. When it never was (gdlogin
	// opened the organization directly), the callback page's answer is
	// the only page that shows the outcome.
	startServed atomic.Bool
}

// status is what the pages show.
type status struct {
	Version int    `json:"version"`
	State   string `json:"state"` // waiting, success, error
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// New prepares the server; Start serves.
func New(cfg Config) (*Server, error) {
	if cfg.Session == nil || cfg.Verify == nil {
		return nil, errors.New("web: Session and Verify are required")
	}
	if cfg.Grace == 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.VerifyTimeout == 0 {
		cfg.VerifyTimeout = 30 * time.Second
	}
	key, err := randomToken(16)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		startKey:  key,
		changed:   make(chan struct{}),
		done:      make(chan struct{}),
		delivered: make(chan struct{}),
		st: status{Version: 1, State: "waiting", Message: "Waiting for you to sign in and run gdlogin on the organization's page…",
			Hint: "Use the steps on this page. The terminal shows progress too."},
	}
	base, err := NewBase(cfg.Listener, s.emit, "/complete", "/status")
	if err != nil {
		return nil, err
	}
	s.base = base
	s.routes(base.Echo)
	return s, nil
}

// Origin is http://127.0.0.1:PORT.
func (s *Server) Origin() string { return s.base.Origin }

// StartURL is the start page, with its per-run key.
func (s *Server) StartURL() string { return s.base.Origin + "/?k=" + s.startKey }

// Start serves in the background.
func (s *Server) Start() {
	s.base.Serve(func(err error) {
		s.Fail(err, "gdlogin's local server stopped.", "Run gdlogin login again.")
	})
}

// Done is closed when the login finished, with a result or an error.
func (s *Server) Done() <-chan struct{} { return s.done }

// Result returns the outcome once Done is closed.
func (s *Server) Result() (*Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.result, s.err
}

// Fail ends the login with an error (timeout, Ctrl-C, an error elsewhere):
// the pages show message and hint. It does nothing after the outcome.
func (s *Server) Fail(err error, message, hint string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return
	}
	s.finishLocked(nil, err, status{State: "error", Message: message, Hint: hint})
}

func (s *Server) commitLocked(r *Result, st status) {
	s.finishLocked(r, nil, st)
}

func (s *Server) finishLocked(r *Result, err error, st status) {
	s.finished = true
	s.result, s.err = r, err
	s.setStatusLocked(st)
	close(s.done)
}

func (s *Server) setStatusLocked(st status) {
	st.Version = s.st.Version + 1
	s.st = st
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) snapshot() (status, chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st, s.changed, s.finished
}

// WaitStatusDelivered returns once a page has received the login's final
// status (the start page long-polls for it; when no start page was ever
// loaded, the callback page's answer counts), or when Grace has passed
// since it was called, or when ctx ends, whichever comes first. It does
// not end the login; call it after Done, and Close after it.
func (s *Server) WaitStatusDelivered(ctx context.Context) error {
	if s.cfg.Grace < 0 {
		return nil
	}
	t := time.NewTimer(s.cfg.Grace)
	defer t.Stop()
	select {
	case <-s.delivered:
		return nil
	case <-t.C:
		return errors.New("no page fetched the final status within the grace period")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close shuts the server down: requests in flight (the answer that
// delivers the final status among them) finish, then the listener closes.
func (s *Server) Close() error {
	return s.base.Close()
}

// callbackDelivered records that the callback page received the final
// status, which is delivery enough when no start page waits for it.
func (s *Server) callbackDelivered() {
	if !s.startServed.Load() {
		s.deliverOnce.Do(func() { close(s.delivered) })
	}
}

func (s *Server) emit(ev Event) {
	if s.cfg.Events != nil {
		s.cfg.Events(ev)
	}
}

func (s *Server) validKey(k string) bool {
	return subtle.ConstantTimeCompare([]byte(k), []byte(s.startKey)) == 1
}

func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Package failure is gdlogin's one error that says what to do: a class
// (which becomes the exit code), the sentence for the user, a hint, and
// the cause. Use cases return it when they know what went wrong better
// than the cause says; the command line prints "error: …" and "hint: …"
// from it, and the loopback pages show the same hint through Hint().
package failure

import (
	"context"
	"errors"
	"fmt"

	"github.com/gdlogin/gdlogin/internal/gooddata"
)

// Kind is the class of a failure; package cli maps each to an exit code.
type Kind int

const (
	// Other is any failure without a better class (exit 1).
	Other Kind = iota
	// Usage: a bad command line, URL or input (exit 2).
	Usage
	// Auth: nothing to authenticate with, the organization refused the
	// credential, or a permission is missing (exit 3).
	Auth
	// Network: the server could not be reached or is not the expected
	// API (exit 4).
	Network
	// Timeout: a deadline ran out (exit 5).
	Timeout
	// Cancelled: the user interrupted (exit 130).
	Cancelled
	// CommandNotFound: gdlogin run found no such program (exit 127, as a
	// shell).
	CommandNotFound
	// CommandNotExecutable: gdlogin run found the program but could not
	// start it (exit 126, as a shell).
	CommandNotExecutable
)

// Error is a failure with a class, a sentence and a hint.
type Error struct {
	Kind Kind
	// Message replaces Err's text when set.
	Message string
	// Advice is what the user should try; Hint returns it.
	Advice string
	Err    error
}

func (e *Error) Error() string {
	if e.Message != "" {
		return e.Message
	}
	if e.Err == nil {
		return "failed"
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Hint says what to try; the loopback pages and the terminal show it.
func (e *Error) Hint() string { return e.Advice }

// New is a failure of kind with a message and a hint.
func New(kind Kind, msg, hint string) *Error {
	return &Error{Kind: kind, Message: msg, Advice: hint}
}

// Wrap gives err a kind and a hint, keeping its text.
func Wrap(kind Kind, err error, hint string) *Error {
	return &Error{Kind: kind, Err: err, Advice: hint}
}

// Usagef is a usage failure with a formatted message and no hint.
func Usagef(format string, a ...any) *Error {
	return &Error{Kind: Usage, Message: fmt.Sprintf(format, a...)}
}

// KindOf classifies any error: a *Error by its Kind, the API client's
// errors by what they mean, deadlines as timeouts.
func KindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	if errors.Is(err, context.Canceled) {
		return Cancelled
	}
	var ne *gooddata.NetworkError
	if errors.As(err, &ne) {
		if ne.Kind == gooddata.NetTimeout {
			return Timeout
		}
		return Network
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Timeout
	}
	var ae *gooddata.APIError
	if errors.As(err, &ae) {
		switch ae.Kind {
		case gooddata.KindInvalidToken, gooddata.KindNotLoggedIn, gooddata.KindForbidden:
			return Auth
		case gooddata.KindNotGoodData, gooddata.KindServer:
			return Network
		}
	}
	return Other
}

// HintOf is the first non-empty hint in err's chain: a *Error's Advice,
// or the Hint() of the API client's and the OIDC flow's errors.
func HintOf(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if h, ok := e.(interface{ Hint() string }); ok && h.Hint() != "" {
			return h.Hint()
		}
	}
	return ""
}

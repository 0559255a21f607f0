package cli

import (
	"bufio"
	"context"
	"errors"
	"io"
	"runtime"

	"github.com/gdlogin/gdlogin/internal/usecase/login"
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

// envelopeLines reads pastes: with echo off from a terminal (the envelope
// is encrypted, but a screen that shows a token-bearing blob invites
// photos), or one line at a time from a pipe.
func (a *app) envelopeLines(ctx context.Context) <-chan login.Paste {
	out := make(chan login.Paste)
	go func() {
		defer close(out)
		send := func(l login.Paste) bool {
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
				if !send(login.Paste{Text: s, Err: err}) || err != nil {
					return
				}
			}
			return
		}
		r := bufio.NewReaderSize(io.LimitReader(a.env.Stdin, 1<<20), 64<<10)
		for {
			s, err := r.ReadString('\n')
			if s != "" && !send(login.Paste{Text: s}) {
				return
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					send(login.Paste{Err: err})
				}
				return
			}
		}
	}()
	return out
}

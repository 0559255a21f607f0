package cli

import (
	"fmt"
	"time"
)

// spinnerFrames turn while gdlogin waits for the browser.
var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// decorate reports whether stderr may carry a spinner and colour: a
// terminal, not --quiet, no NO_COLOR, and not TERM=dumb.
func (a *app) decorate() bool {
	return a.env.StderrIsTerminal && !a.quiet && a.env.Getenv("NO_COLOR") == "" && a.env.Getenv("TERM") != "dumb"
}

// spin shows, on a terminal, one line that turns and counts the time
// since start, until the returned function is called. Lines printed with
// say or warn meanwhile appear above it. On a pipe it shows nothing: the
// progress lines say enough, and a log file has no use for a spinner.
func (a *app) spin(label string, start time.Time) (stop func()) {
	if !a.decorate() {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	draw := func(i int) {
		elapsed := a.env.Now().Sub(start).Round(time.Second)
		a.errMu.Lock()
		a.spinning = true
		fmt.Fprintf(a.env.Stderr, "\r\033[K%s %s %s · Ctrl-C to cancel", spinnerFrames[i%len(spinnerFrames)], label, elapsed)
		a.errMu.Unlock()
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(120 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			draw(i)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		a.errMu.Lock()
		a.clearSpinnerLocked()
		a.errMu.Unlock()
	}
}

// clearSpinnerLocked erases the spinner line, if one is drawn; the caller
// holds errMu.
func (a *app) clearSpinnerLocked() {
	if a.spinning {
		fmt.Fprint(a.env.Stderr, "\r\033[K")
		a.spinning = false
	}
}

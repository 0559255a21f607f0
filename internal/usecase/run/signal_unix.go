//go:build unix

package run

import (
	"os"
	"syscall"
)

// forward sends sig to the program. A SIGINT is not sent again when
// gdlogin's process group is the terminal's foreground group: the
// terminal's Ctrl-C went to the whole group, the program included, and a
// second one would interrupt its clean-up (a Python program would get a
// second KeyboardInterrupt).
func forward(p *os.Process, sig os.Signal) {
	if sig == os.Interrupt && terminalSentToGroup() {
		return
	}
	_ = p.Signal(sig)
}

func signalOf(ps *os.ProcessState) (os.Signal, bool) {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return nil, false
	}
	return ws.Signal(), true
}

func signalNumber(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return int(s)
	}
	return 0
}

//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package run

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// terminalSentToGroup reports whether gdlogin runs in the foreground
// process group of its controlling terminal, where a Ctrl-C reaches every
// process of the group at once.
func terminalSentToGroup() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false // no controlling terminal: the signal came from kill
	}
	defer tty.Close()
	pgrp, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == syscall.Getpgrp()
}

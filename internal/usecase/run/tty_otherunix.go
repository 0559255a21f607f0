//go:build unix && !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package run

// terminalSentToGroup cannot tell on this system: every signal is
// forwarded.
func terminalSentToGroup() bool { return false }

//go:build unix

package store

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// secretOpenFlags make opening a symbolic link fail (ELOOP) instead of
// reading whatever it points at, and opening a FIFO return at once instead
// of waiting for a writer.
const secretOpenFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// checkOwner refuses a file or directory that another user owns: they could
// read or replace what gdlogin keeps there.
func checkOwner(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if me := os.Geteuid(); int(st.Uid) != me {
		return &ForeignOwnerError{Path: path, Owner: int(st.Uid), Me: me}
	}
	return nil
}

// isSymlinkRefusal reports the error of opening a symbolic link with
// secretOpenFlags.
func isSymlinkRefusal(err error) bool { return errors.Is(err, syscall.ELOOP) }

//go:build !unix

package store

import "io/fs"

// secretOpenFlags: O_NOFOLLOW is not available here; readSecretFile checks
// with Lstat instead.
const secretOpenFlags = 0

// checkOwner has no owner to compare on this system: Windows guards the
// profile directory with ACLs.
func checkOwner(string, fs.FileInfo) error { return nil }

func isSymlinkRefusal(error) bool { return false }

package profile

import (
	"time"

	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
)

// bookmarkWorked is the BookmarkWorked that a profile saved from cred gets:
// the login's time when the bookmark handed the token over; zero when the
// snippet (or a page's script) did, since this browser may not run the
// bookmark; and otherwise (the token and oidc methods, paste mode) what the
// previous profile knew, as long as it was for the same organization.
func bookmarkWorked(cred credential.Credential, prev store.Profile, hadPrev bool) (at time.Time) {
	switch {
	case cred.Bookmark == credential.BookmarkWorked:
		return cred.CreatedAt
	case cred.Bookmark == credential.BookmarkUnknown && hadPrev && prev.Host == cred.Host:
		return prev.BookmarkWorked
	}
	return at
}

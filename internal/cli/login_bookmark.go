package cli

// A returning user: once the gdlogin bookmark has handed a profile's token
// over, the next browser login of that profile opens the organization
// directly, with the pairing, instead of gdlogin's start page, so that the
// bookmark on the organization's tab is the one thing to do. The start page
// stays one step away: the terminal prints its address, --start-page opens
// it, and a login that opened the organization but timed out without a
// token makes the next one open the start page again.

import (
	"context"
	"errors"
	"time"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/internal/usecase/login"
)

// decideBookmark sets what the profile knows about the bookmark, and
// whether this browser login opens the organization directly: only when
// the bookmark worked last time, and neither --start-page, --no-browser nor
// paste mode asks for something else.
func (a *app) decideBookmark(o *loginOptions) {
	o.bookmarkKnown = a.bookmarkWorked(o)
	o.bookmark = time.Time{}
	if !o.startPage && !o.noBrowser && !o.remote {
		o.bookmark = o.bookmarkKnown
	}
}

// bookmarkWorked is when the bookmark last worked for the profile of this
// browser login, for the organization it is for; zero for a new profile,
// another organization, or a last login through the console snippet
// (Safari does not run the bookmark on a GoodData organization).
func (a *app) bookmarkWorked(o *loginOptions) time.Time {
	p := a.sameOrgProfile(o)
	if p == nil {
		return time.Time{}
	}
	return p.BookmarkWorked
}

// openOrgDirectly tells the user what opens and where the start page is,
// and opens the organization (ev is the browser method's StartPage).
func (a *app) openOrgDirectly(o *loginOptions, ev login.Event) {
	name, _ := a.profileName()
	a.say("Opening %s in your browser: click the gdlogin bookmark on that tab (it worked for profile %q on %s).",
		o.org, name, o.bookmark.Local().Format("2006-01-02"))
	a.say("If you have no gdlogin bookmark, open %s", ev.URL)
	a.say("That page also has the pairing code, if the bookmark asks for one; gdlogin login --start-page opens it first.\n")
	if err := a.env.OpenBrowser(ev.OrgURL, o.browserCommand); err != nil {
		a.warn("could not open a browser (%v); open the start page above yourself", err)
	}
}

// sayBookmarkChange tells the user, once the profile is saved, when the
// next login will open something else than this one did.
func (a *app) sayBookmarkChange(o *loginOptions, cred credential.Credential) {
	name, _ := a.profileName()
	switch {
	case cred.Bookmark == credential.BookmarkWorked && o.bookmarkKnown.IsZero():
		a.say("The bookmark worked: the next login of profile %q opens the organization directly, and you click the bookmark there (gdlogin login --start-page opens the start page instead).", name)
	case cred.Bookmark == credential.BookmarkNotUsed && !o.bookmarkKnown.IsZero():
		a.say("The token came from the console snippet: the next login of profile %q opens gdlogin's start page again.", name)
	}
}

// forgetBookmarkAfterTimeout makes the next login open the start page when
// this one opened the organization directly and timed out without a token:
// the bookmark may be missing in this browser, or no longer run there. A
// cancelled login (Ctrl-C) changes nothing.
func (a *app) forgetBookmarkAfterTimeout(ctx context.Context, o *loginOptions, err error) {
	var fe *failure.Error
	if o.bookmark.IsZero() || !errors.As(err, &fe) || fe.Kind != failure.Timeout {
		return
	}
	st, name, serr := a.profileStore()
	if serr != nil {
		return
	}
	cleared, serr := st.ForgetBookmark(context.WithoutCancel(ctx), name)
	switch {
	case serr != nil:
		a.warn("could not note in profile %q that the bookmark did not work (%v); use gdlogin login --start-page next time", name, serr)
	case cleared:
		a.say("No token came from the bookmark: the next login of profile %q opens gdlogin's start page again.", name)
	}
}

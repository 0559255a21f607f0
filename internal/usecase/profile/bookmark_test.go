package profile_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
	"github.com/gdlogin/gdlogin/internal/usecase/usecasetest"
)

// TestSaveRemembersTheBookmark: a login whose token came from the bookmark
// records when; one from the snippet clears it; the other methods and paste
// mode keep what the profile knew, unless the profile changes organization.
func TestSaveRemembersTheBookmark(t *testing.T) {
	ctx := context.Background()
	d := profile.Deps{Store: usecasetest.Store(t)}
	john := gooddata.Profile{UserID: "john.doe", OrganizationID: "default"}
	at := func(h int) time.Time { return time.Date(2026, 11, 29, h, 0, 0, 0, time.UTC) }
	login := func(host string, hour int, method string, b credential.Bookmark) time.Time {
		t.Helper()
		cred := credential.Credential{Host: host, Profile: john, TokenID: fmt.Sprintf("t%d", hour), Token: "secret",
			Method: method, CreatedAt: at(hour), Bookmark: b}
		saved, err := d.Save(ctx, "prod", cred, seen(t, d, "prod"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.Store.Get("prod")
		if err != nil || !got.BookmarkWorked.Equal(saved.Profile.BookmarkWorked) {
			t.Fatalf("saved %v, read back %v (%v)", saved.Profile.BookmarkWorked, got.BookmarkWorked, err)
		}
		return got.BookmarkWorked
	}
	const org, other = "https://analytics.example.com", "https://staging.example.com"
	steps := []struct {
		what   string
		host   string
		method string
		b      credential.Bookmark
		want   time.Time
	}{
		{"first login, start page and snippet", org, credential.MethodBrowser, credential.BookmarkNotUsed, time.Time{}},
		{"the bookmark", org, credential.MethodBrowser, credential.BookmarkWorked, at(2)},
		{"the token method keeps it", org, credential.MethodToken, credential.BookmarkUnknown, at(2)},
		{"paste mode keeps it", org, credential.MethodBrowser, credential.BookmarkUnknown, at(2)},
		{"the bookmark again", org, credential.MethodBrowser, credential.BookmarkWorked, at(5)},
		{"the snippet clears it", org, credential.MethodBrowser, credential.BookmarkNotUsed, time.Time{}},
		{"the bookmark once more", org, credential.MethodBrowser, credential.BookmarkWorked, at(7)},
		{"another organization does not inherit it", other, credential.MethodOIDC, credential.BookmarkUnknown, time.Time{}},
	}
	for i, s := range steps {
		if got := login(s.host, i+1, s.method, s.b); !got.Equal(s.want) {
			t.Fatalf("%s: BookmarkWorked %v, want %v", s.what, got, s.want)
		}
	}
}

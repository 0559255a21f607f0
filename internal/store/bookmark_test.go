package store

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestBookmarkWorked: the time the bookmark last worked is saved in
// config.yaml (in UTC, to the second), read back, left out while it is
// zero, and cleared by ForgetBookmark without touching the secret.
func TestBookmarkWorked(t *testing.T) {
	ctx := context.Background()
	s, err := Open(Options{ConfigDir: t.TempDir(), Mode: ModeFile})
	if err != nil {
		t.Fatal(err)
	}
	plain := testProfile("plain")
	if _, err := s.Save(ctx, plain, Secret{Token: "tok-plain"}); err != nil {
		t.Fatal(err)
	}
	p := testProfile("prod")
	p.BookmarkWorked = time.Date(2026, 11, 29, 19, 22, 0, 500, time.FixedZone("CET", 3600))
	if _, err := s.Save(ctx, p, Secret{Token: "tok-prod"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(s.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "bookmark_worked:"); n != 1 || !strings.Contains(string(data), "    bookmark_worked: 2026-11-29T18:22:00Z\n") {
		t.Fatalf("config.yaml holds bookmark_worked %d times, want once, in UTC:\n%s", n, data)
	}
	got, err := s.Get("prod")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 29, 18, 22, 0, 0, time.UTC); !got.BookmarkWorked.Equal(want) {
		t.Fatalf("BookmarkWorked = %v, want %v", got.BookmarkWorked, want)
	}
	if got, _ := s.Get("plain"); !got.BookmarkWorked.IsZero() {
		t.Fatalf("a profile saved without it has BookmarkWorked %v", got.BookmarkWorked)
	}

	for _, c := range []struct {
		name string
		want bool
	}{{"prod", true}, {"prod", false}, {"plain", false}, {"missing", false}} {
		cleared, err := s.ForgetBookmark(ctx, c.name)
		if err != nil || cleared != c.want {
			t.Fatalf("ForgetBookmark(%s) = %t, %v; want %t", c.name, cleared, err, c.want)
		}
	}
	got, err = s.Get("prod")
	if err != nil || !got.BookmarkWorked.IsZero() || got.TokenID != p.TokenID {
		t.Fatalf("after ForgetBookmark: %+v, %v", got, err)
	}
	if sec, err := s.Secret(ctx, "prod"); err != nil || sec.Token != "tok-prod" {
		t.Fatalf("the secret after ForgetBookmark: %v", err)
	}
	if data, _ := os.ReadFile(s.ConfigPath()); strings.Contains(string(data), "bookmark_worked") {
		t.Fatalf("config.yaml still holds bookmark_worked:\n%s", data)
	}
	if _, err := s.ForgetBookmark(ctx, "../x"); err == nil {
		t.Fatal("ForgetBookmark took an invalid name")
	}
}

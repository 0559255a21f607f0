package store

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// A file as an earlier gdlogin left it: two of its entries (prod and
// staging, named and hosted as saved profiles) read the shared
// $GOODDATA_TOKEN; dev was written by hand and reads it too; notebook
// reads its own variable.
const sharedTokenFile = `# My GoodData profiles.
profiles:
  # production, written by gdlogin
  prod:
    host: https://prod.example.com
    token: $GOODDATA_TOKEN

  staging:
    host: https://staging.example.com   # the EU cluster
    token: "$GOODDATA_TOKEN"
  dev:
    host: https://dev.example.com
    token: $GOODDATA_TOKEN
  notebook:
    host: https://prod.example.com
    token: $NOTEBOOK_TOKEN
default_profile: prod
access: {}
`

func saveHosted(t *testing.T, s *testStore, name, host string) {
	t.Helper()
	p := testProfile(name)
	p.Host = host
	mustSave(t, s, p, "token-of-"+name)
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "profiles.yaml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWriteSDKProfileMigratesOwnEntries: writing staging moves staging and
// prod (gdlogin's, by name and host) to their own variables, byte for byte
// in place; dev (host of no profile of that name) and notebook stay.
func TestWriteSDKProfileMigratesOwnEntries(t *testing.T) {
	s := openTest(t, ModeFile, nil)
	saveHosted(t, s, "prod", "https://prod.example.com")
	saveHosted(t, s, "staging", "https://staging.example.com")
	saveHosted(t, s, "dev", "https://dev-other.example.com") // same name, another host: not gdlogin's entry
	path := writeTemp(t, sharedTokenFile)

	res, err := s.WriteSDKProfile(context.Background(), SDKProfile{Name: "staging", Host: "https://staging.example.com"}, SDKOptions{Path: path, Owner: "staging"})
	if err != nil {
		t.Fatal(err)
	}
	want := `# My GoodData profiles.
profiles:
  # production, written by gdlogin
  prod:
    host: https://prod.example.com
    token: $GDLOGIN_TOKEN_PROD

  staging:
    host: https://staging.example.com   # the EU cluster
    token: "$GDLOGIN_TOKEN_STAGING"
  dev:
    host: https://dev.example.com
    token: $GOODDATA_TOKEN
  notebook:
    host: https://prod.example.com
    token: $NOTEBOOK_TOKEN
default_profile: prod
access: {}
`
	if got := string(readFile(t, path)); got != want {
		t.Fatalf("file after the write:\n%s\nwant:\n%s", got, want)
	}
	if res.Reformatted || !res.Recorded || res.TokenEnv != "GDLOGIN_TOKEN_STAGING" || res.DefaultProfile != "prod" {
		t.Errorf("result %+v", res)
	}
	if want := []SDKMigration{{Entry: "prod", Profile: "prod", TokenEnv: "GDLOGIN_TOKEN_PROD"}}; !reflect.DeepEqual(res.Migrated, want) {
		t.Errorf("Migrated %+v, want %+v", res.Migrated, want)
	}
	if want := []string{"dev"}; !reflect.DeepEqual(res.Shared, want) {
		t.Errorf("Shared %v, want %v", res.Shared, want)
	}

	// Both entries are recorded with their profiles.
	for name, want := range map[string][]SDKEntry{
		"staging": {{Path: path, Name: "staging", Host: "https://staging.example.com", TokenEnv: "GDLOGIN_TOKEN_STAGING"}},
		"prod":    {{Path: path, Name: "prod", Host: "https://prod.example.com", TokenEnv: "GDLOGIN_TOKEN_PROD"}},
		"dev":     nil,
	} {
		p, err := s.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.SDKProfiles, want) {
			t.Errorf("%s records %+v, want %+v", name, p.SDKProfiles, want)
		}
	}

	// A re-login keeps the record; writing again changes nothing more.
	saveHosted(t, s, "staging", "https://staging.example.com")
	if p, _ := s.Get("staging"); len(p.SDKProfiles) != 1 {
		t.Fatalf("re-login lost the record: %+v", p.SDKProfiles)
	}
	before := string(readFile(t, path))
	res, err = s.WriteSDKProfile(context.Background(), SDKProfile{Name: "staging", Host: "https://staging.example.com"}, SDKOptions{Path: path, Owner: "staging"})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(readFile(t, path)); got != before || len(res.Migrated) != 0 {
		t.Errorf("second write changed the file or migrated again (%+v):\n%s", res.Migrated, got)
	}
}

// TestWriteSDKProfileUnderAnotherName: an entry written under another name
// (--sdk-profile) is its profile's by the record, and migrates by it.
func TestWriteSDKProfileUnderAnotherName(t *testing.T) {
	s := openTest(t, ModeFile, nil)
	saveHosted(t, s, "staging", "https://staging.example.com")
	path := writeTemp(t, "profiles:\n  stage:\n    host: https://staging.example.com\n    token: $GOODDATA_TOKEN\ndefault_profile: stage\naccess: {}\n")
	// Not known as gdlogin's yet: its name is no profile's.
	res, err := s.WriteSDKProfile(context.Background(), SDKProfile{Name: "other", Host: "https://staging.example.com"}, SDKOptions{Path: path, Owner: "staging"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Migrated) != 0 || !reflect.DeepEqual(res.Shared, []string{"stage"}) {
		t.Fatalf("result %+v", res)
	}
	if _, err := s.WriteSDKProfile(context.Background(), SDKProfile{Name: "stage", Host: "https://staging.example.com"}, SDKOptions{Path: path, Owner: "staging"}); err != nil {
		t.Fatal(err)
	}
	got := string(readFile(t, path))
	wantFile := "profiles:\n  stage:\n    host: https://staging.example.com\n    token: $GDLOGIN_TOKEN_STAGING\n  other:\n    host: https://staging.example.com\n    token: $GDLOGIN_TOKEN_STAGING\ndefault_profile: stage\naccess: {}\n"
	if got != wantFile {
		t.Fatalf("file:\n%s\nwant:\n%s", got, wantFile)
	}
	p, _ := s.Get("staging")
	if len(p.SDKProfiles) != 2 || p.SDKProfiles[0].Name != "other" || p.SDKProfiles[1].Name != "stage" {
		t.Errorf("records %+v", p.SDKProfiles)
	}
	if _, err := s.WriteSDKProfile(context.Background(), SDKProfile{Name: "x", Host: "https://staging.example.com"}, SDKOptions{Path: path, Owner: "nobody"}); err == nil {
		t.Error("an owner that is no profile was accepted")
	}
}

func TestRemoveSDKEntries(t *testing.T) {
	s := openTest(t, ModeFile, nil)
	ctx := context.Background()
	saveHosted(t, s, "prod", "https://prod.example.com")
	saveHosted(t, s, "staging", "https://staging.example.com")
	path := writeTemp(t, sharedTokenFile)
	for _, name := range []string{"staging", "prod"} {
		if _, err := s.WriteSDKProfile(ctx, SDKProfile{Name: name, Host: "https://" + name + ".example.com"}, SDKOptions{Path: path, Owner: name}); err != nil {
			t.Fatal(err)
		}
	}
	staging, _ := s.Get("staging")
	got, err := s.RemoveSDKEntries(ctx, staging.SDKProfiles)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Outcome != SDKEntryRemoved || got[0].DefaultProfile != "" || got[0].Reformatted {
		t.Fatalf("removal %+v", got)
	}
	want := `# My GoodData profiles.
profiles:
  # production, written by gdlogin
  prod:
    host: https://prod.example.com
    token: $GDLOGIN_TOKEN_PROD

  dev:
    host: https://dev.example.com
    token: $GOODDATA_TOKEN
  notebook:
    host: https://prod.example.com
    token: $NOTEBOOK_TOKEN
default_profile: prod
access: {}
`
	if s := string(readFile(t, path)); s != want {
		t.Fatalf("after removing staging:\n%s\nwant:\n%s", s, want)
	}
	assertMode(t, path, 0o644)

	// Again: already gone, nothing changes.
	if got, _ := s.RemoveSDKEntries(ctx, staging.SDKProfiles); got[0].Outcome != SDKEntryGone || string(readFile(t, path)) != want {
		t.Errorf("second removal %+v", got)
	}

	// prod is the default_profile: removed, and said so.
	prod, _ := s.Get("prod")
	got, _ = s.RemoveSDKEntries(ctx, prod.SDKProfiles)
	if got[0].Outcome != SDKEntryRemoved || got[0].DefaultProfile != "prod" {
		t.Fatalf("prod removal %+v", got)
	}
	want = `# My GoodData profiles.
profiles:
  # production, written by gdlogin

  dev:
    host: https://dev.example.com
    token: $GOODDATA_TOKEN
  notebook:
    host: https://prod.example.com
    token: $NOTEBOOK_TOKEN
default_profile: prod
access: {}
`
	if s := string(readFile(t, path)); s != want {
		t.Fatalf("after removing prod:\n%s\nwant:\n%s", s, want)
	}
}

func TestRemoveSDKEntriesLeavesChangedEntries(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, ModeFile, nil)
	rec := SDKEntry{Name: "work", Host: "https://analytics.example.com", TokenEnv: "GDLOGIN_TOKEN_WORK"}
	for _, content := range []string{
		// the host was changed by hand
		"profiles:\n  work:\n    host: https://other.example.com\n    token: $GDLOGIN_TOKEN_WORK\ndefault_profile: work\naccess: {}\n",
		// the token now reads another variable
		"profiles:\n  work:\n    host: https://analytics.example.com\n    token: $MY_TOKEN\ndefault_profile: work\naccess: {}\n",
		// the file is in the legacy form now
		"work:\n  host: https://analytics.example.com\n  token: literal\n",
	} {
		path := writeTemp(t, content)
		rec.Path = path
		got, err := s.RemoveSDKEntries(ctx, []SDKEntry{rec})
		if err != nil || got[0].Outcome != SDKEntryChanged {
			t.Errorf("%q: %+v %v", content, got, err)
		}
		if string(readFile(t, path)) != content {
			t.Errorf("%q was changed", content)
		}
	}
	// The last entry goes: profiles becomes {} (a bare "profiles:" would
	// be null, which the SDK refuses), and the comments stay.
	path := writeTemp(t, "# mine\nprofiles:\n  # the work org\n  work:\n    host: https://analytics.example.com/\n    token: $GDLOGIN_TOKEN_WORK\n# trailing\ndefault_profile: work\naccess: {}\n")
	rec.Path = path
	got, _ := s.RemoveSDKEntries(ctx, []SDKEntry{rec})
	if got[0].Outcome != SDKEntryRemoved || got[0].Reformatted || got[0].DefaultProfile != "work" {
		t.Fatalf("%+v", got)
	}
	if want := "# mine\nprofiles: {}\n  # the work org\n# trailing\ndefault_profile: work\naccess: {}\n"; string(readFile(t, path)) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", readFile(t, path), want)
	}
	// Legacy form: the entry with the literal token goes, by its host.
	path = writeTemp(t, "# legacy\nwork:\n  host: https://analytics.example.com\n  token: literal\nother:\n  host: https://other.example.com\n  token: t2\n")
	got, _ = s.RemoveSDKEntries(ctx, []SDKEntry{{Path: path, Name: "work", Host: "https://analytics.example.com"}})
	if got[0].Outcome != SDKEntryRemoved {
		t.Fatalf("%+v", got)
	}
	if want := "# legacy\nother:\n  host: https://other.example.com\n  token: t2\n"; string(readFile(t, path)) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", readFile(t, path), want)
	}
	// A missing file is gone already.
	got, _ = s.RemoveSDKEntries(ctx, []SDKEntry{{Path: filepath.Join(t.TempDir(), "none.yaml"), Name: "work", Host: "https://analytics.example.com"}})
	if got[0].Outcome != SDKEntryGone {
		t.Errorf("%+v", got)
	}
}

package replace_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
	"github.com/gdlogin/gdlogin/internal/usecase/replace"
	"github.com/gdlogin/gdlogin/internal/usecase/usecasetest"
)

// env is a store and the replace use case on the production client.
type env struct {
	t    *testing.T
	st   *store.Store
	deps replace.Deps
}

func newEnv(t *testing.T) *env {
	client := usecasetest.Client(t)
	st := usecasetest.Store(t)
	return &env{t: t, st: st, deps: replace.Deps{Profiles: profile.Deps{Store: st}, Client: client,
		ClientOf: func(p store.Profile, token string) (*gooddata.Client, error) { return client(p.Host, token) }}}
}

// login is a verified login of user on org that created token id.
func login(t *testing.T, org *orgsim.Server, user, id string) credential.Credential {
	t.Helper()
	bearer := usecasetest.Issue(t, org, user, id)
	return credential.Credential{Host: org.URL(), Profile: gooddata.Profile{UserID: user, OrganizationID: "default"},
		TokenID: id, Token: gooddata.Secret(bearer), Method: credential.MethodBrowser, CreatedAt: usecasetest.Now()}
}

// save saves cred into profile name as a login that started now.
func (e *env) save(name string, cred credential.Credential, keepOld bool) (replace.Result, error) {
	e.t.Helper()
	seen, err := e.st.Revision(name)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.deps.Save(context.Background(), replace.Input{Profile: name, Cred: cred, Seen: seen, KeepOld: keepOld})
}

func (e *env) mustSave(name string, cred credential.Credential, keepOld bool) replace.Result {
	e.t.Helper()
	res, err := e.save(name, cred, keepOld)
	if err != nil {
		e.t.Fatalf("save %s: %v", cred.TokenID, err)
	}
	return res
}

func TestReloginDeletesTheTokenItReplaces(t *testing.T) {
	org := usecasetest.Org(t)
	e := newEnv(t)
	if res := e.mustSave("default", login(t, org, "john.doe", "gdlogin-one"), false); res.Old != replace.NothingReplaced || res.Replaced != nil {
		t.Fatalf("first login: %+v", res)
	}
	res := e.mustSave("default", login(t, org, "john.doe", "gdlogin-two"), false)
	if res.Old != replace.Deleted || res.Replaced == nil || res.Replaced.TokenID != "gdlogin-one" || res.Saved.TokenID != "gdlogin-two" {
		t.Fatalf("re-login: %+v", res)
	}
	if org.HasToken("john.doe", "gdlogin-one") || !org.HasToken("john.doe", "gdlogin-two") {
		t.Fatalf("tokens on the server: %v", org.TokenIDs("john.doe"))
	}
	// Ten more re-logins leave one live token: the saved one.
	for _, id := range []string{"t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10", "t11", "t12"} {
		e.mustSave("default", login(t, org, "john.doe", id), false)
	}
	if got := org.TokenIDs("john.doe"); !slices.Equal(got, []string{"t12"}) {
		t.Fatalf("after twelve logins the server holds %v, want only t12", got)
	}
	sec, err := e.st.Secret(context.Background(), "default")
	if err != nil || !org.HasToken("john.doe", "t12") || sec.Token == "" {
		t.Fatalf("the saved token: %v", err)
	}
}

func TestKeepOldLeavesTheReplacedToken(t *testing.T) {
	org := usecasetest.Org(t)
	e := newEnv(t)
	e.mustSave("default", login(t, org, "john.doe", "one"), false)
	res := e.mustSave("default", login(t, org, "john.doe", "two"), true)
	if res.Old != replace.KeptOld || !org.HasToken("john.doe", "one") {
		t.Fatalf("--keep-old: %+v, server %v", res, org.TokenIDs("john.doe"))
	}
	if got := res.DeleteHint(); got != "gdlogin tokens delete one" {
		t.Errorf("delete hint %q", got)
	}
}

func TestTokenAnotherProfileHoldsStays(t *testing.T) {
	org := usecasetest.Org(t)
	e := newEnv(t)
	first := login(t, org, "john.doe", "shared")
	e.mustSave("default", first, false)
	e.mustSave("ci", first, false)
	res := e.mustSave("default", login(t, org, "john.doe", "new"), false)
	if res.Old != replace.StillHeld || !slices.Equal(res.HeldBy, []string{"ci"}) || !org.HasToken("john.doe", "shared") {
		t.Fatalf("held by ci: %+v", res)
	}
}

func TestAlreadyDeletedTokenIsNoFailure(t *testing.T) {
	org := usecasetest.Org(t)
	e := newEnv(t)
	old := login(t, org, "john.doe", "old")
	e.mustSave("default", old, false)
	c, _ := usecasetest.Client(t)(org.URL(), old.Token.Reveal())
	if err := c.DeleteToken(context.Background(), "john.doe", "old"); err != nil {
		t.Fatal(err)
	}
	if res := e.mustSave("default", login(t, org, "john.doe", "new"), false); res.Old != replace.AlreadyGone || res.Err != nil {
		t.Fatalf("gone: %+v", res)
	}
}

func TestOtherOrganizationsTokenIsDeletedThere(t *testing.T) {
	a, b := usecasetest.Org(t), usecasetest.Org(t)
	e := newEnv(t)
	e.mustSave("default", login(t, a, "john.doe", "on-a"), false)
	res := e.mustSave("default", login(t, b, "john.doe", "on-b"), false)
	if res.Old != replace.Deleted || a.HasToken("john.doe", "on-a") || !b.HasToken("john.doe", "on-b") {
		t.Fatalf("other organization: %+v; a holds %v", res, a.TokenIDs("john.doe"))
	}

	// When the old organization cannot be reached, the login still
	// stands, and the user learns how to delete the old token.
	e.mustSave("default", login(t, a, "john.doe", "again-a"), false)
	a.Close()
	res = e.mustSave("default", login(t, b, "john.doe", "again-b"), false)
	if res.Old != replace.NotDeleted || res.Err == nil || res.Saved.TokenID != "again-b" {
		t.Fatalf("unreachable old organization: %+v", res)
	}
	hint := res.DeleteHint()
	if !strings.Contains(hint, "gdlogin login "+a.URL()+" --profile default-old") || !strings.HasSuffix(hint, "gdlogin tokens delete --profile default-old again-a") {
		t.Errorf("delete hint %q", hint)
	}
	if _, err := e.st.Get("default"); err != nil {
		t.Fatal(err)
	}
}

func TestKeptIDTokenRetiresNothing(t *testing.T) {
	org := usecasetest.Org(t)
	e := newEnv(t)
	e.mustSave("default", login(t, org, "john.doe", "api"), false)
	jwt := credential.Credential{Host: org.URL(), Profile: gooddata.Profile{UserID: "john.doe"}, Token: "header.payload.signature",
		Method: credential.MethodOIDC, OIDC: &credential.OIDC{Issuer: "https://login.example.com", ClientID: "gdlogin", KeepJWT: true}}
	res := e.mustSave("default", jwt, false)
	if res.Old != replace.NotMinted || !org.HasToken("john.doe", "api") {
		t.Fatalf("--keep-jwt over an API token: %+v", res)
	}
	p, _ := e.st.Get("default")
	if p.OIDC == nil || !p.OIDC.KeepJWT {
		t.Errorf("--keep-jwt is not remembered: %+v", p.OIDC)
	}
}

// TestConcurrentLoginsLeaveOneLiveToken: of twelve logins into one
// profile, the first to save wins, and each loser deletes the token it
// made, so the server holds exactly the saved one.
func TestConcurrentLoginsLeaveOneLiveToken(t *testing.T) {
	for _, existing := range []bool{false, true} {
		name := "new profile"
		if existing {
			name = "existing profile"
		}
		t.Run(name, func(t *testing.T) {
			org := usecasetest.Org(t)
			e := newEnv(t)
			if existing {
				e.mustSave("default", login(t, org, "john.doe", "before"), false)
			}
			const n = 12
			creds := make([]credential.Credential, n)
			seen := make([]store.Revision, n)
			for i := range creds {
				creds[i] = login(t, org, "john.doe", "race-"+string(rune('a'+i)))
				var err error
				if seen[i], err = e.st.Revision("default"); err != nil {
					t.Fatal(err)
				}
			}
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					_, errs[i] = e.deps.Save(context.Background(), replace.Input{Profile: "default", Cred: creds[i], Seen: seen[i]})
				})
			}
			close(start)
			wg.Wait()
			var won []int
			for i, err := range errs {
				var lost *replace.LostRaceError
				switch {
				case err == nil:
					won = append(won, i)
				case errors.As(err, &lost) && lost.Deleted && replace.Unsaved(err) && failure.KindOf(err) == failure.Other:
					if !strings.Contains(err.Error(), "another gdlogin saved profile \"default\" meanwhile") || !strings.Contains(err.Error(), creds[i].TokenID) {
						t.Errorf("loser %d says %v", i, err)
					}
				default:
					t.Errorf("login %d: %v", i, err)
				}
			}
			if len(won) != 1 {
				t.Fatalf("%d logins saved, want exactly one", len(won))
			}
			p, err := e.st.Get("default")
			if err != nil || p.TokenID != creds[won[0]].TokenID {
				t.Fatalf("profile holds %q (%v), the winner made %q", p.TokenID, err, creds[won[0]].TokenID)
			}
			if got := org.TokenIDs("john.doe"); !slices.Equal(got, []string{p.TokenID}) {
				t.Fatalf("the server holds %v, want only the saved %q", got, p.TokenID)
			}
		})
	}
}

// Package usecasetest gives the use cases' tests what they share: an
// emulated organization, a profile store in a temporary directory with an
// in-memory keyring, the API client factory and a fixed clock.
package usecasetest

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/httpclient"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/store/storetest"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
)

// Now is the tests' clock.
var Now = func() time.Time { return time.Date(2026, 11, 29, 18, 22, 0, 0, time.UTC) }

// Org starts the demo organization for the test.
func Org(t *testing.T) *orgsim.Server {
	t.Helper()
	org, err := orgsim.Start(orgsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { org.Close() })
	return org
}

// Store opens a store in a temporary directory with an in-memory keyring.
func Store(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(store.Options{ConfigDir: t.TempDir(), Keyring: storetest.NewKeyring(), Warn: io.Discard, Now: Now})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Client is the API client factory on the production HTTP client.
func Client(t *testing.T) credential.ClientFactory {
	t.Helper()
	hc, err := httpclient.New(httpclient.Config{UserAgent: "gdlogin/test"})
	if err != nil {
		t.Fatal(err)
	}
	return func(org, token string) (*gooddata.Client, error) {
		return gooddata.New(org, token, gooddata.Options{HTTPClient: hc})
	}
}

// Issue creates a token of user on org and returns its bearer.
func Issue(t *testing.T, org *orgsim.Server, user, id string) string {
	t.Helper()
	bearer, err := org.IssueToken(user, id)
	if err != nil {
		t.Fatal(err)
	}
	return bearer
}

// SaveProfile saves profile name for user's token id on org.
func SaveProfile(t *testing.T, st *store.Store, org *orgsim.Server, name, user, id string) store.Profile {
	t.Helper()
	bearer := Issue(t, org, user, id)
	p, err := st.Save(context.Background(), store.Profile{Name: name, Host: org.URL(), UserID: user, TokenID: id, Method: store.MethodToken, CreatedAt: Now()},
		store.Secret{Token: bearer})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

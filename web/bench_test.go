package web

import (
	"github.com/gdlogin/gdlogin/internal/httpclient"

	"bytes"
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/orgsim"
)

// BenchmarkComplete measures POST /complete end to end: the request
// checks, decryption, verification with an in-process emulated
// organization (GET /api/v1/profile with the new token) and the commit.
// Each iteration is a new login, as /complete accepts one result; setting
// the login up is not timed.
func BenchmarkComplete(b *testing.B) {
	org, err := orgsim.Start(orgsim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer org.Close()
	token, err := org.IssueToken("john.doe", "bench")
	if err != nil {
		b.Fatal(err)
	}
	apiHTTP, _ := httpclient.New(httpclient.Config{})
	verify := func(ctx context.Context, p handoff.Payload) (*gooddata.Profile, error) {
		c, err := gooddata.New(org.URL(), p.Token, gooddata.Options{HTTPClient: apiHTTP})
		if err != nil {
			return nil, err
		}
		return c.Profile(ctx)
	}
	browser := &http.Client{}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		sess, _ := handoff.NewSession(ln.Addr().(*net.TCPAddr).Port, "bench", org.URL(), testInstallationKey, nil)
		srv, err := New(Config{Listener: ln, Session: sess, Org: org.URL(), Verify: verify, Grace: 1})
		if err != nil {
			b.Fatal(err)
		}
		srv.Start()
		env, _ := handoff.Seal(sess.Pairing(), handoff.Payload{Token: token, TokenID: "bench", UserID: "john.doe", Origin: org.URL()}, nil)
		req, _ := http.NewRequest(http.MethodPost, srv.Origin()+"/complete", bytes.NewReader(env))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", srv.Origin())
		b.StartTimer()
		res, err := browser.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatalf("complete: %v %v", res, err)
		}
		res.Body.Close()
		b.StopTimer()
		srv.Close()
		b.StartTimer()
	}
}

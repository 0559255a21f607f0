package cli

// The certificate authorities a run trusts for an organization: --ca-cert
// when it is given, else the CA file saved with the profile by the login
// that created it (like the host, it is remembered per profile). Each CA
// file gets one HTTP client per run, built by httpclient.New.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/httpclient"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/termtext"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
)

// caChoice is the CA file trusted for one organization, on top of the
// system's authorities, and where the choice came from.
type caChoice struct {
	// file is the absolute path of the PEM file; "" means the system's
	// authorities only.
	file string
	// profile names the profile the file was saved with; "" when it is
	// this run's --ca-cert.
	profile string
}

// caCertGiven reports whether --ca-cert is on the command line (also as
// --ca-cert ”, which means the system's authorities only).
func (a *app) caCertGiven() bool { return a.caFlag != nil && a.caFlag.Changed }

// flagCA is --ca-cert as an absolute path.
func (a *app) flagCA() (caChoice, error) {
	if a.caCert == "" {
		return caChoice{}, nil
	}
	abs, err := filepath.Abs(a.caCert)
	if err != nil {
		return caChoice{}, &failure.Error{Kind: failure.Usage, Err: fmt.Errorf("--ca-cert %s: %w", a.caCert, err)}
	}
	return caChoice{file: abs}, nil
}

// caFor is the choice for saved profile p: --ca-cert when given, else the
// file saved with p.
func (a *app) caFor(p store.Profile) (caChoice, error) {
	if a.caCertGiven() {
		return a.flagCA()
	}
	if p.CACert == "" {
		return caChoice{}, nil
	}
	return caChoice{file: p.CACert, profile: p.Name}, nil
}

// caOf is the choice for profile name of st; a profile that cannot be read
// gets --ca-cert (the use case then reports why it cannot be read).
func (a *app) caOf(st *store.Store, name string) (caChoice, error) {
	p, err := st.Get(name)
	if err != nil {
		return a.flagCA()
	}
	return a.caFor(p)
}

// chooseLoginCA sets the choice of a login as the run's profile: --ca-cert
// when given, else the file saved with the profile when it is a login to
// the same organization again. The login saves what it used, once it is
// verified.
func (a *app) chooseLoginCA(o *loginOptions) error {
	ca, err := a.flagCA()
	if err != nil || a.caCertGiven() {
		o.ca = ca
		return err
	}
	saved := a.sameOrgProfile(o)
	if saved == nil {
		return nil
	}
	if o.ca, err = a.caFor(*saved); err != nil {
		return err
	}
	if o.ca.file != "" {
		a.say("Trusting the certificate authorities in %s, saved with profile %q (--ca-cert FILE replaces it, --ca-cert '' drops it).", termtext.Clean(o.ca.file), saved.Name)
	}
	return nil
}

// sameOrgProfile is the run's saved profile when this login is one to
// the same organization again (o.org), else nil: its CA file, bookmark and
// OIDC settings are the login's defaults. A store that cannot be read has
// none to offer; the login reports it when it saves (--no-save never
// needs it).
func (a *app) sameOrgProfile(o *loginOptions) *store.Profile {
	saved := o.saved
	if saved == nil {
		st, name, err := a.profileStore()
		if err != nil {
			return nil
		}
		p, err := st.Get(name)
		if err != nil {
			return nil
		}
		saved = &p
	}
	if saved.Host != o.org {
		return nil
	}
	return saved
}

// httpClientFor is the run's HTTP client for ca, for the organization and
// the identity provider alike (package httpclient). A CA file that cannot
// be used is an error that names the file, and the profile it was saved
// with.
func (a *app) httpClientFor(ca caChoice) (*http.Client, error) {
	a.httpMu.Lock()
	defer a.httpMu.Unlock()
	if c, ok := a.https[ca]; ok {
		return c.client, c.err
	}
	hc, err := httpclient.New(httpclient.Config{CACertFile: ca.file, UserAgent: "gdlogin/" + Version(), DialContext: dialHook})
	if err != nil {
		err = caFileFailure(err, ca)
	}
	if a.https == nil {
		a.https = map[caChoice]httpResult{}
	}
	a.https[ca] = httpResult{hc, err}
	return hc, err
}

type httpResult struct {
	client *http.Client
	err    error
}

// dialHook, when set, opens the HTTP clients' connections (tests that
// resolve a test host name to 127.0.0.1); nil in production.
var dialHook func(ctx context.Context, network, addr string) (net.Conn, error)

func caFileFailure(err error, ca caChoice) error {
	var ce *httpclient.CAFileError
	if ca.profile == "" || !errors.As(err, &ce) {
		return &failure.Error{Kind: failure.Usage, Err: err}
	}
	name := termtext.Clean(ca.profile)
	return &failure.Error{Kind: failure.Other, Err: err,
		Message: ce.Describe(fmt.Sprintf("the CA file %s of profile %q (saved by gdlogin login --ca-cert)", termtext.Clean(ce.Path), name)),
		Advice:  fmt.Sprintf("put the file back, pass another one with --ca-cert FILE (gdlogin login --ca-cert FILE%s saves it), or --ca-cert '' to trust only the system's certificate authorities", profile.Flag(ca.profile))}
}

// clientFor builds API clients on the HTTP client for ca.
func (a *app) clientFor(ca caChoice) credential.ClientFactory {
	return func(org, token string) (*gooddata.Client, error) {
		hc, err := a.httpClientFor(ca)
		if err != nil {
			return nil, err
		}
		return a.apiClient(org, token, hc)
	}
}

// apiClient builds an API client on hc, with --verbose's trace.
func (a *app) apiClient(org, token string, hc *http.Client) (*gooddata.Client, error) {
	opts := gooddata.Options{HTTPClient: hc}
	if a.verbose {
		opts.Trace = func(ev gooddata.TraceEvent) {
			status := "no answer"
			if ev.Status != 0 {
				status = fmt.Sprint(ev.Status)
			}
			line := termtext.Sprintf("http: %s %s -> %s in %s", ev.Method, ev.URL, status, ev.Duration.Round(time.Millisecond))
			if ev.TraceID != "" {
				line += " (trace id " + termtext.Clean(ev.TraceID) + ")"
			}
			a.errMu.Lock()
			defer a.errMu.Unlock()
			fmt.Fprintln(a.env.Stderr, line)
		}
	}
	return gooddata.New(org, token, opts)
}

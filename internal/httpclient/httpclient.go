// Package httpclient builds the one HTTP client gdlogin uses for everything
// that talks to the organization or the identity provider: the API calls,
// OIDC discovery, the provider's keys and its token endpoint. It applies
// the extra certificate authorities of --ca-cert, the proxy from the
// environment, connection and per-request timeouts, a cap on every
// response body, the User-Agent, and the rule that redirects are answers,
// not something to follow.
package httpclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"time"
)

// Defaults of Config.
const (
	// DefaultMaxBody bounds every response body: the API's answers and the
	// provider's documents are a few KiB.
	DefaultMaxBody = 1 << 20
	// DefaultTimeout bounds one whole exchange, the body included, so that
	// a server that trickles or streams forever cannot hold a login.
	DefaultTimeout = 60 * time.Second
)

// Config says how to reach a server.
type Config struct {
	// CACertFile is a PEM file of extra certificate authorities, trusted in
	// addition to the system ones (on-premises installs, --ca-cert).
	CACertFile string
	// UserAgent is sent on requests that do not set their own; empty means
	// "gdlogin".
	UserAgent string
	// MaxBody bounds each response body; reading past it fails with a
	// *BodyTooLargeError. Zero means DefaultMaxBody.
	MaxBody int64
	// Timeout bounds one exchange, reading the body included. Zero means
	// DefaultTimeout.
	Timeout time.Duration
	// DialContext, when set, opens connections instead of the default
	// dialer (tests that resolve a test host name to 127.0.0.1).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// BodyTooLargeError is what reading a response body returns once it
// passed the cap.
type BodyTooLargeError struct {
	URL   string
	Limit int64
}

func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("the answer of %s is larger than %s", e.URL, byteSize(e.Limit))
}

// New returns the client. It honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY,
// trusts CACertFile on top of the system roots, and does not follow
// redirects: a GoodData API and an identity provider's endpoints answer
// directly, so a redirect means a wrong URL or a login page in the way, and
// the caller reports it as such.
func New(cfg Config) (*http.Client, error) {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CACertFile != "" {
		pool, err := loadCAFile(cfg.CACertFile)
		if err != nil {
			return nil, err
		}
		tlsConf.RootCAs = pool
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "gdlogin"
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	dialer := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	dial := dialer.DialContext
	if cfg.DialContext != nil {
		dial = cfg.DialContext
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dial,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
		IdleConnTimeout:       30 * time.Second,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: &transport{next: tr, userAgent: cfg.UserAgent, maxBody: cfg.MaxBody},
		Timeout:   cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

// transport sets the User-Agent and caps the response body.
type transport struct {
	next      http.RoundTripper
	userAgent string
	maxBody   int64
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", t.userAgent)
	}
	res, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	res.Body = &cappedBody{rc: res.Body, left: t.maxBody, limit: t.maxBody, url: req.URL.Redacted()}
	return res, nil
}

// cappedBody fails once more than limit bytes were read, instead of
// silently cutting the answer short.
type cappedBody struct {
	rc    io.ReadCloser
	left  int64
	limit int64
	url   string
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, &BodyTooLargeError{URL: b.url, Limit: b.limit}
	}
	// Read one byte more than allowed, to tell "exactly the cap" from
	// "more than the cap".
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n + int(b.left), &BodyTooLargeError{URL: b.url, Limit: b.limit}
	}
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// CAFileError is a CA file that cannot be used: unreadable (Err says
// why) or without a PEM certificate (Err nil).
type CAFileError struct {
	Path string
	Err  error
}

func (e *CAFileError) Error() string { return e.Describe("the --ca-cert file " + e.Path) }

// Describe says what is wrong with the file, named by what (for example
// "the CA file /etc/corp.pem of profile \"default\"").
func (e *CAFileError) Describe(what string) string {
	if e.Err == nil {
		return what + " holds no PEM certificate"
	}
	return "cannot read " + what + ": " + e.Err.Error()
}

func (e *CAFileError) Unwrap() error { return e.Err }

func loadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &CAFileError{Path: path, Err: err}
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, &CAFileError{Path: path}
	}
	return pool, nil
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

package gooddata

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"time"
)

// HTTPConfig configures the transport used to reach an organization.
type HTTPConfig struct {
	// CACertFile is a PEM file of extra certificate authorities, trusted in
	// addition to the system ones (on-premises installs).
	CACertFile string
}

// NewHTTPClient returns the client gdlogin uses for API calls. It honours
// HTTPS_PROXY, HTTP_PROXY and NO_PROXY, trusts CACertFile on top of the
// system roots, and does not follow redirects: a GoodData API answers API
// calls directly, so a redirect means a wrong URL or a login page in the
// way, and is reported as such.
func NewHTTPClient(cfg HTTPConfig) (*http.Client, error) {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CACertFile != "" {
		pool, err := loadCAFile(cfg.CACertFile)
		if err != nil {
			return nil, err
		}
		tlsConf.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       30 * time.Second,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

func loadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read the --ca-cert file %s: %w", path, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("the --ca-cert file " + path + " holds no PEM certificate")
	}
	return pool, nil
}

// Package testca owns the private certificate authority that gdlogin's tests
// use to serve the emulated organization over https with a host name, as a
// corporate deployment does: a CA that no system trusts, a leaf certificate
// for analytics.example.com and 127.0.0.1 signed by it, both written as PEM
// files, and a dialer that resolves the test host names to 127.0.0.1 for Go
// clients without touching the system's resolver.
package testca

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Host is the organization host name the tests use.
const Host = "analytics.example.com"

// CA is a certificate authority and one leaf certificate it signed.
type CA struct {
	// Dir holds the PEM files.
	Dir string
	// CAFile is the CA certificate (PEM): what a user passes as --ca-cert.
	CAFile string
	// LeafFile and LeafKeyFile are the server's certificate chain and key.
	LeafFile, LeafKeyFile string
	// Hosts are the DNS names and IP addresses the leaf is valid for.
	Hosts []string

	cert *x509.Certificate
	leaf tls.Certificate
}

// New creates a CA and a leaf for hosts (default: Host and 127.0.0.1) and
// writes ca.pem, leaf.pem and leaf-key.pem (mode 0600) into dir.
func New(dir string, hosts ...string) (*CA, error) {
	if len(hosts) == 0 {
		hosts = []string{Host, "127.0.0.1"}
	}
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testca: CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Organization: []string{"Example Corp"}, CommonName: "Example Corp Test Root CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("testca: CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("testca: CA certificate: %w", err)
	}

	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testca: leaf key: %w", err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{Organization: []string{"Example Corp"}, CommonName: hosts[0]},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leafTmpl.IPAddresses = append(leafTmpl.IPAddresses, ip)
		} else {
			leafTmpl.DNSNames = append(leafTmpl.DNSNames, h)
		}
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("testca: leaf certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		return nil, fmt.Errorf("testca: leaf key: %w", err)
	}

	ca := &CA{
		Dir:         dir,
		CAFile:      filepath.Join(dir, "ca.pem"),
		LeafFile:    filepath.Join(dir, "leaf.pem"),
		LeafKeyFile: filepath.Join(dir, "leaf-key.pem"),
		Hosts:       append([]string(nil), hosts...),
		cert:        caCert,
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	leafPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	for _, f := range []struct {
		path string
		data []byte
	}{{ca.CAFile, caPEM}, {ca.LeafFile, leafPEM}, {ca.LeafKeyFile, keyPEM}} {
		if err := os.WriteFile(f.path, f.data, 0o600); err != nil {
			return nil, fmt.Errorf("testca: %w", err)
		}
	}
	ca.leaf, err = tls.X509KeyPair(leafPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("testca: %w", err)
	}
	return ca, nil
}

// ForTest is New in a temporary directory of t; it fails t on error.
func ForTest(t testing.TB, hosts ...string) *CA {
	t.Helper()
	ca, err := New(t.TempDir(), hosts...)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return n
}

// Certificate is the CA's certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// Pool is a certificate pool that holds only the CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// ServerConfig is a TLS server configuration that presents the leaf.
func (ca *CA) ServerConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{ca.leaf}, MinVersion: tls.VersionTLS12}
}

// Leaf is the leaf certificate with its key.
func (ca *CA) Leaf() tls.Certificate { return ca.leaf }

// LoopbackDialContext returns a DialContext that connects every address
// whose host is one of names (case-insensitive) to 127.0.0.1 on the same
// port, and refuses every other host name, so that a test never reaches
// the real network by accident. IP addresses are dialled as they are.
func LoopbackDialContext(names ...string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if net.ParseIP(host) == nil {
			known := false
			for _, n := range names {
				if strings.EqualFold(n, host) {
					known = true
					break
				}
			}
			if !known {
				return nil, &net.DNSError{Err: "no such host (test resolver)", Name: host, IsNotFound: true}
			}
			host = "127.0.0.1"
		}
		return d.DialContext(ctx, network, net.JoinHostPort(host, port))
	}
}

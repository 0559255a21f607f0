package oidcflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// JWK is the public part of an RSA signing key as the identity provider
// publishes it at its jwks_uri: what a GoodData administrator registers
// at /api/v1/entities/jwks so that the organization accepts the
// provider's ID tokens.
type JWK struct {
	Kty string `json:"kty"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// maxJWKS bounds the key set document.
const maxJWKS = 1 << 20

// PublishedKey finds the key kid in the identity provider's published key
// set. A key without alg gets alg, the algorithm of the token it signed.
func (f *Flow) PublishedKey(ctx context.Context, kid, alg string) (*JWK, error) {
	if f.jwksURI == "" {
		return nil, errors.New("the identity provider publishes no jwks_uri")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.jwksURI, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read the identity provider's keys: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read the identity provider's keys at %s: %s", f.jwksURI, resp.Status)
	}
	var set struct {
		Keys []JWK `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJWKS)).Decode(&set); err != nil {
		return nil, fmt.Errorf("read the identity provider's keys at %s: %w", f.jwksURI, err)
	}
	for _, k := range set.Keys {
		if k.Kid != kid || k.Kty != "RSA" || k.N == "" || k.E == "" {
			continue
		}
		if k.Alg == "" {
			k.Alg = alg
		}
		if k.Use == "" {
			k.Use = "sig"
		}
		return &k, nil
	}
	return nil, fmt.Errorf("the identity provider publishes no RSA key with kid %q at %s", kid, f.jwksURI)
}

// JWKSURI is where the identity provider publishes its keys.
func (f *Flow) JWKSURI() string { return f.jwksURI }

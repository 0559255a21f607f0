package orgsim

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	_ "crypto/sha256" // RS256
	_ "crypto/sha512" // RS384, RS512
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// jwtHashes are the JWS algorithms GoodData accepts for JWT bearers.
var jwtHashes = map[string]crypto.Hash{
	"RS256": crypto.SHA256,
	"RS384": crypto.SHA384,
	"RS512": crypto.SHA512,
}

// minRSABits is the smallest modulus accepted for a JSON web key (RFC 7518
// §3.3 requires 2048 bits for RS* algorithms).
const minRSABits = 2048

// rsaSpecification is the content of a JSON web key, the OpenAPI's
// RsaSpecification.
type rsaSpecification struct {
	Kty string   `json:"kty"`
	Alg string   `json:"alg"`
	Use string   `json:"use"`
	Kid string   `json:"kid"`
	N   string   `json:"n"`
	E   string   `json:"e"`
	X5c []string `json:"x5c,omitempty"`
	X5t string   `json:"x5t,omitempty"`
}

func rsaSpecFromKey(kid, alg string, key *rsa.PublicKey) rsaSpecification {
	return rsaSpecification{
		Kty: "RSA",
		Alg: alg,
		Use: "sig",
		Kid: kid,
		N:   base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
	}
}

// publicKey decodes n and e.
func (k rsaSpecification) publicKey() (*rsa.PublicKey, error) {
	n, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil || len(n) == 0 {
		return nil, errors.New("n is not an unpadded base64url integer")
	}
	e, err := base64.RawURLEncoding.DecodeString(k.E)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, errors.New("e is not an unpadded base64url integer of at most 32 bits")
	}
	exp := new(big.Int).SetBytes(e).Int64()
	if exp < 3 || exp%2 == 0 {
		return nil, errors.New("e is not a valid RSA public exponent")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp)}
	if pub.N.BitLen() < minRSABits {
		return nil, fmt.Errorf("the RSA modulus has %d bits; at least %d are required", pub.N.BitLen(), minRSABits)
	}
	return pub, nil
}

// validate checks what the server would refuse to store.
func (k rsaSpecification) validate() error {
	switch {
	case k.Kty != "RSA":
		return fmt.Errorf("kty must be \"RSA\", not %q", k.Kty)
	case jwtHashes[k.Alg] == 0:
		return fmt.Errorf("alg must be one of RS256, RS384, RS512, not %q", k.Alg)
	case k.Use != "sig":
		return fmt.Errorf("use must be \"sig\", not %q", k.Use)
	case k.Kid == "" || len(k.Kid) > 255 || k.Kid[0] == '.':
		return errors.New("kid is required, at most 255 characters, and must not start with '.'")
	}
	pub, err := k.publicKey()
	if err != nil {
		return err
	}
	for i, c := range k.X5c {
		der, err := base64.StdEncoding.DecodeString(c)
		if err != nil {
			return fmt.Errorf("x5c[%d] is not base64", i)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return fmt.Errorf("x5c[%d] is not an X.509 certificate: %v", i, err)
		}
		if i == 0 {
			if !pub.Equal(cert.PublicKey) {
				return errors.New("x5c[0] does not certify the key given by n and e")
			}
			if k.X5t != "" {
				sum := sha1.Sum(der)
				if k.X5t != base64.RawURLEncoding.EncodeToString(sum[:]) {
					return errors.New("x5t is not the SHA-1 thumbprint of x5c[0]")
				}
			}
		}
	}
	return nil
}

// jwtHeader is the part of a JOSE header the server looks at.
type jwtHeader struct {
	Alg  string    `json:"alg"`
	Kid  string    `json:"kid"`
	Typ  *string   `json:"typ"`
	Crit *[]string `json:"crit"`
}

// verifyJWT checks a JWT bearer against the registered keys: an RS*
// signature by a key whose content.kid is the header kid and whose alg is
// the header alg, typ "JWT" or absent, an existing user as sub, iat and
// exp present and exp in the future. iss and aud are not checked.
func (s *Server) verifyJWT(token string) (string, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", false
	}
	var hdr jwtHeader
	if !decodeSegment(parts[0], &hdr) {
		return "", false
	}
	hash := jwtHashes[hdr.Alg]
	if hash == 0 || hdr.Kid == "" || hdr.Crit != nil || (hdr.Typ != nil && *hdr.Typ != "JWT") {
		return "", false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", false
	}
	h := hash.New()
	h.Write([]byte(parts[0] + "." + parts[1]))
	digest := h.Sum(nil)

	s.mu.Lock()
	var keys []*rsa.PublicKey
	for _, k := range s.jwks {
		if k.Kid == hdr.Kid && k.Alg == hdr.Alg {
			if pub, err := k.publicKey(); err == nil {
				keys = append(keys, pub)
			}
		}
	}
	s.mu.Unlock()
	verified := false
	for _, pub := range keys {
		if rsa.VerifyPKCS1v15(pub, hash, digest, sig) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return "", false
	}

	var claims map[string]json.RawMessage
	if !decodeSegment(parts[1], &claims) {
		return "", false
	}
	var sub string
	if err := json.Unmarshal(claims["sub"], &sub); err != nil || sub == "" {
		return "", false
	}
	exp, okExp := numericDate(claims["exp"])
	_, okIat := numericDate(claims["iat"])
	if !okExp || !okIat {
		return "", false
	}
	now := float64(time.Now().UnixNano()) / 1e9
	if now >= exp {
		return "", false
	}
	if raw, present := claims["nbf"]; present {
		nbf, ok := numericDate(raw)
		if !ok || now < nbf {
			return "", false
		}
	}
	s.mu.Lock()
	_, known := s.users[sub]
	s.mu.Unlock()
	if !known {
		return "", false
	}
	return sub, true
}

// decodeSegment decodes one unpadded base64url JSON part of a JWT.
func decodeSegment(seg string, v any) bool {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return false
	}
	return decodeOne(bytes.NewReader(raw), v) == nil
}

// numericDate parses a JSON number of seconds since the epoch (RFC 7519
// NumericDate); strings and absent claims are refused.
func numericDate(raw json.RawMessage) (float64, bool) {
	if len(raw) == 0 || !(raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	return f, err == nil
}

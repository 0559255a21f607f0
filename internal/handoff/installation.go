package handoff

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
)

// Sizes of the installation key's public parts (SPEC 3.11).
const (
	InstallationIDSize = 65 // uncompressed P-256 point: 0x04 || X || Y
	SignatureSize      = 64 // ECDSA r || s, 32 bytes each (IEEE P1363, WebCrypto's form)
)

// installationSecretPrefix starts the compact secret form of an
// installation key; the version lets a later format be told apart.
const installationSecretPrefix = "gdlogin-ik1:"

// pairingSigContext starts the signed text of a pairing (SPEC 3.11).
const pairingSigContext = "gdlogin pairing v1"

// InstallationKey is gdlogin's long-lived ECDSA P-256 key (SPEC 3.11). It
// signs every pairing, and its public key is the pairing's id: a browser
// that has confirmed this id for an organization hands tokens to pairings
// it signed without asking again. The key is a secret: String and GoString
// print only the id.
type InstallationKey struct {
	priv *ecdsa.PrivateKey
	id   []byte
}

// NewInstallationKey makes a new installation key. rand is the source of
// randomness; nil means crypto/rand, which is what gdlogin uses.
func NewInstallationKey(rand io.Reader) (*InstallationKey, error) {
	k, err := generateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("new installation key: %w", err)
	}
	return installationKeyFromScalar(k.Bytes())
}

func installationKeyFromScalar(scalar []byte) (*InstallationKey, error) {
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), scalar)
	if err != nil {
		return nil, errors.New("installation key: not a P-256 private key")
	}
	id, err := priv.PublicKey.Bytes()
	if err != nil {
		return nil, fmt.Errorf("installation key: %w", err)
	}
	return &InstallationKey{priv: priv, id: id}, nil
}

// ParseInstallationKey reads the compact secret form that Secret returns.
func ParseInstallationKey(secret string) (*InstallationKey, error) {
	rest, ok := strings.CutPrefix(secret, installationSecretPrefix)
	if !ok {
		return nil, errors.New("installation key: not a gdlogin installation key")
	}
	scalar, err := decodeBase64URL(rest)
	if err != nil || len(scalar) != 32 {
		return nil, errors.New("installation key: damaged (want 32 bytes of base64url)")
	}
	return installationKeyFromScalar(scalar)
}

// Secret returns the key in its compact secret form, for the credential
// store: "gdlogin-ik1:" and the base64url of the 32-byte private scalar.
func (k *InstallationKey) Secret() string {
	scalar, _ := k.priv.Bytes() // a parsed P-256 key always has its bytes
	return installationSecretPrefix + b64.EncodeToString(scalar)
}

// ID returns the key's public key, 65 bytes uncompressed: the pairing's id.
func (k *InstallationKey) ID() []byte { return append([]byte(nil), k.id...) }

// IDText returns the id as base64url, as pairings and browsers keep it.
func (k *InstallationKey) IDText() string { return b64.EncodeToString(k.id) }

// String names the key by its id and never shows the secret.
func (k *InstallationKey) String() string {
	return "handoff.InstallationKey{ID:" + k.IDText() + "}"
}

// GoString is String: %#v must not dump the private key either.
func (k *InstallationKey) GoString() string { return k.String() }

// sign returns the 64-byte r || s ECDSA-SHA256 signature of msg.
func (k *InstallationKey) sign(msg string) ([]byte, error) {
	digest := sha256.Sum256([]byte(msg))
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, digest[:])
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	sig := make([]byte, SignatureSize)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return sig, nil
}

// Sign signs the pairing with k: it sets ID to k's id and Sig to the
// signature over SignedText. Every other field must be set first.
func (p *Pairing) Sign(k *InstallationKey) error {
	if k == nil {
		return errors.New("sign pairing: no installation key")
	}
	p.ID = k.ID()
	sig, err := k.sign(p.SignedText())
	if err != nil {
		return fmt.Errorf("sign pairing: %w", err)
	}
	p.Sig = sig
	return nil
}

// SignedText is what the pairing's signature covers (SPEC 3.11):
//
//	gdlogin pairing v1|<v>|<port>|<state>|<pub>|<tokenId>|<org>|<id>
//
// with the pairing's own JSON values: numbers as their digits, byte fields
// as their base64url text, strings as they are. None of the values can hold
// a "|" once the pairing is valid.
func (p Pairing) SignedText() string {
	return strings.Join([]string{
		pairingSigContext,
		strconv.Itoa(p.V),
		strconv.Itoa(p.Port),
		b64.EncodeToString(p.State[:]),
		b64.EncodeToString(p.Pub),
		p.TokenID,
		p.Org,
		b64.EncodeToString(p.ID),
	}, "|")
}

// verifySignature checks that Sig is ID's signature over SignedText.
func (p Pairing) verifySignature() error {
	if len(p.ID) != InstallationIDSize || p.ID[0] != 4 {
		return errors.New("id is not a 65-byte uncompressed P-256 point")
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), p.ID)
	if err != nil {
		return errors.New("id is not a point on P-256")
	}
	if len(p.Sig) != SignatureSize {
		return fmt.Errorf("sig has %d bytes, want %d", len(p.Sig), SignatureSize)
	}
	digest := sha256.Sum256([]byte(p.SignedText()))
	r := new(big.Int).SetBytes(p.Sig[:32])
	s := new(big.Int).SetBytes(p.Sig[32:])
	if !ecdsa.Verify(pub, digest[:], r, s) {
		return errors.New("sig is not id's signature of this pairing")
	}
	return nil
}

// SignText signs any text with the installation key, r || s: the pairing
// signature of SPEC 3.11 is SignText(p.SignedText()). Tests use it to sign
// pairings whose fields no valid Pairing can hold.
func (k *InstallationKey) SignText(text string) ([]byte, error) {
	return k.sign(text)
}

package handoff

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
)

// Pairing is what gdlogin hands to the script (SPEC 3.2): where to send the
// token, how to encrypt it, which token id to create, and for which
// organization, signed by gdlogin's installation key (SPEC 3.11). Its JSON
// is
//
//	{"v":1,"port":PORT,"state":B64URL,"pub":B64URL,"tokenId":ID,"org":ORIGIN,"id":B64URL,"sig":B64URL}
//
// and the pairing code is that JSON in base64url. Port 0 means paste mode.
type Pairing struct {
	V       int
	Port    int
	State   [StateSize]byte
	Pub     []byte // 65 bytes: 0x04 || X || Y
	TokenID string
	Org     string
	ID      []byte // the installation key's public key, 65 bytes uncompressed
	Sig     []byte // ID's ECDSA-SHA256 signature over SignedText, r || s
}

// Validate checks every field as DecodePairing does, the signature
// included: a pairing that its id did not sign is malformed.
func (p Pairing) Validate() error {
	switch {
	case p.V != Version:
		return fmt.Errorf("%w: got version %d, want %d", ErrVersion, p.V, Version)
	case p.Port < 0 || p.Port > 65535:
		return fmt.Errorf("%w: port %d is not in 0..65535", ErrMalformed, p.Port)
	case !ValidTokenID(p.TokenID):
		return fmt.Errorf("%w: tokenId is not a valid API token id", ErrMalformed)
	case !ValidOrigin(p.Org):
		return fmt.Errorf("%w: org is not an origin such as https://analytics.example.com", ErrMalformed)
	}
	if _, err := parsePublicKey(p.Pub); err != nil {
		return fmt.Errorf("%w: pub is %v", ErrMalformed, err)
	}
	if err := p.verifySignature(); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// MarshalJSON writes the pairing JSON, fields in the order of SPEC 3.2.
func (p Pairing) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"v":`)
	b.WriteString(strconv.Itoa(p.V))
	b.WriteString(`,"port":`)
	b.WriteString(strconv.Itoa(p.Port))
	b.WriteString(`,"state":"`)
	b.WriteString(b64.EncodeToString(p.State[:]))
	b.WriteString(`","pub":"`)
	b.WriteString(b64.EncodeToString(p.Pub))
	b.WriteString(`","tokenId":`)
	writeJSONString(&b, p.TokenID)
	b.WriteString(`,"org":`)
	writeJSONString(&b, p.Org)
	b.WriteString(`,"id":"`)
	b.WriteString(b64.EncodeToString(p.ID))
	b.WriteString(`","sig":"`)
	b.WriteString(b64.EncodeToString(p.Sig))
	b.WriteString(`"}`)
	return b.Bytes(), nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // a string always marshals
	b.Write(enc)
}

// UnmarshalJSON reads pairing JSON as strictly as DecodePairing.
func (p *Pairing) UnmarshalJSON(data []byte) error {
	q, err := parsePairingJSON(data)
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// Code returns the pairing code, base64url(JSON), after validating p.
func (p Pairing) Code() (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	js, _ := p.MarshalJSON()
	return base64.RawURLEncoding.EncodeToString(js), nil
}

// ConfirmationCode is the short code of paste mode (SPEC 3.7): the first 6
// characters of the RFC 4648 base32 (upper case, no padding) of
// SHA-256(pub || state). gdlogin prints it and the script shows it; the user
// pastes the envelope only when both agree.
func (p Pairing) ConfirmationCode() string {
	return confirmationCode(p.Pub, p.State)
}

// DecodePairing parses and validates a pairing code strictly: canonical
// base64url of a JSON object with exactly the fields of SPEC 3.2, v 1, port an
// integer 0..65535, state 32 bytes, pub an uncompressed P-256 point, tokenId a
// valid API token id, org an origin (see ValidOrigin), id an uncompressed
// P-256 point and sig its valid signature of the pairing (SPEC 3.11).
func DecodePairing(code string) (Pairing, error) {
	if len(code) > MaxPairingCodeSize {
		return Pairing{}, fmt.Errorf("%w: pairing code is %d characters, limit %d", ErrTooLarge, len(code), MaxPairingCodeSize)
	}
	js, err := decodeBase64URL(code)
	if err != nil {
		return Pairing{}, fmt.Errorf("%w: pairing code is %v", ErrMalformed, err)
	}
	return parsePairingJSON(js)
}

func parsePairingJSON(data []byte) (Pairing, error) {
	if len(data) > MaxPairingCodeSize {
		return Pairing{}, fmt.Errorf("%w: pairing is %d bytes, limit %d", ErrTooLarge, len(data), MaxPairingCodeSize)
	}
	obj, err := readObject(data)
	if err != nil {
		return Pairing{}, fmt.Errorf("%w: pairing: %v", ErrMalformed, err)
	}
	if err := obj.version(); err != nil {
		return Pairing{}, fmt.Errorf("pairing: %w", err)
	}
	p, err := pairingFields(obj)
	if err != nil {
		return Pairing{}, fmt.Errorf("%w: pairing: %v", ErrMalformed, err)
	}
	if err := p.Validate(); err != nil {
		return Pairing{}, fmt.Errorf("pairing: %w", err)
	}
	return p, nil
}

func pairingFields(obj object) (Pairing, error) {
	p := Pairing{V: Version}
	if err := obj.exactly("v", "port", "state", "pub", "tokenId", "org", "id", "sig"); err != nil {
		return p, err
	}
	port, ok := parseUint(obj["port"])
	if !ok || port > 65535 {
		return p, fmt.Errorf("field %q is not an integer in 0..65535", "port")
	}
	p.Port = port
	state, err := obj.bytes("state", StateSize)
	if err != nil {
		return p, err
	}
	copy(p.State[:], state)
	if p.Pub, err = obj.bytes("pub", PublicKeySize); err != nil {
		return p, err
	}
	if p.TokenID, err = obj.string("tokenId"); err != nil {
		return p, err
	}
	if p.Org, err = obj.string("org"); err != nil {
		return p, err
	}
	if p.ID, err = obj.bytes("id", InstallationIDSize); err != nil {
		return p, err
	}
	if p.Sig, err = obj.bytes("sig", SignatureSize); err != nil {
		return p, err
	}
	return p, nil
}

package api

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// KeyBits is the RSA key size 2025 servers generate and expect.
const KeyBits = 2048

// GenerateKeyPair creates a 2048-bit RSA key and the public key in the form
// 2025 servers parse: PKCS#1 DER in a PEM block labelled "PUBLIC KEY".
func GenerateKeyPair() (*rsa.PrivateKey, string, error) {
	priv, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, "", fmt.Errorf("api: generate key: %w", err)
	}
	return priv, PublicKeyPEM(&priv.PublicKey), nil
}

// PublicKeyPEM encodes pub as 2025 servers parse it: PKCS#1 DER in a PEM
// block labelled "PUBLIC KEY" (not the usual PKIX encoding).
func PublicKeyPEM(pub *rsa.PublicKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(pub)}))
}

// EncodePrivateKeyPEM encodes key as PKCS#1 "RSA PRIVATE KEY" PEM.
func EncodePrivateKeyPEM(key *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

// ParsePrivateKeyPEM parses a PKCS#1 "RSA PRIVATE KEY" or PKCS#8
// "PRIVATE KEY" PEM holding an RSA key.
func ParsePrivateKeyPEM(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("api: parse private key: no PEM block found")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("api: parse private key: %w", err)
		}
		return key, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("api: parse private key: %w", err)
		}
		key, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("api: parse private key: %T is not an RSA key", k)
		}
		return key, nil
	}
	return nil, fmt.Errorf("api: parse private key: unsupported PEM block %q", block.Type)
}

// errEmptyCipher is returned for an empty encrypted body.
var errEmptyCipher = errors.New("decrypt: empty body")

// decryptPayload reverses the 2025 server's chunked RSA PKCS#1 v1.5
// encryption: the body is a concatenation of key-size ciphertext blocks.
func decryptPayload(key *rsa.PrivateKey, body []byte) ([]byte, error) {
	k := key.Size()
	if len(body) == 0 {
		return nil, errEmptyCipher
	}
	if len(body)%k != 0 {
		return nil, fmt.Errorf("decrypt: body length %d is not a multiple of the %d-byte key size", len(body), k)
	}
	out := make([]byte, 0, len(body))
	for off := 0; off < len(body); off += k {
		plain, err := rsa.DecryptPKCS1v15(nil, key, body[off:off+k])
		if err != nil {
			return nil, fmt.Errorf("decrypt: block %d: %w", off/k, err)
		}
		out = append(out, plain...)
	}
	return out, nil
}

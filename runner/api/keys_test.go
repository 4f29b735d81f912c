package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
)

func TestGenerateKeyPair(t *testing.T) {
	priv, pubPEM, err := api.GenerateKeyPair()
	require.NoError(t, err)
	assert.Equal(t, 2048, priv.N.BitLen())
	block, rest := pem.Decode([]byte(pubPEM))
	require.NotNil(t, block)
	assert.Empty(t, rest)
	assert.Equal(t, "PUBLIC KEY", block.Type, "2025 servers expect this label")
	pub, err := x509.ParsePKCS1PublicKey(block.Bytes)
	require.NoError(t, err, "PKCS#1 DER, as the server parses it")
	assert.True(t, pub.Equal(&priv.PublicKey))
}

func TestParsePrivateKeyPEM(t *testing.T) {
	priv, _, err := api.GenerateKeyPair()
	require.NoError(t, err)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	require.NoError(t, err)

	tests := []struct {
		name    string
		pem     []byte
		wantErr string
	}{
		{"pkcs1", api.EncodePrivateKeyPEM(priv), ""},
		{"pkcs8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), ""},
		{"not pem", []byte("garbage"), "no PEM block"},
		{"ecdsa", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}), "not an RSA key"},
		{"wrong label", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pkcs8}), "unsupported PEM block"},
		{"corrupt", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1, 2}}), "api: parse private key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := api.ParsePrivateKeyPEM(tc.pem)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.True(t, got.Equal(priv))
		})
	}
}

package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSecretValues(t *testing.T) {
	const secret = "s3cr3t-t0ken-value"
	dir := t.TempDir()
	good := writeFile(t, "good", "\n  "+secret+"\n\n")
	empty := writeFile(t, "empty", " \n\t\n")
	missing := filepath.Join(dir, "missing")

	type getter struct {
		name    string
		fileKey string
		set     func(c *Config, value, file string)
		get     func(c *Config) (string, error)
	}
	getters := []getter{
		{"Token", "runner.token_file",
			func(c *Config, v, f string) { c.Runner.Token, c.Runner.TokenFile = v, f },
			(*Config).Token},
		{"RegistrationTokenValue", "runner.registration_token_file",
			func(c *Config, v, f string) { c.Runner.RegistrationToken, c.Runner.RegistrationTokenFile = v, f },
			(*Config).RegistrationTokenValue},
		{"WebhookSecretValue", "mayfly.webhook_secret_file",
			func(c *Config, v, f string) { c.Mayfly.WebhookSecret, c.Mayfly.WebhookSecretFile = v, f },
			(*Config).WebhookSecretValue},
	}
	for _, g := range getters {
		for name, tc := range map[string]struct {
			value, file, want, wantErr string
		}{
			"neither":      {"", "", "", ""},
			"inline":       {secret, "", secret, ""},
			"file trimmed": {"", good, secret, ""},
			"empty file":   {"", empty, "", "config: " + g.fileKey + ": " + empty + " is empty"},
			"missing file": {"", missing, "", "config: " + g.fileKey + ": open " + missing + ": no such file or directory"},
			"directory":    {"", dir, "", "config: " + g.fileKey + ": " + dir + " is a directory"},
		} {
			t.Run(g.name+"/"+name, func(t *testing.T) {
				c := &Config{}
				g.set(c, tc.value, tc.file)
				got, err := g.get(c)
				if tc.wantErr != "" {
					require.EqualError(t, err, tc.wantErr)
					assert.NotContains(t, err.Error(), secret)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
			})
		}
	}
}

func TestTokenAndTokenFileAreExclusive(t *testing.T) {
	c := &Config{Runner: Runner{Token: "inline-secret", TokenFile: writeFile(t, "f", "file-secret")}}
	_, err := c.Token()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "mutually exclusive")
	assert.NotContains(t, err.Error(), "secret")

	c = &Config{Mayfly: Mayfly{WebhookSecret: "a", WebhookSecretFile: "/f"}}
	_, err = c.WebhookSecretValue()
	require.ErrorContains(t, err, "mutually exclusive")

	// The registration token follows the documented precedence instead.
	c = &Config{Runner: Runner{RegistrationToken: "env", RegistrationTokenFile: writeFile(t, "r", "file")}}
	got, err := c.RegistrationTokenValue()
	require.NoError(t, err)
	assert.Equal(t, "env", got)
}

// testCA returns a self-signed CA certificate in PEM form.
func testCA(t *testing.T) (*x509.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mayfly test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestTLSConfig(t *testing.T) {
	cert, caPEM := testCA(t)

	t.Run("neither", func(t *testing.T) {
		cfg, err := (&Config{}).TLSConfig()
		require.NoError(t, err)
		assert.Nil(t, cfg)
	})
	t.Run("skip verify", func(t *testing.T) {
		cfg, err := (&Config{Runner: Runner{Connection: Connection{SkipTLSVerify: true}}}).TLSConfig()
		require.NoError(t, err)
		require.NotNil(t, cfg)
		assert.True(t, cfg.InsecureSkipVerify)
		assert.Nil(t, cfg.RootCAs)
		assert.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion)
	})
	t.Run("good CA bundle", func(t *testing.T) {
		_, other := testCA(t)
		bundle := "# comment\n" + string(caPEM) + "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" + string(other)
		c := &Config{Runner: Runner{Connection: Connection{ServerCACertFile: writeFile(t, "ca.pem", bundle)}}}
		cfg, err := c.TLSConfig()
		require.NoError(t, err)
		require.NotNil(t, cfg.RootCAs)
		assert.False(t, cfg.InsecureSkipVerify)
		_, err = cert.Verify(x509.VerifyOptions{Roots: cfg.RootCAs})
		assert.NoError(t, err, "the CA is trusted")
	})
	for name, content := range map[string]string{
		"not PEM":     "hello",
		"no cert":     "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"broken cert": string(caPEM) + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		"empty":       "",
	} {
		t.Run("bad PEM/"+name, func(t *testing.T) {
			p := writeFile(t, "ca.pem", content)
			c := &Config{Runner: Runner{Connection: Connection{ServerCACertFile: p}}}
			cfg, err := c.TLSConfig()
			require.Error(t, err)
			assert.Nil(t, cfg)
			assert.Contains(t, err.Error(), "config: runner.connection.server_ca_cert_file: "+p+": ")
		})
	}
	t.Run("missing file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "ca.pem")
		_, err := (&Config{Runner: Runner{Connection: Connection{ServerCACertFile: p}}}).TLSConfig()
		require.ErrorContains(t, err, "config: runner.connection.server_ca_cert_file: open "+p)
	})
}

package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Token returns the runner token: runner.token, else the trimmed contents of
// runner.token_file; "" with a nil error when neither is set. Errors name
// the key and file, never the token.
func (c *Config) Token() (string, error) {
	r := c.Runner
	if r.Token != "" && r.TokenFile != "" {
		return "", errors.New("config: runner.token (SEMAPHORE_RUNNER_TOKEN) and runner.token_file (SEMAPHORE_RUNNER_TOKEN_FILE) are mutually exclusive; set one")
	}
	return secretValue("runner.token_file", r.Token, r.TokenFile)
}

// RegistrationTokenValue returns runner.registration_token, else the trimmed
// contents of runner.registration_token_file; "" when neither is set. An
// empty file is an error.
func (c *Config) RegistrationTokenValue() (string, error) {
	r := c.Runner
	return secretValue("runner.registration_token_file", r.RegistrationToken, r.RegistrationTokenFile)
}

// WebhookSecretValue returns mayfly.webhook_secret, else the trimmed contents
// of mayfly.webhook_secret_file; "" when neither is set.
func (c *Config) WebhookSecretValue() (string, error) {
	m := c.Mayfly
	if m.WebhookSecret != "" && m.WebhookSecretFile != "" {
		return "", errors.New("config: mayfly.webhook_secret and mayfly.webhook_secret_file are mutually exclusive; set one")
	}
	return secretValue("mayfly.webhook_secret_file", m.WebhookSecret, m.WebhookSecretFile)
}

// secretValue is value (trimmed) if set, else the trimmed contents of path.
func secretValue(fileKey, value, path string) (string, error) {
	if v := strings.TrimSpace(value); v != "" {
		return v, nil
	}
	if path == "" {
		return "", nil
	}
	b, err := readLimited(path, maxSecretSize)
	if err != nil {
		return "", fmt.Errorf("config: %s: %w", fileKey, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("config: %s: %s is empty", fileKey, path)
	}
	return v, nil
}

// TLSConfig returns the client TLS settings for the server connection, or
// nil when neither runner.connection.server_ca_cert_file nor skip_tls_verify
// is set. The CA bundle is added to the system pool; every CERTIFICATE block
// in it must parse.
func (c *Config) TLSConfig() (*tls.Config, error) {
	conn := c.Runner.Connection
	if conn.ServerCACertFile == "" && !conn.SkipTLSVerify {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if conn.SkipTLSVerify {
		cfg.InsecureSkipVerify = true //nolint:gosec // explicit opt-in: runner.connection.skip_tls_verify
	}
	if path := conn.ServerCACertFile; path != "" {
		const key = "runner.connection.server_ca_cert_file"
		b, err := readLimited(path, maxFileSize)
		if err != nil {
			return nil, fmt.Errorf("config: %s: %w", key, err)
		}
		certs, err := parseCerts(b)
		if err != nil {
			return nil, fmt.Errorf("config: %s: %s: %w", key, path, err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		for _, cert := range certs {
			pool.AddCert(cert)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// parseCerts parses every CERTIFICATE block of a PEM bundle; other block
// types are skipped. At least one certificate is required.
func parseCerts(b []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for n := 1; ; n++ {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d is not a valid certificate: %w", n, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM CERTIFICATE found")
	}
	return certs, nil
}

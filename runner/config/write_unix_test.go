//go:build unix

package config

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// Not parallel: the umask is process-wide.
func TestWriteSecretFileUmaskZero(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	dir := t.TempDir()
	p := filepath.Join(dir, "token")
	require.NoError(t, WriteSecretFile(p, "x"))
	assertMode(t, p, 0o600)

	cfg := filepath.Join(dir, "c.json")
	require.NoError(t, Write(cfg, &Config{WebHost: "https://s.example.com"}))
	assertMode(t, cfg, 0o600)
	require.NoError(t, (&Config{Path: cfg}).SaveToken("tok"))
	assertMode(t, cfg, 0o600)
}

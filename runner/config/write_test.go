package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular(), "%s is a regular file", path)
	assert.Equal(t, want, fi.Mode().Perm(), path)
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), ".tmp-", "temporary file left behind")
	}
}

func TestWriteSecretFile(t *testing.T) {
	t.Run("creates parents 0700 and the file 0600", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "a", "b", "token")
		require.NoError(t, WriteSecretFile(p, "s3cret"))
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.Equal(t, "s3cret", string(b))
		assertMode(t, p, 0o600)
		fi, err := os.Stat(filepath.Join(dir, "a"))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
		assertNoTempFiles(t, filepath.Dir(p))
	})
	t.Run("replaces a world-readable file", func(t *testing.T) {
		p := writeFile(t, "token", "old")
		require.NoError(t, os.Chmod(p, 0o644))
		require.NoError(t, WriteSecretFile(p, "new"))
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.Equal(t, "new", string(b))
		assertMode(t, p, 0o600)
	})
	t.Run("replaces a symlink instead of following it", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "target")
		require.NoError(t, os.WriteFile(target, []byte("keep"), 0o644))
		link := filepath.Join(dir, "token")
		require.NoError(t, os.Symlink(target, link))
		require.NoError(t, WriteSecretFile(link, "new"))
		b, err := os.ReadFile(target)
		require.NoError(t, err)
		assert.Equal(t, "keep", string(b))
		assertMode(t, link, 0o600)
	})
	t.Run("errors", func(t *testing.T) {
		require.ErrorContains(t, WriteSecretFile("", "x"), "config: ")
		dir := t.TempDir()
		err := WriteSecretFile(filepath.Join(writeFile(t, "file", ""), "child"), "x")
		require.ErrorContains(t, err, "config: ")
		assertNoTempFiles(t, dir)
	})
}

func TestSaveTokenToTokenFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "secrets", "runner.token")
	cfgPath := writeFile(t, "c.json", `{"runner": {"token_file": "`+p+`"}}`)
	c, err := Load(cfgPath, map[string]string{})
	require.NoError(t, err)
	before, err := os.ReadFile(cfgPath)
	require.NoError(t, err)

	require.NoError(t, c.SaveToken("tok+/="))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "tok+/=", string(b))
	assertMode(t, p, 0o600)
	after, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the config file is untouched")
	got, err := c.Token()
	require.NoError(t, err)
	assert.Equal(t, "tok+/=", got)

	require.NoError(t, c.ClearToken())
	assert.NoFileExists(t, p)
	require.NoError(t, c.ClearToken(), "a missing token file is fine")
}

const commentedConfig = `// mayfly runner config
{
  "web_host": "https://semaphore.example.com", // the server
  /* kept: a key mayfly does not know */
  "cookie_hash": "abc",
  "runner": {
    "webhook": "https://hooks.example.com/x", // trailing comment
    "max_parallel_tasks": 2,
  },
  "mayfly": {"log_level": "debug"},
}
`

func TestSaveTokenIntoConfigFile(t *testing.T) {
	p := writeFile(t, "config.runner.json", commentedConfig)
	require.NoError(t, os.Chmod(p, 0o644))
	c, err := Load(p, map[string]string{})
	require.NoError(t, err)

	require.NoError(t, c.SaveToken(`tok"en`))
	assert.Equal(t, `tok"en`, c.Runner.Token)
	assertMode(t, p, 0o600)
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	for _, keep := range []string{"// mayfly runner config", "// the server", "/* kept: a key mayfly does not know */",
		`"cookie_hash"`, "// trailing comment", `"max_parallel_tasks": 2`, `"log_level": "debug"`} {
		assert.Contains(t, string(b), keep)
	}
	assertNoTempFiles(t, filepath.Dir(p))

	again, err := Load(p, map[string]string{})
	require.NoError(t, err)
	assert.Equal(t, `tok"en`, again.Runner.Token)
	assert.Equal(t, 2, again.Runner.MaxParallelTasks)
	assert.Equal(t, "https://hooks.example.com/x", again.Runner.Webhook)

	// Replacing an existing token keeps the file byte for byte apart from the value.
	require.NoError(t, again.SaveToken("second"))
	b2, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, strings.Replace(string(b), `"tok\"en"`, `"second"`, 1), string(b2))

	require.NoError(t, again.ClearToken())
	assert.Empty(t, again.Runner.Token)
	cleared, err := Load(p, map[string]string{})
	require.NoError(t, err)
	assert.Empty(t, cleared.Runner.Token)
	b3, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Contains(t, string(b3), "// trailing comment")
	assertMode(t, p, 0o600)
}

func TestSaveTokenCreatesConfigFile(t *testing.T) {
	for name, content := range map[string]string{
		"missing":     "",
		"no runner":   `{"web_host": "https://s.example.com"}`,
		"null runner": `{"runner": null}`,
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "dir", "c.json")
			if content != "" {
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
				require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
			}
			c := &Config{Path: p}
			require.NoError(t, c.SaveToken("tok"))
			assertMode(t, p, 0o600)
			got, err := Load(p, map[string]string{})
			require.NoError(t, err)
			assert.Equal(t, "tok", got.Runner.Token)
		})
	}
}

func TestSaveAndClearTokenErrors(t *testing.T) {
	require.ErrorIs(t, (&Config{}).SaveToken("tok"), ErrNoTokenStore)
	require.ErrorIs(t, (&Config{}).ClearToken(), ErrNoTokenStore)
	require.ErrorContains(t, (&Config{Path: "/x"}).SaveToken(" "), "empty runner token")

	p := writeFile(t, "c.json", `{"runner": "x"}`)
	require.ErrorContains(t, (&Config{Path: p}).SaveToken("tok"), "runner: want an object")
	p = writeFile(t, "c.json", `{"runner": {`)
	require.ErrorContains(t, (&Config{Path: p}).SaveToken("tok"), "config: "+p+": line 1")
	p = writeFile(t, "c.json", `[]`)
	require.ErrorContains(t, (&Config{Path: p}).SaveToken("tok"), "want a JSON object at the top level")
}

func TestClearTokenWithoutTokenKey(t *testing.T) {
	p := writeFile(t, "c.json", commentedConfig)
	require.NoError(t, (&Config{Path: p}).ClearToken())
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, commentedConfig, string(b), "nothing to clear: the file is untouched")

	missing := filepath.Join(t.TempDir(), "c.json")
	require.NoError(t, (&Config{Path: missing}).ClearToken())
	assert.NoFileExists(t, missing)
}

func TestWriteRoundTrip(t *testing.T) {
	c, err := Load("testdata/full.json", map[string]string{})
	require.NoError(t, err)
	c.Runner.RegistrationToken = "bootstrap-secret"
	p := filepath.Join(t.TempDir(), "out.json")
	require.NoError(t, Write(p, c))
	assertMode(t, p, 0o600)
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "bootstrap-secret", "registration_token is never written")
	assert.Contains(t, string(b), "\n  \"runner\": {\n")

	got, err := Load(p, map[string]string{})
	require.NoError(t, err)
	want := fullConfig(p)
	assert.Equal(t, want, got)
}

func TestWriteOmitsDefaultsAndEmptyKeys(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out.json")
	c := Default()
	c.WebHost = "https://s.example.com/?a=b&c=<d>"
	require.NoError(t, Write(p, c))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "{\n  \"web_host\": \"https://s.example.com/?a=b&c=<d>\"\n}\n", string(b))
}

// What `mayfly setup` does: a hand-built Config, Write, then Load.
func TestWriteHandBuiltConfig(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.runner.json")
	c := &Config{WebHost: "https://s.example.com", TmpPath: "/tmp/semaphore", Path: p}
	c.Runner.TokenFile = filepath.Join(filepath.Dir(p), "runner.token")
	c.Runner.Enabled = ptr(true)
	c.Runner.Tags = []string{"a"}
	c.Mayfly.StopGrace = 30 * time.Second
	require.NoError(t, c.Validate())
	require.NoError(t, Write(p, c))

	got, err := Load(p, map[string]string{})
	require.NoError(t, err)
	require.NoError(t, got.Validate())
	assert.Equal(t, c.Runner.TokenFile, got.Runner.TokenFile)
	assert.Equal(t, ptr(true), got.Runner.Enabled)
	assert.Equal(t, []string{"a"}, got.Runner.Tags)
	assert.Equal(t, 0, got.Runner.MaxParallelTasks, "the 0 (unlimited) that was registered is kept")
	assert.Equal(t, 30*time.Second, got.Mayfly.StopGrace)
	assert.Equal(t, DefaultPollInterval, got.Mayfly.PollInterval)
}

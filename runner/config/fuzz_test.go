package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad checks that Load, Validate, String, Write and SaveToken never
// panic, whatever the file and environment hold, and that SaveToken on a
// file Load accepts yields a file Load still accepts, holding the token.
func FuzzLoad(f *testing.F) {
	full, err := os.ReadFile("testdata/full.json")
	if err != nil {
		f.Fatal(err)
	}
	seeds := []string{
		string(full), commentedConfig, `{}`, `[]`, `null`, ``, "\xef\xbb\xbf{}", `{"runner": null}`,
		`{"runner": {"token": "a", "token": "b"}}`, `{"runner": {"tags": ["a", null, 1]}}`,
		`{"mayfly": {"poll_interval": "-1h", "max_concurrent": 1e309}}`, `{"apps": {"x": []}}`,
		`{/* c */ "web_host": "http://[::1]:3000", }`, `{"runner": {"connection": {"skip_tls_verify": null}}}`,
		`{"a": {"b": {"c": [[[[{}]]]]}}}`, "{\"web_host\": \"\\ud800\"}", `{"runner": {"executor": 1}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), "")
	}
	f.Add([]byte(`{}`), `["a","b"]`)
	f.Add([]byte(`{}`), `{"bash": {"path": 1}}`)
	f.Add([]byte(`{}`), `1s`)

	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, envValue string) {
		file, err := os.CreateTemp(dir, "fuzz-*.json")
		if err != nil {
			t.Fatal(err)
		}
		path := file.Name()
		defer os.Remove(path)
		if _, err := file.Write(data); err != nil {
			t.Fatal(err)
		}
		file.Close()

		environ := map[string]string{
			"SEMAPHORE_RUNNER_TAGS": envValue, "SEMAPHORE_APPS": envValue, "SEMAPHORE_ENV_VARS": envValue,
			"MAYFLY_POLL_INTERVAL": envValue, "SEMAPHORE_RUNNER_PROJECT_ID": envValue,
		}
		if c, err := Load(path, environ); err == nil {
			c.Mayfly.WebhookSecretFile = "" // String reads it; fuzzed paths may be anything
			_ = c.Validate()
			_ = c.String()
			_ = Write(filepath.Join(dir, "written.json"), c)
		}

		c, loadErr := Load(path, map[string]string{})
		if c != nil {
			c.Runner.TokenFile = ""
		} else {
			c = &Config{Path: path}
		}
		if err := c.SaveToken("fuzz-token"); err != nil {
			if loadErr == nil {
				t.Fatalf("SaveToken on a valid file: %v", err)
			}
			return
		}
		if loadErr != nil {
			return
		}
		again, err := Load(path, map[string]string{})
		if err != nil {
			t.Fatalf("file invalid after SaveToken: %v\nbefore: %q", err, data)
		}
		if again.Runner.Token != "fuzz-token" {
			t.Fatalf("token after SaveToken = %q", again.Runner.Token)
		}
	})
}

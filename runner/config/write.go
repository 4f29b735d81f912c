package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tailscale/hujson"
)

// WriteSecretFile writes content to path atomically: a temporary file in the
// same directory, chmod 0600 before any byte is written (whatever the umask),
// fsync, then rename over path. Missing parent directories are created 0700.
// A symlink at path is replaced, not followed.
func WriteSecretFile(path, content string) error {
	if path == "" {
		return errors.New("config: write secret file: empty path")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if _, err := f.WriteString(content); err != nil {
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	done = true
	if d, err := os.Open(dir); err == nil { // persist the rename; best effort
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// Write writes a fresh config file for c (used by `mayfly setup`): plain,
// pretty-printed JSON that Semaphore's runner can read too, with only the
// keys whose value is set and differs from the default, mode 0600.
// runner.registration_token is never written: it is a bootstrap secret
// (Semaphore keeps it out of the file as well); registration_token_file is.
func Write(path string, c *Config) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep & < > in URLs readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(c.document()); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return WriteSecretFile(path, buf.String())
}

// SaveToken stores a new runner token (what `register` does): into
// runner.token_file when set, else as runner.token in the config file at
// c.Path, created if missing, keeping its comments and other keys.
func (c *Config) SaveToken(token string) error {
	if strings.TrimSpace(token) == "" {
		return errors.New("config: refusing to save an empty runner token")
	}
	if c.Runner.TokenFile != "" {
		return WriteSecretFile(c.Runner.TokenFile, token)
	}
	if c.Path == "" {
		return ErrNoTokenStore
	}
	if err := patchRunnerKey(c.Path, "token", token, true); err != nil {
		return err
	}
	c.Runner.Token = token
	return nil
}

// SaveWebhook records the webhook URL a runner was registered with as
// runner.webhook in the config file at c.Path (nothing without a file), so
// that `serve` and `doctor` see what the server has.
func (c *Config) SaveWebhook(url string) error {
	if c.Path == "" || url == "" {
		return nil
	}
	if err := patchRunnerKey(c.Path, "webhook", url, true); err != nil {
		return err
	}
	c.Runner.Webhook = url
	return nil
}

// ClearToken forgets the runner token (what `unregister` does): removes
// runner.token_file when set (a missing file is fine), else sets runner.token
// to "" in the config file at c.Path when the key is there.
func (c *Config) ClearToken() error {
	if c.Runner.TokenFile != "" {
		if err := os.Remove(c.Runner.TokenFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("config: runner.token_file: %w", err)
		}
		return nil
	}
	if c.Path == "" {
		return ErrNoTokenStore
	}
	if err := patchRunnerKey(c.Path, "token", "", false); err != nil {
		return err
	}
	c.Runner.Token = ""
	return nil
}

// patchRunnerKey sets runner.<key> in the HuJSON file at path with a JSON
// Patch. save=false only clears an existing key and never creates the file.
func patchRunnerKey(path, key, val string, save bool) error {
	data, err := readLimited(path, maxFileSize)
	switch {
	case errors.Is(err, fs.ErrNotExist) && save:
		data = []byte("{}\n")
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("config: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte(bom)) // dropped on rewrite
	if len(bytes.TrimSpace(data)) == 0 {
		if !save {
			return nil
		}
		data = []byte("{}\n")
	}
	v, err := hujson.Parse(data)
	if err != nil {
		return fmt.Errorf("config: %s: %s", path, strings.TrimPrefix(err.Error(), "hujson: "))
	}
	if kind(&v) != '{' {
		return fmt.Errorf("config: %s: want a JSON object at the top level", path)
	}
	value, _ := json.Marshal(val)
	var op string
	insert := true // a new key is laid out by hujson's formatter; a replaced value keeps the file as it is
	switch runner := v.Find("/runner"); {
	case runner == nil || kind(runner) == 'n':
		if !save {
			return nil
		}
		op = fmt.Sprintf(`[{"op":"add","path":"/runner","value":{%q:%s}}]`, key, value)
	case kind(runner) != '{':
		return fmt.Errorf("config: %s: runner: want an object", path)
	case !save && v.Find("/runner/"+key) == nil:
		return nil
	default:
		insert = v.Find("/runner/"+key) == nil
		op = fmt.Sprintf(`[{"op":"add","path":"/runner/%s","value":%s}]`, key, value)
	}
	if err := v.Patch([]byte(op)); err != nil {
		return fmt.Errorf("config: %s: set runner.%s: %w", path, key, err)
	}
	if insert {
		v.Format()
	}
	return WriteSecretFile(path, string(v.Pack()))
}

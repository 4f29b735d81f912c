package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadWarnings(t *testing.T) {
	p := writeFile(t, "c.json", `{
		"dialect": "bolt", "mysql": {"host": "db"}, "email_password": "pw", "ldap_binddn": "x",
		"cookie_hash": "h", "port": ":3000", "runner_registration_token": "r",
		"web_hots": "https://typo.example.com",
		"custom": 1,
		"apps": {"bash": {"path": "/bin/bash", "colour": "red"}},
		"runner": {"executor": {"type": "docker"}, "identity_private_key_file": "/k"}
	}`)
	c, err := Load(p, map[string]string{})
	require.NoError(t, err)
	require.Len(t, c.Warnings, 5, "%q", c.Warnings)
	assert.Contains(t, c.Warnings[0], `unknown top-level key "web_hots"`)
	assert.Contains(t, c.Warnings[0], `did you mean "web_host"?`)
	assert.Contains(t, c.Warnings[1], `unknown top-level key "custom" in `+p)
	assert.Contains(t, c.Warnings[2], `unknown key "apps.bash.colour"`)
	assert.Contains(t, c.Warnings[3], `runner.executor.type "docker"`)
	assert.Contains(t, c.Warnings[4], "runner.identity_private_key_file")
	for _, w := range c.Warnings {
		assert.NotContains(t, w, "pw")
	}

	p = writeFile(t, "c.json", `{"runner": {"executor": {"type": "local"}}}`)
	c, err = Load(p, map[string]string{})
	require.NoError(t, err)
	assert.Empty(t, c.Warnings)
}

func TestLoadUnknownKeys(t *testing.T) {
	for name, tc := range map[string]struct{ content, want string }{
		"runner": {`{"runner": {"tokn": "x"}}`,
			`unknown key "runner.tokn" in FILE (line 1, column 13); did you mean "runner.token"?`},
		"connection": {`{"runner": {"connection": {"skip_tls": true}}}`,
			`unknown key "runner.connection.skip_tls" in FILE (line 1, column 28)`},
		"mayfly": {"{\n  \"mayfly\": {\n    \"pol_interval\": \"1s\"}}",
			`unknown key "mayfly.pol_interval" in FILE (line 3, column 5); did you mean "mayfly.poll_interval"?`},
		"no suggestion": {`{"mayfly": {"zzzzzz": 1}}`, `unknown key "mayfly.zzzzzz" in FILE (line 1, column 13)`},
		"duplicate": {`{"runner": {"token": "a", "token": "b"}}`,
			`duplicate key "runner.token" in FILE (line 1, column 27)`},
	} {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, "c.json", tc.content)
			_, err := Load(p, map[string]string{})
			require.Error(t, err)
			var cerr *Error
			require.ErrorAs(t, err, &cerr)
			require.Len(t, cerr.Problems, 1)
			assert.Equal(t, "config: "+strings.ReplaceAll(tc.want, "FILE", p), err.Error())
		})
	}
}

func TestLoadTypeErrorsNameTheKey(t *testing.T) {
	for name, tc := range map[string]struct{ content, want string }{
		"number as string": {`{"runner": {"max_parallel_tasks": "x"}}`,
			`runner.max_parallel_tasks: want a number, got "x"`},
		"fraction":       {`{"runner": {"project_id": 1.5}}`, `runner.project_id: want a whole number, got 1.5`},
		"huge":           {`{"mayfly": {"queue_size": 1e99}}`, `mayfly.queue_size: want a whole number, got 1e99`},
		"bool":           {`{"runner": {"one_off": "yes"}}`, `runner.one_off: want true or false, got "yes"`},
		"enabled":        {`{"runner": {"enabled": 1}}`, `runner.enabled: want true or false, got 1`},
		"string":         {`{"web_host": 42}`, `web_host: want a string, got 42`},
		"duration":       {`{"mayfly": {"stop_grace": "soon"}}`, `mayfly.stop_grace: want a duration such as "30s" or "2m", got "soon"`},
		"duration num":   {`{"mayfly": {"poll_interval": 5}}`, `mayfly.poll_interval: want a duration string such as "30s", got 5`},
		"tags":           {`{"runner": {"tags": "a,b"}}`, `runner.tags: want an array of strings, got "a,b"`},
		"tag element":    {`{"runner": {"tags": ["a", 2]}}`, `runner.tags[1]: want a string, got 2`},
		"runner object":  {`{"runner": []}`, `runner: want an object, got an array`},
		"connection":     {`{"runner": {"connection": true}}`, `runner.connection: want an object, got true`},
		"env_vars value": {`{"env_vars": {"K": 1}}`, `env_vars.K: want a string, got a number`},
		"apps":           {`{"apps": {"bash": {"args": "-e"}}}`, `apps.bash.args: want an array of strings, got "-e"`},
		"secret":         {`{"runner": {"token": 12345678}}`, `runner.token: want a string, got a number`},
		"top level":      {`[]`, `want a JSON object at the top level, got an array`},
	} {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, "c.json", tc.content)
			_, err := Load(p, map[string]string{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "config: "+tc.want+" (in "+p+", line 1, column ")
		})
	}
}

func TestLoadEnvTypeErrors(t *testing.T) {
	for key, want := range map[string]string{
		"SEMAPHORE_RUNNER_MAX_PARALLEL_TASKS": `want a whole number, got "many"`,
		"SEMAPHORE_RUNNER_PROJECT_ID":         `want a whole number, got "many"`,
		"SEMAPHORE_RUNNER_ENABLED":            `want true or false, got "many"`,
		"MAYFLY_POLL_INTERVAL":                `want a duration such as "30s", got "many"`,
		"SEMAPHORE_ENV_VARS":                  `want a JSON object of strings`,
		"SEMAPHORE_APPS":                      `line 1, column 1`,
	} {
		t.Run(key, func(t *testing.T) {
			_, err := Load("", map[string]string{key: "many"})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "config: "+key+": ")
			assert.Contains(t, err.Error(), want)
		})
	}
	_, err := Load("", map[string]string{"SEMAPHORE_ENV_VARS": `{"SECRET": 12345}`})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "12345")
}

func TestLoadReportsEveryProblem(t *testing.T) {
	p := writeFile(t, "c.json", `{"runner": {"tokn": 1, "one_off": 1}, "mayfly": {"listen": 1}}`)
	_, err := Load(p, map[string]string{"MAYFLY_QUEUE_SIZE": "x"})
	var cerr *Error
	require.ErrorAs(t, err, &cerr)
	assert.Len(t, cerr.Problems, 4, "%q", cerr.Problems)
}

func TestLoadMalformed(t *testing.T) {
	for name, tc := range map[string]struct{ content, want string }{
		"bad character":   {"{\n  \"web_host\": \"x\",\n  oops\n}", "line 3, column 3: invalid literal: oops"},
		"unterminated":    {"{\n  \"web_host\": \"x", "line 2, column 17: parsing string: unexpected EOF"},
		"missing comma":   {`{"a": 1 "b": 2}`, "line 1, column 9: "},
		"trailing junk":   {`{} {}`, "line 1, column 4: "},
		"empty file":      {" \n", "the file is empty; write {} for an empty config"},
		"bad comment":     {"{ /* never closed }", "line 1, column 3: "},
		"not json at all": {"web_host = x", "line 1, column 1: "},
	} {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, "c.json", tc.content)
			_, err := Load(p, map[string]string{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "config: "+p+": "+tc.want)
			assert.NotContains(t, err.Error(), "hujson:")
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "missing.json"), map[string]string{})
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "config: open ")

	_, err = Load(t.TempDir(), map[string]string{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is a directory")
}

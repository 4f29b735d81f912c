package executor

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh/agent"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/job"
	"github.com/mayfly-dev/mayfly/runner/process"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

func TestTimingLine(t *testing.T) {
	base := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	now := base
	c := newClock(func() time.Time { return now })
	step := func(d time.Duration) { now = now.Add(d) }
	done := c.phase("clone")
	step(1200 * time.Millisecond)
	done()
	done = c.phase("run")
	step(2 * time.Second)
	done()
	done = c.phase("confirmation")
	step(10 * time.Second)
	done()
	done = c.phase("run")
	step(3 * time.Second)
	done()
	tests := []struct {
		times Times
		want  string
	}{
		{Times{Webhook: base.Add(-800 * time.Millisecond), Pickup: base.Add(-100 * time.Millisecond)},
			"mayfly: timing: webhook→start 0.8s, clone 1.2s, run 5.0s, confirmation 10.0s, total 17.0s"},
		{Times{Pickup: base.Add(-100 * time.Millisecond)},
			"mayfly: timing: pickup→start 0.1s, clone 1.2s, run 5.0s, confirmation 10.0s, total 16.3s"},
		{Times{}, "mayfly: timing: clone 1.2s, run 5.0s, confirmation 10.0s, total 16.2s"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, c.line(tt.times))
	}
}

func TestExitLine(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{wrapCmd("bash", fmt.Errorf("process: bash: %w", &process.ExitError{Code: 2})), "mayfly: bash exited with code 2"},
		{wrapCmd("terraform apply", &process.ExitError{Code: -1, Signal: syscall.SIGKILL}), "mayfly: terraform apply was killed by signal SIGKILL"},
		{wrapCmd("ansible-playbook", &process.StoppedError{Cause: errors.New("stop"), Exit: &process.ExitError{Code: -1, Signal: syscall.SIGTERM}}),
			"mayfly: ansible-playbook stopped (was killed by signal SIGTERM)"},
		{wrapCmd("git clone", &process.StoppedError{Cause: errors.New("stop")}), "mayfly: git clone was not started: the task was stopped"},
		{wrapCmd("git clone", errors.New("exec: not found")), "mayfly: git clone failed: exec: not found"},
		{errors.New("not a command"), ""},
		{ErrRejected, ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, exitLine(tt.err))
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func TestLineWatch(t *testing.T) {
	var lines []string
	var out strings.Builder
	w := &lineWatch{w: nopCloser{&out}, fn: func(l string) { lines = append(lines, l) }}
	for _, chunk := range []string{"No cha", "nges. Your\nsecond\n", "tail"} {
		_, err := w.Write([]byte(chunk))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	assert.Equal(t, []string{"No changes. Your", "second", "tail"}, lines)
	assert.Equal(t, "No changes. Your\nsecond\ntail", out.String())
}

func TestSSHAgent(t *testing.T) {
	plainKey, err := fixture.NewSSHKey("c", "")
	require.NoError(t, err)
	encrypted, err := fixture.NewSSHKey("c", "s3cret passphrase")
	require.NoError(t, err)
	for _, k := range []api.SSHKey{
		{PrivateKey: plainKey.PrivateKey},
		{PrivateKey: encrypted.PrivateKey, Passphrase: "s3cret passphrase"},
	} {
		a, err := startAgent(t.TempDir(), api.AccessKey{ID: 3, Name: "deploy key", Type: api.KeySSH, SSH: k})
		require.NoError(t, err)
		conn, err := net.Dial("unix", a.Socket)
		require.NoError(t, err)
		list, err := agent.NewClient(conn).List()
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, "deploy key", list[0].Comment)
		a.Close() // with a client still connected
		_ = conn.Close()
		a.Close()
		assert.NoFileExists(t, a.Socket)
	}
	_, err = startAgent(t.TempDir(), api.AccessKey{ID: 4, Type: api.KeySSH, SSH: api.SSHKey{PrivateKey: encrypted.PrivateKey}})
	assert.ErrorContains(t, err, "access key 4: the private key is encrypted and the key has no passphrase")
	_, err = startAgent(t.TempDir(), api.AccessKey{ID: 4, Type: api.KeySSH, SSH: api.SSHKey{PrivateKey: encrypted.PrivateKey, Passphrase: "wrong"}})
	assert.ErrorContains(t, err, "access key 4: private key")
	_, err = startAgent(t.TempDir(), api.AccessKey{ID: 5, Type: api.KeySSH, SSH: api.SSHKey{PrivateKey: "not a key"}})
	assert.ErrorContains(t, err, "access key 5: private key")
}

// A directory too long for a unix socket falls back to a private temp dir,
// removed with the agent.
func TestSSHAgentLongPath(t *testing.T) {
	key, err := fixture.NewSSHKey("c", "")
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 120))
	require.NoError(t, os.MkdirAll(dir, 0o700))
	a, err := startAgent(dir, api.AccessKey{ID: 1, Type: api.KeySSH, SSH: api.SSHKey{PrivateKey: key.PrivateKey}})
	require.NoError(t, err)
	assert.LessOrEqual(t, len(a.Socket), maxSocketPath)
	own := a.ownDir
	require.NotEmpty(t, own)
	a.Close()
	assert.NoDirExists(t, own)
}

// The askpass script answers git's two prompts from its environment.
func TestAskpassScript(t *testing.T) {
	path := filepath.Join(t.TempDir(), "askpass.sh")
	require.NoError(t, os.WriteFile(path, []byte(askpass), 0o700))
	for prompt, want := range map[string]string{
		"Username for 'https://example.com': ":     "the user\n",
		"Password for 'https://u@example.com': ":   "p@ss 'quoted' $HOME\n",
		"password for 'https://u@example.com': x ": "p@ss 'quoted' $HOME\n",
	} {
		cmd := exec.Command(path, prompt)
		cmd.Env = []string{"GIT_MAYFLY_USER=the user", "GIT_MAYFLY_PASS=p@ss 'quoted' $HOME"}
		out, err := cmd.Output()
		require.NoError(t, err)
		assert.Equal(t, want, string(out))
	}
}

func TestSSHCommand(t *testing.T) {
	e := New(Options{TmpPath: "/tmp/sem"})
	assert.Equal(t, "ssh -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile='/tmp/sem/known_hosts'", e.sshCommand())
	e = New(Options{TmpPath: "/tmp/sem", SSHStrictHostKeyChecking: HostKeyNo, SSHConfigPath: "/etc/my ssh"})
	assert.Equal(t, "ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -F '/etc/my ssh'", e.sshCommand())
	e = New(Options{TmpPath: "/tmp/sem", SSHStrictHostKeyChecking: HostKeyYes, SSHKnownHostsFile: "/k"})
	assert.Equal(t, "ssh -o StrictHostKeyChecking=yes -o UserKnownHostsFile='/k'", e.sshCommand())
}

func TestHelpers(t *testing.T) {
	assert.True(t, isHTTP("https://example.com/x.git"))
	assert.True(t, isHTTP("HTTP://example.com/x.git"))
	assert.False(t, isHTTP("git@example.com:x.git"))
	assert.False(t, isHTTP("ssh://git@example.com/x.git"))
	assert.False(t, isHTTP("file:///srv/x"))
	assert.Equal(t, "héllo", truncate("héllo", 6))
	assert.Equal(t, "h", truncate("héllo", 2), "no half rune")
	assert.Equal(t, "requirements.yml_role.md5", hashName("/r", job.Requirement{Type: "role", File: "/r/requirements.yml"}))
	assert.Equal(t, "roles_requirements.yml_role.md5", hashName("/r", job.Requirement{Type: "role", File: "/r/roles/requirements.yml"}))
	assert.NotEqual(t, hashName("/r", job.Requirement{Type: "role", File: "/r/requirements.yml"}),
		hashName("/r", job.Requirement{Type: "collection", File: "/r/requirements.yml"}), "B6: one hash per type")
}

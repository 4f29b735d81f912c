package process

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// prompts answers the way the executor does for ansible.
func prompts(secrets map[string]string) func(string) (string, bool) {
	return func(text string) (string, bool) {
		for prompt, reply := range secrets {
			if strings.HasPrefix(text, prompt) {
				return reply, true
			}
		}
		return "", false
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestRunPTYAnswersPrompts(t *testing.T) {
	const ssh, become = "s3cret-ssh-pass", "b3come-pass"
	// read -p writes its prompt to stderr: send it to the terminal, as
	// ansible's getpass does. Only digests of the answers are printed.
	script := `read -s -p "SSH password: " a 2>/dev/tty
		read -s -p "BECOME password: " b 2>/dev/tty
		printf '%s' "$a" | sha256sum
		printf '%s' "$b" | sha256sum
		echo "tty: $(tty)"`
	var stdout, stderr syncBuffer
	c := bash(script)
	c.Stdout, c.Stderr = &stdout, &stderr
	err := RunPTY(t.Context(), c, prompts(map[string]string{"SSH password:": ssh, "BECOME password:": become}))
	require.NoError(t, err, "stderr: %s", stderr.String())
	out := stdout.String()
	assert.Contains(t, out, sha(ssh))
	assert.Contains(t, out, sha(become))
	assert.Contains(t, out, "tty: /dev/pts/")
	assert.NotContains(t, out+stderr.String(), ssh, "echo is off: the answer never shows")
	assert.NotContains(t, out+stderr.String(), become)
}

func TestRunPTYOtherTerminalTextGoesToStdout(t *testing.T) {
	var stdout syncBuffer
	c := bash(`printf 'hello terminal' > /dev/tty; echo done`)
	c.Stdout = &stdout
	require.NoError(t, RunPTY(t.Context(), c, prompts(nil)))
	assert.Contains(t, stdout.String(), "hello terminal\n")
	assert.Contains(t, stdout.String(), "done\n")
}

func TestRunPTYExitCode(t *testing.T) {
	err := RunPTY(t.Context(), bash("exit 4"), nil)
	var ee *ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 4, ee.Code)
}

func TestRunPTYCancelUnansweredPrompt(t *testing.T) {
	// Nobody answers: the child waits on its terminal until stopped, and
	// its background child dies with it.
	stdout := newSyncBuffer("Enter passphrase")
	c := bash(`sleep 300 & echo "bg $!"; read -s -p "Enter passphrase: " x 2>/dev/tty; echo never`)
	c.Stdout, c.Grace = stdout, 200*time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- RunPTY(ctx, c, prompts(map[string]string{"SSH password:": "x"})) }()
	<-stdout.seen
	cancel()
	err := <-errc
	var se *StoppedError
	require.ErrorAs(t, err, &se)
	require.NotNil(t, se.Exit)
	assert.NotEqual(t, 0, se.Exit.Signal)
	assert.NotContains(t, stdout.String(), "never")

	var bg int
	for line := range strings.Lines(stdout.String()) {
		if rest, ok := strings.CutPrefix(line, "bg "); ok {
			bg = pids(t, rest)[0]
		}
	}
	require.NotZero(t, bg)
	assert.False(t, running(t, bg), "background child survived")
	_ = syscall.Kill(bg, syscall.SIGKILL)
}

package process

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// escapedPID runs script (which prints "esc <pid>" of a process that left the
// group) and returns that pid.
func escapedPID(t *testing.T, out string) int {
	t.Helper()
	for line := range strings.Lines(out) {
		if rest, ok := strings.CutPrefix(line, "esc "); ok {
			return pids(t, rest)[0]
		}
	}
	t.Fatalf("no escaped pid in %q", out)
	return 0
}

// escapeScript starts a process in a new session and prints its pid once it
// is there (the child writes its pid after setsid).
const escapeScript = `f=$(mktemp)
setsid bash -c "echo \$\$ > $f; exec sleep 300" </dev/null >/dev/null 2>&1 &
until [ -s "$f" ]; do sleep 0.01; done
echo "esc $(cat "$f")"; rm -f "$f"`

func TestKillEscapedAfterExit(t *testing.T) {
	for _, tag := range []bool{false, true} {
		var out syncBuffer
		c := bash(escapeScript)
		c.Stdout, c.KillEscaped = &out, tag
		require.NoError(t, Run(t.Context(), c))
		pid := escapedPID(t, out.String())
		if tag {
			assert.False(t, running(t, pid), "tagged escaped process survived")
		} else {
			assert.True(t, running(t, pid), "untagged setsid process is out of reach of the group kill")
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

func TestKillEscapedOnStop(t *testing.T) {
	out := newSyncBuffer("ready")
	c := bash(escapeScript + `; echo ready; sleep 300`)
	c.Stdout, c.KillEscaped, c.Grace = out, true, 5*time.Second
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, c) }()
	<-out.seen
	cancel()
	var se *StoppedError
	require.ErrorAs(t, <-errc, &se)
	pid := escapedPID(t, out.String())
	assert.False(t, running(t, pid), "escaped process survived the stop")
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

func TestKillEscapedKeepsEnv(t *testing.T) {
	var out syncBuffer
	c := bash(`echo "foo=$FOO tag=${` + TagVar + `:+set}"`)
	c.Env, c.Stdout, c.KillEscaped = []string{"FOO=bar"}, &out, true
	require.NoError(t, Run(t.Context(), c))
	assert.Equal(t, "foo=bar tag=set\n", out.String())
}

package process

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// bash returns a Cmd running script with bash.
func bash(script string) Cmd {
	return Cmd{Path: "bash", Args: []string{"-c", script}}
}

// syncBuffer is a bytes.Buffer safe for concurrent use that signals when
// its content first contains want.
type syncBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func newSyncBuffer(want string) *syncBuffer {
	return &syncBuffer{want: want, seen: make(chan struct{})}
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	if b.want != "" && strings.Contains(b.buf.String(), b.want) {
		b.once.Do(func() { close(b.seen) })
	}
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// running reports whether pid is a live process. A process that is exiting
// (PF_EXITING: it may already have closed its files, which is how Run knows
// it is dying) or a zombie not yet reaped by its new parent counts as gone.
func running(t *testing.T, pid int) bool {
	t.Helper()
	if err := syscall.Kill(pid, 0); err != nil {
		require.ErrorIs(t, err, syscall.ESRCH)
		return false
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false // reaped meanwhile
	}
	// "pid (comm) state ppid pgrp session tty_nr tpgid flags ..."; comm may
	// contain spaces, so split after the last ')'.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	require.GreaterOrEqual(t, len(fields), 7, "stat: %s", stat)
	const pfExiting = 0x4
	flags, err := strconv.ParseUint(fields[6], 10, 64)
	require.NoError(t, err)
	return fields[0] != "Z" && fields[0] != "X" && flags&pfExiting == 0
}

// pids parses one pid per line.
func pids(t *testing.T, s string) []int {
	t.Helper()
	var out []int
	for _, f := range strings.Fields(s) {
		pid, err := strconv.Atoi(f)
		require.NoError(t, err, "pid line %q", f)
		out = append(out, pid)
	}
	return out
}

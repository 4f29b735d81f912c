package process

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"syscall"
	"time"
)

// TagVar is the environment variable that Cmd.KillEscaped adds to a child's
// environment. Every descendant inherits it, including processes that leave
// the process group with setsid (ansible's async_wrapper, daemons started by
// a script), so they can be found and killed with the group. This is the
// technique of Jenkins' ProcessTreeKiller (BUILD_ID).
const TagVar = "MAYFLY_PROCESS_TAG"

// A kill sweep repeats until a round finds no tagged process left (a
// process may fork while the sweep runs, and a killed process keeps its
// environment until it has exited), at most maxSweeps rounds sweepPause apart.
const (
	maxSweeps  = 300
	sweepPause = 10 * time.Millisecond
)

// newTag returns a random tag value.
func newTag() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// withTag returns env (the current environment when nil) plus the tag.
func withTag(env []string, tag string) []string {
	if env == nil {
		env = os.Environ()
	}
	out := make([]string, 0, len(env)+1)
	out = append(out, env...)
	return append(out, TagVar+"="+tag)
}

// signalTagged sends sig to every process whose environment carries tag and
// returns how many it signalled. Processes of other users (unreadable
// environ), zombies (empty environ) and this process are skipped.
func signalTagged(tag string, sig syscall.Signal) int {
	if tag == "" {
		return 0
	}
	needle := []byte("\x00" + TagVar + "=" + tag + "\x00")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	self := os.Getpid()
	n := 0
	buf := []byte{0}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || len(env) == 0 {
			continue
		}
		buf = append(buf[:1], env...)
		if buf[len(buf)-1] != 0 {
			buf = append(buf, 0)
		}
		if bytes.Contains(buf, needle) && syscall.Kill(pid, sig) == nil {
			n++
		}
	}
	return n
}

// killTagged SIGKILLs tagged processes until none is left (bounded), so
// that they are gone when Run returns. A process in the middle of execve
// shows an empty environment for a moment, so only two empty rounds in a
// row end the sweep.
func killTagged(tag string) {
	if tag == "" {
		return
	}
	empty := 0
	for range maxSweeps {
		if signalTagged(tag, syscall.SIGKILL) > 0 {
			empty = 0
		} else if empty++; empty == 2 {
			return
		}
		time.Sleep(sweepPause)
	}
}

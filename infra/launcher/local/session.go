package local

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// killSession SIGKILLs every process in session sid (Linux /proc) and
// returns how many it signalled. Each child is a session leader (setsid),
// and the process groups the runner makes for its tasks stay in that
// session, so this finds a task's processes after its runner died. A few
// passes catch processes forked while the first pass ran. Processes that
// started their own session (setsid, a PTY) are out of reach.
func killSession(sid int) int {
	if sid <= 1 {
		return 0
	}
	self := os.Getpid()
	total := 0
	for range 3 {
		n := 0
		for _, pid := range sessionMembers(sid) {
			if pid != self && syscall.Kill(pid, syscall.SIGKILL) == nil {
				n++
			}
		}
		total += n
		if n == 0 {
			break
		}
	}
	return total
}

// sessionMembers lists the live (non-zombie) processes of session sid.
func sessionMembers(sid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid pgrp session ..."; comm may contain spaces.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 4 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if s, err := strconv.Atoi(f[3]); err == nil && s == sid {
			pids = append(pids, pid)
		}
	}
	return pids
}

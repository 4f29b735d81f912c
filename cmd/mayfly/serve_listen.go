package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
)

// listenFDsStart is the first file descriptor systemd passes (SD_LISTEN_FDS_START).
const listenFDsStart = 3

// listen returns the socket to serve on: an inherited one when this process
// was socket-activated (LISTEN_FDS >= 1, and LISTEN_PID unset or equal to
// our pid, as sd_listen_fds(3) checks), else a new listener on addr. The
// LISTEN_* variables are removed so that the runners do not inherit them.
func listen(addr string) (net.Listener, error) {
	n, _ := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	pid := os.Getenv("LISTEN_PID")
	for _, k := range []string{"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"} {
		_ = os.Unsetenv(k)
	}
	if n >= 1 && (pid == "" || pid == strconv.Itoa(os.Getpid())) {
		f := os.NewFile(listenFDsStart, "listen-fd")
		defer f.Close() // FileListener dups it (close-on-exec)
		ln, err := net.FileListener(f)
		if err != nil {
			return nil, fmt.Errorf("LISTEN_FDS=%d: file descriptor %d is not a listening socket: %w", n, listenFDsStart, err)
		}
		return ln, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (mayfly.listen or --listen): %w", addr, err)
	}
	return ln, nil
}

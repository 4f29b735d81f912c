package process

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// RunPTY is Run for programs that prompt on their terminal (ansible's "SSH
// password:", "BECOME password:", "Vault password (name):"). The child
// starts in a new session whose controlling terminal is a PTY connected to
// its stdin only (c.Stdin is ignored); stdout and stderr are pipes to
// c.Stdout and c.Stderr as in Run. The group and cancellation semantics are
// Run's (a session leader is also its group's leader).
//
// One goroutine reads the PTY master. Each chunk read is trimmed of
// whitespace and passed to answer (if not nil); if answer returns ok, reply
// followed by "\n" is written back to the terminal. Other text read from the
// PTY is written to c.Stdout, ended by a newline. Echo is off on the terminal so that a reply
// never comes back in the output. answer is called from a single goroutine
// and must recognise prompts by prefix (a chunk may hold a prompt followed by
// more text).
func RunPTY(ctx context.Context, c Cmd, answer func(prompt string) (reply string, ok bool)) error {
	name := filepath.Base(c.Path)
	if err := notStarted(ctx, name); err != nil {
		return err
	}
	master, tty, err := openPTY()
	if err != nil {
		return fmt.Errorf("process: %s: %w", name, err)
	}
	defer master.Close()
	defer tty.Close() // the parent's copy is closed at start; this covers a failed start
	c.Stdin = nil
	reader := &ptyReader{master: master, answer: answer, done: make(chan struct{})}
	return run(ctx, c, hooks{
		attr:  &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}, // Ctty is the child's fd 0
		stdin: tty,
		started: func(out io.Writer) {
			_ = tty.Close()
			go reader.loop(out)
		},
		finish: func(drain context.Context) {
			select {
			case <-reader.done: // every terminal fd is closed: the read got EIO
			case <-drain.Done():
				_ = master.Close() // an escaped process holds the terminal
				<-reader.done
			}
		},
	})
}

// openPTY opens a PTY pair with echo off. pty.Open leaves the master in
// blocking mode (it calls Fd), where Close cannot interrupt a pending Read,
// so the master is replaced by a non-blocking duplicate that the runtime
// poller manages.
func openPTY() (master, tty *os.File, err error) {
	m, t, err := pty.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("open pty: %w", err)
	}
	defer func() {
		if err != nil {
			_ = t.Close()
		}
	}()
	fd, err := unix.FcntlInt(m.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	_ = m.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("dup pty master: %w", err)
	}
	if err = unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return nil, nil, fmt.Errorf("pty master: %w", err)
	}
	master = os.NewFile(uintptr(fd), "/dev/ptmx")
	if err = noEcho(t); err != nil {
		_ = master.Close()
		return nil, nil, err
	}
	return master, t, nil
}

// noEcho turns echo off on the terminal.
func noEcho(t *os.File) error {
	rc, err := t.SyscallConn()
	if err != nil {
		return fmt.Errorf("pty: %w", err)
	}
	var ierr error
	if err := rc.Control(func(fd uintptr) {
		var tios *unix.Termios
		if tios, ierr = unix.IoctlGetTermios(int(fd), unix.TCGETS); ierr != nil {
			return
		}
		tios.Lflag &^= unix.ECHO | unix.ECHONL
		ierr = unix.IoctlSetTermios(int(fd), unix.TCSETS, tios)
	}); err != nil {
		return fmt.Errorf("pty: %w", err)
	}
	if ierr != nil {
		return fmt.Errorf("pty: disable echo: %w", ierr)
	}
	return nil
}

// ptyReader answers prompts read from the PTY master.
type ptyReader struct {
	master *os.File
	answer func(string) (string, bool)
	done   chan struct{}
}

func (p *ptyReader) loop(out io.Writer) {
	defer close(p.done)
	buf := make([]byte, 1024)
	for {
		n, err := p.master.Read(buf)
		if n > 0 {
			p.handle(buf[:n], out)
		}
		if err != nil {
			return // EIO once no process holds the terminal, or closed
		}
	}
}

func (p *ptyReader) handle(chunk []byte, out io.Writer) {
	text := strings.TrimSpace(string(chunk))
	if text == "" {
		return
	}
	if p.answer != nil {
		if reply, ok := p.answer(text); ok {
			_, _ = p.master.Write([]byte(reply + "\n"))
			return
		}
	}
	if out != nil {
		if chunk[len(chunk)-1] != '\n' {
			chunk = append(chunk, '\n') // its own line in the log
		}
		_, _ = out.Write(chunk)
	}
}

package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// outputs owns the pipes of a child: the parent copies them itself (instead
// of letting exec.Cmd do it inside Wait) so that the group can be killed
// between the leader's exit and the end of the copy, and so that a Stdin
// reader that blocks cannot hold Wait (exec.Cmd.WaitDelay cannot interrupt
// a blocked Read).
type outputs struct {
	childIn            *os.File // read end given to the child as stdin, when Stdin is not a file
	stdinW             *os.File
	stdin              io.Reader
	childOut, childErr *os.File // write ends given to the child; nil = /dev/null
	stdout, stderr     *sink    // the same sink when Stdout == Stderr
	readers            []*os.File
	copied             chan struct{} // closed when every copier returned
	wg                 sync.WaitGroup
}

func newOutputs(stdout, stderr io.Writer) (*outputs, error) {
	o := &outputs{copied: make(chan struct{})}
	if stdout != nil {
		w, err := o.pipe()
		if err != nil {
			return nil, err
		}
		o.childOut, o.stdout = w, &sink{w: stdout}
	}
	switch {
	case stderr == nil:
	case stdout != nil && sameWriter(stdout, stderr):
		o.childErr, o.stderr = o.childOut, o.stdout
	default:
		w, err := o.pipe()
		if err != nil {
			o.abort()
			return nil, err
		}
		o.childErr, o.stderr = w, &sink{w: stderr}
	}
	return o, nil
}

// pipeStdin makes a pipe to feed r to the child.
func (o *outputs) pipeStdin(r io.Reader) error {
	pr, pw, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("pipe: %w", err)
	}
	o.childIn, o.stdinW, o.stdin = pr, pw, r
	return nil
}

// pipe makes a pipe, keeps its read end and returns its write end.
func (o *outputs) pipe() (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	o.readers = append(o.readers, r)
	return w, nil
}

// start closes the parent's copy of the write ends (so that EOF comes when
// the last process holding them is gone) and starts one copier per pipe.
func (o *outputs) start() {
	o.closeChildEnds()
	if o.stdinW != nil {
		// Not waited for: a Read on o.stdin may block for ever; the copy
		// then ends at its next write, once stdinW is closed.
		go func() {
			_, _ = io.Copy(o.stdinW, o.stdin)
			_ = o.stdinW.Close()
		}()
	}
	sinks := []*sink{o.stdout, o.stderr}
	if o.stdout == nil || o.stderr == o.stdout {
		sinks = sinks[1:]
	}
	for i, r := range o.readers {
		o.wg.Go(func() { _, _ = io.Copy(sinks[i], r) })
	}
	go func() {
		o.wg.Wait()
		close(o.copied)
	}()
}

// wait returns when every pipe reached EOF, or, once ctx is done, after
// closing the read ends to release a pipe held by an escaped process.
func (o *outputs) wait(ctx context.Context) {
	select {
	case <-o.copied:
		return
	case <-ctx.Done():
	}
	for _, r := range o.readers {
		_ = r.Close()
	}
	<-o.copied
}

// close releases the parent's ends and makes later writes to the sinks no-ops.
func (o *outputs) close() {
	if o.stdinW != nil {
		_ = o.stdinW.Close()
	}
	for _, r := range o.readers {
		_ = r.Close()
	}
	for _, s := range []*sink{o.stdout, o.stderr} {
		if s != nil {
			s.close()
		}
	}
}

// abort releases everything when the child could not be started.
func (o *outputs) abort() {
	o.closeChildEnds()
	if o.stdinW != nil {
		_ = o.stdinW.Close()
	}
	for _, r := range o.readers {
		_ = r.Close()
	}
}

func (o *outputs) closeChildEnds() {
	if o.childIn != nil {
		_ = o.childIn.Close()
	}
	if o.childOut != nil {
		_ = o.childOut.Close()
	}
	if o.childErr != nil && o.childErr != o.childOut {
		_ = o.childErr.Close()
	}
}

// stdoutWriter is the serialised Stdout, or nil.
func (o *outputs) stdoutWriter() io.Writer {
	if o.stdout == nil {
		return nil
	}
	return o.stdout
}

// err is the first error a destination writer returned.
func (o *outputs) err() error {
	var errs []error
	for _, s := range []*sink{o.stdout, o.stderr} {
		if s != nil {
			errs = append(errs, s.error())
		}
	}
	return errors.Join(errs...)
}

// sink serialises writes to a destination. It never fails, so that the
// child never blocks on a full pipe: after the destination returned an
// error, or after close, data is discarded.
type sink struct {
	mu     sync.Mutex
	w      io.Writer
	err    error
	closed bool
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.err != nil {
		return len(p), nil
	}
	if _, err := s.w.Write(p); err != nil {
		s.err = err
	}
	return len(p), nil
}

func (s *sink) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

func (s *sink) error() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// sameWriter reports whether a and b are the same writer; writers of an
// uncomparable type are never the same.
func sameWriter(a, b io.Writer) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

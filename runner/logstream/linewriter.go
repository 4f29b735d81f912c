package logstream

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxLineBytes is the longest record LineWriter emits; longer lines are cut
// into pieces of at most this many bytes (before redaction).
const MaxLineBytes = 64 << 10

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("logstream: write to a closed LineWriter")

// LineWriter splits the bytes written to it into redacted log lines and
// appends them to a Buffer. It is not safe for concurrent use: give each
// stream (stdout, stderr) its own LineWriter.
type LineWriter struct {
	b       *Buffer
	r       *Redactor
	partial []byte // the current line, not yet ended by "\n"
	closed  bool
}

var _ io.WriteCloser = (*LineWriter)(nil)

// NewLineWriter returns a LineWriter appending to b, redacting with r (nil:
// no redaction).
func NewLineWriter(b *Buffer, r *Redactor) *LineWriter {
	return &LineWriter{b: b, r: r}
}

// Write appends every complete line of p; a trailing partial line waits for
// its end (or Close). It fails only after Close.
func (w *LineWriter) Write(p []byte) (int, error) {
	if w.closed {
		return 0, ErrClosed
	}
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.partial = append(w.partial, p...)
			w.cutPartial()
			break
		}
		if len(w.partial) == 0 {
			w.line(p[:i], true)
		} else {
			w.partial = append(w.partial, p[:i]...)
			w.line(w.partial, true)
			w.partial = w.partial[:0]
		}
		p = p[i+1:]
	}
	if cap(w.partial) > 4*MaxLineBytes && len(w.partial) <= MaxLineBytes {
		w.partial = append([]byte(nil), w.partial...) // after a huge write
	}
	return n, nil
}

// Close flushes a trailing partial line (kept as is, "\r" included). It is
// idempotent.
func (w *LineWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if len(w.partial) > 0 {
		w.line(w.partial, false)
		w.partial = nil
	}
	return nil
}

// Printf appends a runner-generated message, redacted like task output; a
// message with newlines becomes several lines. It does not touch the
// partial line of Write and works after Close.
func (w *LineWriter) Printf(format string, args ...any) {
	msg := strings.TrimSuffix(fmt.Sprintf(format, args...), "\n")
	for line := range strings.SplitSeq(msg, "\n") {
		w.line([]byte(line), true)
	}
}

// line emits a complete line, in MaxLineBytes pieces if needed. ended means
// it was ended by "\n", whose "\r" (of "\r\n") is then removed.
func (w *LineWriter) line(l []byte, ended bool) {
	if ended {
		l = bytes.TrimSuffix(l, []byte{'\r'})
	}
	off := 0
	for len(l)-off > MaxLineBytes {
		off += w.piece(l[off:])
	}
	w.emit(l[off:])
}

// cutPartial emits the leading pieces of a partial line that is too long,
// once enough of what follows is known to make a cut that splits no secret.
func (w *LineWriter) cutPartial() {
	// maxLen-1 bytes after the cut show any secret straddling it; one more
	// keeps the last byte (maybe the "\r" of "\r\n") out of every piece.
	overlap := max(w.r.maxLen()-1, 0) + 1
	off := 0
	for len(w.partial)-off >= MaxLineBytes+overlap {
		off += w.piece(w.partial[off:])
	}
	if off > 0 {
		w.partial = w.partial[:copy(w.partial, w.partial[off:])]
	}
}

// piece emits the first piece of l (longer than MaxLineBytes) and returns its length.
func (w *LineWriter) piece(l []byte) int {
	cut := w.r.safeCut(l, MaxLineBytes)
	w.emit(l[:cut])
	return cut
}

func (w *LineWriter) emit(l []byte) {
	msg := string(l)
	if w.r != nil {
		msg = w.r.Redact(msg)
	}
	w.b.Append(msg)
}

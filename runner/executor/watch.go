package executor

import "io"

// maxWatchLine bounds the bytes of one line a lineWatch keeps.
const maxWatchLine = 64 << 10

// lineWatch passes output through to w and calls fn with every line (the
// newline removed; a line longer than maxWatchLine is cut). Terraform's
// "No changes." and init's prompts are recognised this way. Write and Close
// are called by one goroutine (process serialises a writer).
type lineWatch struct {
	w   io.WriteCloser
	fn  func(line string)
	buf []byte
}

func (l *lineWatch) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	for _, b := range p {
		if b == '\n' {
			l.fn(string(l.buf))
			l.buf = l.buf[:0]
			continue
		}
		if len(l.buf) < maxWatchLine {
			l.buf = append(l.buf, b)
		}
	}
	return n, err
}

// Close reports a trailing partial line and closes w.
func (l *lineWatch) Close() error {
	if len(l.buf) > 0 {
		l.fn(string(l.buf))
		l.buf = nil
	}
	return l.w.Close()
}

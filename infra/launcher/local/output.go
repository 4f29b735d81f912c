package local

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// maxLine bounds one logged line of child output; longer lines are cut.
const maxLine = 16 << 10

// copyLines logs every line of r as one record with task and stream; a JSON
// object line (a child logging with mayfly.log_format=json) is embedded as
// JSON. stderr lines also go to t.
func (l *Launcher) copyLines(taskID int, stream string, r io.Reader, t *tail) {
	br := bufio.NewReaderSize(r, 4096)
	for {
		line, err := readLine(br)
		if len(line) > 0 || err == nil {
			text := strings.TrimRight(string(line), "\r")
			if t != nil {
				t.add(text)
			}
			if b := []byte(text); len(b) > 0 && b[0] == '{' && json.Valid(b) {
				l.log.Info("runner", "task", taskID, "stream", stream, "line", json.RawMessage(b))
			} else {
				l.log.Info("runner", "task", taskID, "stream", stream, "line", text)
			}
		}
		if err != nil {
			return
		}
	}
}

// readLine returns the next line without its newline, cut at maxLine bytes
// (the rest of an overlong line is discarded). err is non-nil at EOF or on a
// read error, possibly with a last unterminated line.
func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf) < maxLine {
			buf = append(buf, chunk[:min(len(chunk), maxLine-len(buf))]...)
		}
		switch {
		case err == nil:
			return validUTF8(bytes.TrimSuffix(buf, []byte("\n"))), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return validUTF8(buf), err
		}
	}
}

func validUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return bytes.ToValidUTF8(b, []byte("\uFFFD"))
}

// tail keeps the last n lines written to it, each cut to 500 bytes.
type tail struct {
	mu  sync.Mutex
	n   int
	buf []string
}

const maxTailLine = 500

func newTail(n int) *tail { return &tail{n: n} }

func (t *tail) add(line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	if len(line) > maxTailLine {
		line = strings.ToValidUTF8(line[:maxTailLine], "") + "…"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, line)
	if len(t.buf) > t.n {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.n:]...)
	}
}

func (t *tail) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.buf...)
}

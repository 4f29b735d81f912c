package logstream

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// written returns the records produced by writing chunks, then closing.
func written(t *testing.T, r *Redactor, chunks ...string) []string {
	t.Helper()
	b := NewBuffer(BufferOptions{})
	w := NewLineWriter(b, r)
	for _, c := range chunks {
		n, err := w.Write([]byte(c))
		require.NoError(t, err)
		require.Equal(t, len(c), n)
	}
	require.NoError(t, w.Close())
	return messages(drain(b, 1000))
}

// bytewise splits s into one-byte chunks.
func bytewise(s string) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = s[i : i+1]
	}
	return out
}

func TestLineWriterSplitting(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   []string
	}{
		{"lines", []string{"a\nb\n"}, []string{"a", "b"}},
		{"crlf stripped", []string{"a\r\nb\r\n"}, []string{"a", "b"}},
		{"crlf across writes", []string{"a\r", "\nb"}, []string{"a", "b"}},
		{"lone cr kept", []string{"50%\r100%\n"}, []string{"50%\r100%"}},
		{"empty lines", []string{"\n\nx\n"}, []string{"", "", "x"}},
		{"chunks joined", []string{"he", "llo", " wor", "ld\nnext\n"}, []string{"hello world", "next"}},
		{"trailing partial line flushed", []string{"a\nno newline"}, []string{"a", "no newline"}},
		{"trailing cr kept at close", []string{"abc\r"}, []string{"abc\r"}},
		{"nothing", nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, written(t, nil, tt.chunks...))
			assert.Equal(t, tt.want, written(t, nil, bytewise(strings.Join(tt.chunks, ""))...), "byte by byte")
		})
	}
}

func TestLineWriterRedactsAcrossWrites(t *testing.T) {
	r := &Redactor{}
	r.Add("hunter2-secret")
	got := written(t, r, bytewise("login ok\npassword is hunter2-secret!\r\n")...)
	assert.Equal(t, []string{"login ok", "password is ********!"}, got)
}

func TestLineWriterCutsLongLines(t *testing.T) {
	line := strings.Repeat("0123456789abcdef", 3*MaxLineBytes/16+100) // 3 pieces and a bit
	for name, chunks := range map[string][]string{
		"one write":   {line + "\n"},
		"4 KiB":       chunk(line+"\n", 4096),
		"odd chunks":  chunk(line+"\n", 7919),
		"no newline":  {line},
		"tiny chunks": chunk(line, 61),
	} {
		t.Run(name, func(t *testing.T) {
			got := written(t, nil, chunks...)
			require.Len(t, got, 4)
			for _, p := range got[:3] {
				assert.Len(t, p, MaxLineBytes)
			}
			assert.Equal(t, line, strings.Join(got, ""))
		})
	}
}

func TestLineWriterRedactsASecretStraddlingACut(t *testing.T) {
	const secret = "correct-horse-battery-staple"
	r := &Redactor{}
	r.Add(secret)
	for _, before := range []int{MaxLineBytes - 5, MaxLineBytes - 1, MaxLineBytes - len(secret) + 1} {
		line := strings.Repeat("x", before) + secret + strings.Repeat("y", 100)
		for name, chunks := range map[string][]string{
			"one write":  {line + "\n"},
			"4 KiB":      chunk(line+"\n", 4096),
			"odd":        chunk(line, 1031),
			"no newline": {line},
		} {
			t.Run(name, func(t *testing.T) {
				got := written(t, r, chunks...)
				require.Len(t, got, 2)
				assert.Equal(t, strings.Repeat("x", before), got[0], "cut before the secret")
				assert.Equal(t, Mask+strings.Repeat("y", 100), got[1])
			})
		}
	}
}

func TestLineWriterPrintf(t *testing.T) {
	b := NewBuffer(BufferOptions{})
	r := &Redactor{}
	r.Add("s3cr3t-token")
	w := NewLineWriter(b, r)
	_, _ = w.Write([]byte("partial "))
	w.Printf("cloning with %s\nsecond line\n", "s3cr3t-token")
	_, _ = w.Write([]byte("line\n"))
	require.NoError(t, w.Close())
	w.Printf("after close")
	assert.Equal(t, []string{"cloning with ********", "second line", "partial line", "after close"}, messages(drain(b, 100)))
}

func TestLineWriterWriteAfterClose(t *testing.T) {
	w := NewLineWriter(NewBuffer(BufferOptions{}), nil)
	require.NoError(t, w.Close())
	_, err := w.Write([]byte("x\n"))
	assert.ErrorIs(t, err, ErrClosed)
	assert.NoError(t, w.Close(), "idempotent")
}

func chunk(s string, size int) []string {
	var out []string
	for len(s) > size {
		out = append(out, s[:size])
		s = s[size:]
	}
	return append(out, s)
}

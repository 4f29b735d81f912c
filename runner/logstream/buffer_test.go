package logstream

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memory returns what the Buffer holds in memory: the length of the ring's
// backing slice and the write-behind.
func (b *Buffer) memory() (ring, staged int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.mem.buf), len(b.tail)
}

// clock is a fake Now: every call is one second later.
func clock() func() time.Time {
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time {
		t = t.Add(time.Second)
		return t
	}
}

func messages(recs []api.LogRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Message
	}
	return out
}

// drain takes every pending record with Peek/Ack in batches of batch.
func drain(b *Buffer, batch int) []api.LogRecord {
	var out []api.LogRecord
	for b.Len() > 0 {
		recs := b.Peek(batch, 1<<20)
		out = append(out, recs...)
		b.Ack(len(recs))
	}
	return out
}

func TestBufferPeekLimits(t *testing.T) {
	b := NewBuffer(BufferOptions{Now: clock()})
	assert.Nil(t, b.Peek(10, 100), "nothing pending")
	for _, m := range []string{"aaa", "bbb", "ccc", "dddddddddd", "e"} {
		b.Append(m)
	}
	tests := []struct {
		name               string
		maxRecords, maxLen int
		want               []string
	}{
		{"records", 2, 1000, []string{"aaa", "bbb"}},
		{"bytes", 10, 7, []string{"aaa", "bbb"}},
		{"bytes exact", 10, 9, []string{"aaa", "bbb", "ccc"}},
		{"all", 10, 1000, []string{"aaa", "bbb", "ccc", "dddddddddd", "e"}},
		{"at least one: bytes", 10, 1, []string{"aaa"}},
		{"at least one: records", 0, 0, []string{"aaa"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, messages(b.Peek(tt.maxRecords, tt.maxLen)))
			assert.Equal(t, 5, b.Len(), "Peek does not remove")
		})
	}
}

func TestBufferAck(t *testing.T) {
	b := NewBuffer(BufferOptions{Now: clock()})
	for i := range 10 {
		b.Append(strconv.Itoa(i))
	}
	recs := b.Peek(10, 1000)
	require.Len(t, recs, 10)
	b.Ack(3) // the server accepted only part of the batch
	assert.Equal(t, 7, b.Len())
	assert.Equal(t, []string{"3", "4"}, messages(b.Peek(2, 1000)))
	assert.True(t, recs[3].Time.Equal(b.Peek(1, 1)[0].Time), "records keep their time")
	b.Ack(0)
	assert.Equal(t, 7, b.Len())
	b.Ack(100)
	assert.Equal(t, 0, b.Len())
	assert.Nil(t, b.Peek(1, 1))
}

func TestBufferCloseInputDrainedNotify(t *testing.T) {
	b := NewBuffer(BufferOptions{})
	select {
	case <-b.Notify():
		t.Fatal("signalled before any append")
	default:
	}
	b.Append("one")
	b.Append("two")
	<-b.Notify() // coalesced: one signal for both
	select {
	case <-b.Notify():
		t.Fatal("signals are coalesced")
	default:
	}
	assert.False(t, b.Drained())
	b.CloseInput()
	<-b.Notify()
	b.Append("dropped")
	assert.Equal(t, 2, b.Len())
	assert.False(t, b.Drained(), "records still pending")
	b.Ack(2)
	assert.True(t, b.Drained())
	require.NoError(t, b.Close())
	require.NoError(t, b.Close(), "idempotent")
}

func TestBufferSpillsAMillionLinesInOrder(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	const limit = 1000
	b := NewBuffer(BufferOptions{MemoryRecords: limit, SpillDir: t.TempDir(), Now: clock()})
	defer b.Close()
	check := func() {
		ring, staged := b.memory()
		if ring > limit || staged > spillStageRecords {
			require.Failf(t, "memory not bounded", "ring %d staged %d", ring, staged)
		}
	}

	// A producer appends while a consumer drains, so that records move
	// between memory, the write-behind and the file in every order.
	// The consumer starts once a third is in, so the spill file is used.
	var wg sync.WaitGroup
	third := make(chan struct{})
	wg.Go(func() {
		for i := range n {
			b.Append(strconv.Itoa(i))
			if i%97 == 0 {
				check()
			}
			if i == n/3 {
				close(third)
			}
		}
		b.CloseInput()
	})
	<-third
	require.Greater(t, b.Len(), limit)
	next := 0
	for !b.Drained() {
		recs := b.Peek(700, 1<<20)
		if len(recs) == 0 {
			<-b.Notify()
			continue
		}
		for _, r := range recs {
			if r.Message != strconv.Itoa(next) {
				require.Failf(t, "out of order", "got %q, want %d", r.Message, next)
			}
			next++
		}
		b.Ack(len(recs))
		check()
	}
	wg.Wait()
	assert.Equal(t, n, next, "every line exactly once")
}

func TestBufferSpillAllThenDrain(t *testing.T) {
	dir := t.TempDir()
	b := NewBuffer(BufferOptions{MemoryRecords: 100, SpillDir: dir, Now: clock()})
	var want []api.LogRecord
	for i := range 5000 {
		msg := fmt.Sprintf("line %d %s", i, strings.Repeat("x", i%300))
		b.Append(msg)
		want = append(want, api.LogRecord{Message: msg})
	}
	require.Equal(t, 5000, b.Len())
	require.NotNil(t, b.spill, "overflow went to the spill file")
	info, err := b.spill.f.Stat()
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "the spill file is unlinked at once")

	got := drain(b, 37)
	require.Len(t, got, len(want))
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, r := range got {
		require.Equal(t, want[i].Message, r.Message)
		require.True(t, start.Add(time.Duration(i+1)*time.Second).Equal(r.Time), "time of record %d", i)
	}
	assert.Equal(t, int64(0), b.spill.writeOff, "an emptied spill file is truncated")
	require.NoError(t, b.Close())
	assert.Nil(t, b.spill)
	entries, err = os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestBufferSpillsHugeRecords(t *testing.T) {
	b := NewBuffer(BufferOptions{MemoryRecords: 2, SpillDir: t.TempDir()})
	defer b.Close()
	var want []string
	for i := range 20 {
		msg := strings.Repeat(strconv.Itoa(i%10), 200_000+i)
		want = append(want, msg)
		b.Append(msg)
	}
	assert.Equal(t, want, messages(drain(b, 3)))
}

func TestBufferSpillFailureKeepsEveryRecord(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	b := NewBuffer(BufferOptions{MemoryRecords: 10, SpillDir: missing})
	var want []string
	for i := range 1000 {
		want = append(want, strconv.Itoa(i))
		b.Append(strconv.Itoa(i))
	}
	assert.Equal(t, want, messages(drain(b, 7)), "records stay in memory when the disk fails")
	err := b.Close()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "logstream: spill:")
}

func TestBufferConcurrentWritersKeepTheirOrder(t *testing.T) {
	b := NewBuffer(BufferOptions{MemoryRecords: 100, SpillDir: t.TempDir()})
	defer b.Close()
	const n = 5000
	var wg sync.WaitGroup
	for _, name := range []string{"out", "err"} {
		wg.Go(func() {
			w := NewLineWriter(b, &Redactor{})
			for i := range n {
				_, _ = fmt.Fprintf(w, "%s %d\n", name, i)
			}
			_ = w.Close()
		})
	}
	wg.Wait()
	next := map[string]int{}
	for _, r := range drain(b, 64) {
		name, num, ok := strings.Cut(r.Message, " ")
		require.True(t, ok, r.Message)
		require.Equal(t, strconv.Itoa(next[name]), num, "order of %s", name)
		next[name]++
	}
	assert.Equal(t, map[string]int{"out": n, "err": n}, next)
}

package logstream

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
)

// DefaultMemoryRecords is BufferOptions.MemoryRecords when it is zero.
const DefaultMemoryRecords = 10000

// Write-behind of the spill file: overflow records are written in batches.
const (
	spillStageRecords = 256
	spillStageBytes   = 64 << 10
)

// BufferOptions configures a Buffer. The zero value is usable.
type BufferOptions struct {
	MemoryRecords int              // records held in memory; 0 = DefaultMemoryRecords
	SpillDir      string           // where the overflow file is created; "" = os.TempDir()
	Now           func() time.Time // record time; nil = time.Now
}

// Buffer is an ordered, thread-safe queue of log records awaiting
// acknowledgement, with bounded memory.
//
// Pending records are, oldest first: mem, then the spill file, then tail
// (the write-behind not yet in the file). mem is full whenever the other two
// are not empty.
type Buffer struct {
	now      func() time.Time
	limit    int
	spillDir string
	notify   chan struct{}

	mu          sync.Mutex
	mem         ring
	spill       *spillFile // nil until the first overflow
	tail        []api.LogRecord
	tailBytes   int
	spillErr    error // sticky: once set, the overflow stays in tail (memory)
	inputClosed bool
	closed      bool
}

// NewBuffer returns an empty Buffer.
func NewBuffer(o BufferOptions) *Buffer {
	b := &Buffer{now: o.Now, limit: o.MemoryRecords, spillDir: o.SpillDir, notify: make(chan struct{}, 1)}
	if b.now == nil {
		b.now = time.Now
	}
	if b.limit <= 0 {
		b.limit = DefaultMemoryRecords
	}
	if b.spillDir == "" {
		b.spillDir = os.TempDir()
	}
	return b
}

// Append adds a record stamped with Now. It is dropped after CloseInput or
// Close: the final status may already be on its way.
func (b *Buffer) Append(msg string) {
	b.mu.Lock()
	if b.inputClosed {
		b.mu.Unlock()
		return
	}
	r := api.LogRecord{Time: b.now(), Message: msg}
	if b.mem.len() < b.limit && b.overflow() == 0 {
		b.mem.push(r, b.limit)
	} else {
		b.tail = append(b.tail, r)
		b.tailBytes += len(msg)
		if b.spillErr == nil && (len(b.tail) >= spillStageRecords || b.tailBytes >= spillStageBytes) {
			b.flushTail()
		}
	}
	b.mu.Unlock()
	b.signal()
}

// Peek returns the oldest pending records without removing them: at most
// maxRecords records whose messages sum to at most maxBytes, except that it
// returns at least one record whenever one is pending. It returns at most
// MemoryRecords records.
func (b *Buffer) Peek(maxRecords, maxBytes int) []api.LogRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, size := 0, 0
	for ; n < b.mem.len(); n++ {
		l := len(b.mem.at(n).Message)
		if n > 0 && (n >= maxRecords || size+l > maxBytes) {
			break
		}
		size += l
	}
	if n == 0 {
		return nil
	}
	out := make([]api.LogRecord, n)
	for i := range out {
		out[i] = *b.mem.at(i)
	}
	return out
}

// Ack removes the n oldest pending records (those the server accepted).
func (b *Buffer) Ack(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for n > 0 {
		k := min(n, b.mem.len())
		if k == 0 {
			return
		}
		b.mem.drop(k)
		n -= k
		b.refill()
	}
}

// Len is the number of pending records, in memory and spilled.
func (b *Buffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mem.len() + b.overflow()
}

// CloseInput marks the end of the log: later Appends are dropped.
func (b *Buffer) CloseInput() {
	b.mu.Lock()
	b.inputClosed = true
	b.mu.Unlock()
	b.signal()
}

// Drained reports whether CloseInput was called and every record was acknowledged.
func (b *Buffer) Drained() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.inputClosed && b.mem.len()+b.overflow() == 0
}

// Notify is signalled (coalesced, never blocking Append) when records are
// appended or the input is closed.
func (b *Buffer) Notify() <-chan struct{} { return b.notify }

// Close discards pending records and releases the spill file. It returns the
// spill error the Buffer worked around (records then stayed in memory), if any.
func (b *Buffer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed, b.inputClosed = true, true
	b.mem = ring{}
	b.tail, b.tailBytes = nil, 0
	errs := []error{b.spillErr}
	if b.spill != nil {
		errs = append(errs, b.spill.close())
		b.spill = nil
	}
	return errors.Join(errs...)
}

func (b *Buffer) signal() {
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

// overflow is the number of pending records outside mem.
func (b *Buffer) overflow() int {
	n := len(b.tail)
	if b.spill != nil {
		n += b.spill.count
	}
	return n
}

// flushTail moves the write-behind to the spill file. On failure the
// records stay in tail and spilling stops.
func (b *Buffer) flushTail() {
	if b.spill == nil {
		s, err := openSpill(b.spillDir)
		if err != nil {
			b.spillErr = fmt.Errorf("logstream: spill: %w", err)
			return
		}
		b.spill = s
	}
	if err := b.spill.write(b.tail); err != nil {
		b.spillErr = fmt.Errorf("logstream: spill: %w", err)
		return
	}
	clear(b.tail)
	b.tail, b.tailBytes = b.tail[:0], 0
}

// refill moves the oldest overflow records into mem while it has room.
func (b *Buffer) refill() {
	room := b.limit - b.mem.len()
	if room <= 0 {
		return
	}
	if b.spill != nil && b.spill.count > 0 {
		got, err := b.spill.read(room, func(r api.LogRecord) { b.mem.push(r, b.limit) })
		room -= got
		if err != nil {
			// The rest of the file is unreadable: say so in the log itself.
			lost := b.spill.count
			b.spill.discard()
			b.spillErr = fmt.Errorf("logstream: spill: %w", err)
			if room > 0 {
				b.mem.push(api.LogRecord{Time: b.now(), Message: fmt.Sprintf("[mayfly] %d log lines lost: %v", lost, b.spillErr)}, b.limit)
				room--
			}
		}
	}
	if b.spill != nil && b.spill.count > 0 {
		return
	}
	k := min(room, len(b.tail))
	for _, r := range b.tail[:k] {
		b.mem.push(r, b.limit)
		b.tailBytes -= len(r.Message)
	}
	n := copy(b.tail, b.tail[k:])
	clear(b.tail[n:])
	b.tail = b.tail[:n]
}

// ring is a FIFO of records whose backing array grows up to a limit.
type ring struct {
	buf      []api.LogRecord
	start, n int
}

func (r *ring) len() int { return r.n }

func (r *ring) at(i int) *api.LogRecord { return &r.buf[(r.start+i)%len(r.buf)] }

// push appends rec; the caller guarantees r.len() < limit.
func (r *ring) push(rec api.LogRecord, limit int) {
	if r.n == len(r.buf) {
		grown := make([]api.LogRecord, min(max(2*len(r.buf), 64), limit))
		for i := range r.n {
			grown[i] = *r.at(i)
		}
		r.buf, r.start = grown, 0
	}
	r.buf[(r.start+r.n)%len(r.buf)] = rec
	r.n++
}

// drop removes the k oldest records (k <= len).
func (r *ring) drop(k int) {
	if k <= 0 {
		return
	}
	for i := range k {
		*r.at(i) = api.LogRecord{}
	}
	r.start = (r.start + k) % len(r.buf)
	r.n -= k
	if r.n == 0 {
		r.start = 0
	}
}

package logstream

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	b := NewBackoff(100*time.Millisecond, time.Second)
	b.randN = func(n int64) int64 { return n - 1 } // the top of the jitter range
	var got []time.Duration
	for range 6 {
		got = append(got, b.Next())
	}
	ms := time.Millisecond
	assert.Equal(t, []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, time.Second, time.Second}, got)
	b.Reset()
	assert.Equal(t, 100*ms, b.Next())
}

func TestBackoffFullJitter(t *testing.T) {
	b := NewBackoff(time.Millisecond, 50*time.Millisecond)
	b.randN = func(int64) int64 { return 0 }
	assert.Equal(t, time.Duration(1), b.Next(), "the bottom of the range is just above 0")

	b = NewBackoff(10*time.Millisecond, 80*time.Millisecond)
	for i := range 1000 {
		d := b.Next()
		limit := min(10*time.Millisecond<<min(i, 3), 80*time.Millisecond)
		assert.True(t, d > 0 && d <= limit, "draw %d: %v not in (0, %v]", i, d, limit)
	}
}

func TestBackoffBounds(t *testing.T) {
	b := NewBackoff(0, 0)
	b.randN = func(n int64) int64 { return n - 1 }
	assert.Equal(t, time.Millisecond, b.Next(), "initial is at least 1ms, max at least initial")
	assert.Equal(t, time.Millisecond, b.Next())
}

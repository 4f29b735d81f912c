package logstream

import (
	"math/rand/v2"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Backoff yields retry delays: exponential (doubling from initial up to max)
// with full jitter, i.e. uniform in (0, d] where d is the exponential delay.
// It is not safe for concurrent use.
type Backoff struct {
	exp   backoff.ExponentialBackOff
	randN func(n int64) int64 // uniform in [0, n); tests replace it
}

// NewBackoff returns a Backoff starting at initial (at least 1ms) and capped
// at maxDelay (at least initial).
func NewBackoff(initial, maxDelay time.Duration) *Backoff {
	initial = max(initial, time.Millisecond)
	b := &Backoff{
		exp: backoff.ExponentialBackOff{
			InitialInterval:     initial,
			RandomizationFactor: 0, // the jitter is applied by Next
			Multiplier:          2,
			MaxInterval:         max(maxDelay, initial),
		},
		randN: rand.Int64N,
	}
	b.exp.Reset()
	return b
}

// Next returns the next delay and doubles the cap for the one after.
func (b *Backoff) Next() time.Duration {
	d := b.exp.NextBackOff()
	return time.Duration(b.randN(int64(d))) + 1
}

// Reset restarts the sequence at the initial delay (after a success).
func (b *Backoff) Reset() { b.exp.Reset() }

package logstream

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Mask replaces every occurrence of a secret.
const Mask = "********"

// MinSecretLen is the shortest secret a Redactor masks: shorter strings
// ("yes", "db", "1") would mask ordinary words and numbers all over the log
// and reveal little anyway.
const MinSecretLen = 4

// Redactor is a thread-safe set of secret strings masked in log lines. The
// zero value is an empty set, ready to use.
type Redactor struct {
	mu      sync.Mutex // serialises Add
	secrets atomic.Pointer[secretSet]
}

// secretSet is an immutable snapshot: Redact never takes a lock.
type secretSet struct {
	list   []string // unique, longest first
	maxLen int
}

// Add adds a secret. Secrets shorter than MinSecretLen bytes are ignored.
// Redaction works line by line, so a secret that spans lines (a key file, a
// vault password file) is added line by line: each of its lines is masked
// wherever it appears.
func (r *Redactor) Add(secret string) {
	var add []string
	for line := range strings.Lines(secret) {
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if len(line) >= MinSecretLen {
			add = append(add, line)
		}
	}
	if len(add) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var list []string
	if old := r.secrets.Load(); old != nil {
		list = slices.Clone(old.list)
	}
	for _, s := range add {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	slices.SortFunc(list, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b))
	})
	r.secrets.Store(&secretSet{list: list, maxLen: len(list[0])})
}

// Redact returns line with every byte of every occurrence of a secret
// masked: overlapping or adjacent occurrences become one Mask, so no part of
// any secret survives whatever the order of the matches.
func (r *Redactor) Redact(line string) string {
	set := r.load()
	if set == nil {
		return line
	}
	var stack [8]span
	spans := stack[:0]
	for _, s := range set.list {
		for i := 0; ; {
			j := strings.Index(line[i:], s)
			if j < 0 {
				break
			}
			spans = append(spans, span{i + j, i + j + len(s)})
			i += j + 1
		}
	}
	if len(spans) == 0 {
		return line
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	var sb strings.Builder
	sb.Grow(len(line))
	pos := 0
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		for i++; i < len(spans) && spans[i].start <= end; i++ {
			end = max(end, spans[i].end)
		}
		sb.WriteString(line[pos:start])
		sb.WriteString(Mask)
		pos = end
	}
	sb.WriteString(line[pos:])
	return sb.String()
}

type span struct{ start, end int }

func (r *Redactor) load() *secretSet {
	if r == nil {
		return nil
	}
	return r.secrets.Load()
}

// maxLen is the length of the longest secret, 0 if none.
func (r *Redactor) maxLen() int {
	if set := r.load(); set != nil {
		return set.maxLen
	}
	return 0
}

// safeCut returns a cut point <= cut such that no occurrence of a secret in
// buf starts before it and ends after it (so each side can be redacted on
// its own). buf must extend at least maxLen-1 bytes past cut. It returns
// cut unchanged if the only safe point would be 0.
func (r *Redactor) safeCut(buf []byte, cut int) int {
	set := r.load()
	if set == nil {
		return cut
	}
	for c := cut; ; {
		next := c
		for _, s := range set.list {
			lo, hi := max(0, c-len(s)+1), min(len(buf), c+len(s)-1)
			for i := lo; i < hi; {
				j := strings.Index(string(buf[i:hi]), s)
				if j < 0 {
					break
				}
				if st := i + j; st < c && st+len(s) > c {
					next = min(next, st)
				}
				i += j + 1
			}
		}
		switch {
		case next == c:
			return c
		case next == 0:
			return cut
		}
		c = next
	}
}

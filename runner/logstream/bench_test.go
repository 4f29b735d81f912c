package logstream

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkLineWriter measures output -> lines -> redaction -> Buffer with
// three secrets, writing 32 KiB-ish chunks as the process copier does. One
// op is one line: allocs/op is allocations per line.
func BenchmarkLineWriter(b *testing.B) {
	r := &Redactor{}
	for _, s := range []string{"db-password-123", "ghp_0123456789abcdef", "vault-pass"} {
		r.Add(s)
	}
	var sb strings.Builder
	const perChunk = 256
	for i := range perChunk {
		if i%50 == 0 {
			fmt.Fprintf(&sb, "TASK [deploy] using db-password-123 on host-%d\r\n", i)
			continue
		}
		fmt.Fprintf(&sb, "ok: [host-%03d] => {\"changed\": false, \"msg\": \"line %d of the playbook output\"}\n", i, i)
	}
	chunk := []byte(sb.String())
	buf := NewBuffer(BufferOptions{MemoryRecords: 4 * perChunk})
	w := NewLineWriter(buf, r)
	b.SetBytes(int64(len(chunk) / perChunk))
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += perChunk {
		_, _ = w.Write(chunk)
		buf.Ack(buf.Len())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkBufferSpill appends b.N 100-byte records to a Buffer that holds
// 1000 in memory, then drains them in batches as the shipper does.
func BenchmarkBufferSpill(b *testing.B) {
	msg := strings.Repeat("x", 100)
	buf := NewBuffer(BufferOptions{MemoryRecords: 1000, SpillDir: b.TempDir()})
	defer buf.Close()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		buf.Append(msg)
	}
	for buf.Len() > 0 {
		buf.Ack(len(buf.Peek(500, 1<<20)))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

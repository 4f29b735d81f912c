// Package logstream turns a task's output into log records for the server:
// io.Writer -> lines -> redaction -> a bounded, acknowledged buffer.
//
// Contract:
//
//   - LineWriter splits output into lines as the stock runner does: "\n" and
//     "\r\n" end a line and are removed, a lone "\r" is kept, empty lines are
//     records. A line longer than MaxLineBytes is emitted in pieces of at most
//     MaxLineBytes (the stock runner kills the task instead). Close flushes a
//     trailing partial line. Use one LineWriter per stream.
//   - Every line (task output and runner lines written with Printf) is
//     redacted before it reaches the Buffer: each occurrence of a secret known
//     to the Redactor is replaced by Mask, including a secret split across
//     Write calls or across a MaxLineBytes cut. Secrets shorter than
//     MinSecretLen bytes are ignored: they would mask common words.
//   - Buffer keeps records in Append order (per writer; Append is safe for
//     concurrent use) until they are acknowledged: Peek returns the oldest
//     records without removing them, Ack removes them once the server has
//     accepted them (at-least-once, ordered delivery). At most
//     MemoryRecords records are held in memory, plus a write-behind of at
//     most 256 records; the overflow goes to a 0600 spill file, unlinked as
//     soon as it is created, and comes back in order as memory frees up, so
//     memory is bounded for any output size. Peek returns at most
//     MemoryRecords records.
//   - Backoff gives exponential retry delays with full jitter.
package logstream

package logstream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
)

const spillReadChunk = 64 << 10

// spillFile is an append-only file of records, read back in order. Each
// record is uvarint(len(time)) time.AppendBinary uvarint(len(msg)) msg.
//
// The file is unlinked as soon as it is created: only the open descriptor
// keeps it, so nothing is left on disk even if the process is killed (a
// warm Lambda keeps /tmp between invocations).
type spillFile struct {
	f                 *os.File
	readOff, writeOff int64
	count             int // records between readOff and writeOff
	enc, rbuf         []byte
}

func openSpill(dir string) (*spillFile, error) {
	f, err := os.CreateTemp(dir, "mayfly-log-*.spill") // 0600, O_EXCL
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil, err
	}
	return &spillFile{f: f}, nil
}

// write appends recs to the file; on error nothing counts as written.
func (s *spillFile) write(recs []api.LogRecord) error {
	enc := s.enc[:0]
	for _, r := range recs {
		start := len(enc)
		enc = append(enc, 0) // time length, set below (AppendBinary writes 15 or 16 bytes)
		var err error
		if enc, err = r.Time.AppendBinary(enc); err != nil {
			return fmt.Errorf("encode time: %w", err)
		}
		tlen := len(enc) - start - 1
		if tlen >= 0x80 {
			return fmt.Errorf("encode time: %d bytes", tlen)
		}
		enc[start] = byte(tlen)
		enc = binary.AppendUvarint(enc, uint64(len(r.Message)))
		enc = append(enc, r.Message...)
	}
	if _, err := s.f.WriteAt(enc, s.writeOff); err != nil {
		return err
	}
	s.writeOff += int64(len(enc))
	s.count += len(recs)
	if cap(enc) > 4*spillStageBytes {
		enc = nil // a huge record: do not keep its buffer
	}
	s.enc = enc
	return nil
}

// read passes up to limit records, oldest first, to push and returns how many.
func (s *spillFile) read(limit int, push func(api.LogRecord)) (int, error) {
	if len(s.rbuf) == 0 {
		s.rbuf = make([]byte, spillReadChunk)
	}
	got := 0
	for got < limit && s.count > 0 {
		want := min(int64(len(s.rbuf)), s.writeOff-s.readOff)
		n, err := s.f.ReadAt(s.rbuf[:want], s.readOff)
		if int64(n) < want {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return got, err
		}
		buf := s.rbuf[:n]
		off := 0
		for got < limit && s.count > 0 {
			r, size, need, err := decodeRecord(buf[off:])
			if err != nil {
				return got, err
			}
			if size == 0 { // incomplete: read on from off
				if off == 0 { // one record is larger than the buffer
					s.rbuf = make([]byte, max(need, 2*len(s.rbuf)))
				}
				break
			}
			push(r)
			off += size
			got++
			s.count--
		}
		s.readOff += int64(off)
	}
	if s.count == 0 {
		s.reset()
	}
	if len(s.rbuf) > 16*spillReadChunk {
		s.rbuf = nil
	}
	return got, nil
}

// decodeRecord decodes one record from buf. size is 0 if buf holds only
// part of it; need is then a length of buf that would hold it.
func decodeRecord(buf []byte) (r api.LogRecord, size, need int, err error) {
	if len(buf) < 1 {
		return r, 0, 64, nil
	}
	tlen := int(buf[0])
	if tlen >= 0x80 {
		return r, 0, 0, errors.New("corrupt spill record")
	}
	if len(buf) < 1+tlen {
		return r, 0, 1 + tlen + binary.MaxVarintLen64, nil
	}
	mlen, vlen := binary.Uvarint(buf[1+tlen:])
	switch {
	case vlen == 0:
		return r, 0, 1 + tlen + binary.MaxVarintLen64, nil
	case vlen < 0 || mlen > 1<<40:
		return r, 0, 0, errors.New("corrupt spill record")
	}
	size = 1 + tlen + vlen + int(mlen)
	if len(buf) < size {
		return r, 0, size, nil
	}
	var t time.Time
	if err := t.UnmarshalBinary(buf[1 : 1+tlen]); err != nil {
		return r, 0, 0, fmt.Errorf("corrupt spill record: %w", err)
	}
	return api.LogRecord{Time: t, Message: string(buf[1+tlen+vlen : size])}, size, 0, nil
}

// reset empties the file once every record was read, to give the disk back.
func (s *spillFile) reset() {
	s.readOff, s.writeOff, s.count = 0, 0, 0
	_ = s.f.Truncate(0)
}

// discard forgets the records left after a read error.
func (s *spillFile) discard() { s.reset() }

func (s *spillFile) close() error {
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("logstream: spill: %w", err)
	}
	return nil
}

package gzstatic

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"time"
)

// zeroTime: stored files carry no modification time, so responses have
// no Last-Modified; the ETag does the revalidation.
var zeroTime time.Time

// gunzipSeeker is the decompressed content of gz as an io.ReadSeeker of
// known size, what http.ServeContent needs for Content-Length and
// ranges. Seeking only moves the position; a read decompresses from the
// start again when the position went back, and skips forward when it
// went on.
type gunzipSeeker struct {
	gz   io.ReadSeeker // the compressed bytes
	size int64         // decompressed size

	pos  int64        // where the next Read reads
	zr   *gzip.Reader // nil until the first Read
	zpos int64        // where zr stands
}

// errNegative is Seek's answer to a position before the start.
var errNegative = errors.New("seek before the start")

// Seek implements io.Seeker.
func (s *gunzipSeeker) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += s.pos
	case io.SeekEnd:
		offset += s.size
	default:
		return s.pos, fmt.Errorf("seek: bad whence %d", whence)
	}
	if offset < 0 {
		return s.pos, errNegative
	}
	s.pos = offset
	return offset, nil
}

// Read implements io.Reader.
func (s *gunzipSeeker) Read(p []byte) (int, error) {
	if s.pos >= s.size {
		return 0, io.EOF
	}
	if s.zr == nil || s.zpos > s.pos {
		if _, err := s.gz.Seek(0, io.SeekStart); err != nil {
			return 0, fmt.Errorf("rewind: %w", err)
		}
		var err error
		if s.zr == nil {
			s.zr, err = gzip.NewReader(s.gz)
		} else {
			err = s.zr.Reset(s.gz)
		}
		if err != nil {
			return 0, fmt.Errorf("gunzip: %w", err)
		}
		s.zpos = 0
	}
	if s.zpos < s.pos {
		n, err := io.CopyN(io.Discard, s.zr, s.pos-s.zpos)
		s.zpos += n
		if err != nil {
			return 0, fmt.Errorf("gunzip: %w", err)
		}
	}
	if rest := s.size - s.pos; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := s.zr.Read(p)
	s.zpos += int64(n)
	s.pos = s.zpos
	if errors.Is(err, io.EOF) && s.pos < s.size {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

package gzstatic

import (
	"bytes"
	"compress/gzip"
	"fmt"
)

// Compress returns data gzip-compressed at the best compression level,
// with no file name, no modification time and no comment in the header:
// the same input gives the same bytes on every run (for one Go version's
// compress/flate), so committed assets only change when their content
// does.
func Compress(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("gzip writer: %w", err)
	}
	if _, err := zw.Write(data); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return buf.Bytes(), nil
}

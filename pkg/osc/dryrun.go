package osc

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/luoyun/osmanager/pkg/atomicfile"
)

// wouldChange reports what atomicfile.Write would do, without writing.
func wouldChange(path string, data []byte) (atomicfile.Result, error) {
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return atomicfile.Changed, nil
	case err != nil:
		return atomicfile.Unchanged, err
	case !st.Mode().IsRegular():
		return atomicfile.Unchanged, fmt.Errorf("replace %s: not a regular file", path)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		return atomicfile.Unchanged, err
	}
	if bytes.Equal(old, data) {
		return atomicfile.Unchanged, nil
	}
	return atomicfile.Changed, nil
}

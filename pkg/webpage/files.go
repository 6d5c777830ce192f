package webpage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/luoyun/osmanager/pkg/pagetmpl"
)

// errNotFound means the path does not name a servable file: missing, a
// directory without index.html, not a regular file, or outside the root.
var errNotFound = errors.New("not found")

// file is one servable file as last seen on disk.
type file struct {
	name    string // path inside the variant's directory, for logs and types
	isDir   bool   // the request named a directory; this is its index.html
	modTime time.Time
	size    int64
	info    fs.FileInfo // to tell a replaced file by its identity
	ctype   []string    // Content-Type header value

	// data is the whole file when cached; nil for a streamed file.
	data []byte
	// tmpl is the parsed page for HTML, nil otherwise.
	tmpl *pagetmpl.Template
	// stream is the open file of a large one, closed by the caller.
	stream *os.File

	checked  atomic.Int64 // UnixNano of the last look at the disk
	rendered atomic.Pointer[rendering]
}

// rendering is a page rendered for one snapshot generation.
type rendering struct {
	gen    uint64
	body   []byte
	length []string // Content-Length header value
}

// fileCache maps "variant/path" to the file last read there.
type fileCache struct {
	cfg   *Config
	m     sync.Map // string -> *file
	bytes atomic.Int64
	count atomic.Int64
}

// maxEntries bounds the number of cached files.
const maxEntries = 1024

// get returns the file for rel (a clean, slash-separated path without
// leading slash, "." for the top) inside the variant's directory.
func (c *fileCache) get(variant, rel string, now time.Time) (*file, error) {
	key := variant + "/" + rel
	var old *file
	if v, ok := c.m.Load(key); ok {
		old = v.(*file)
		if d := now.UnixNano() - old.checked.Load(); d >= 0 && d < int64(c.cfg.CheckEvery) {
			return old, nil
		}
	}
	f, err := c.open(variant, rel, old, now)
	if err != nil {
		if old != nil && c.m.CompareAndDelete(key, old) {
			c.forget(old)
		}
		return nil, err
	}
	if f == old {
		return f, nil
	}
	if f.stream != nil {
		if old != nil && c.m.CompareAndDelete(key, old) {
			c.forget(old)
		}
		return f, nil
	}
	if old != nil {
		if c.m.CompareAndSwap(key, old, f) {
			c.forget(old)
			c.remember(f)
		}
		return f, nil
	}
	if c.count.Load() < maxEntries && c.bytes.Load()+f.size <= c.cfg.MaxCacheBytes {
		if _, loaded := c.m.LoadOrStore(key, f); !loaded {
			c.remember(f)
		}
	}
	return f, nil
}

func (c *fileCache) remember(f *file) { c.count.Add(1); c.bytes.Add(f.size) }
func (c *fileCache) forget(f *file)   { c.count.Add(-1); c.bytes.Add(-f.size) }

// open looks rel up on disk. It returns old itself, marked as checked,
// when the file has not changed. The variant's directory is opened as an
// os.Root, which refuses any path, ".." or symbolic link, that would lead
// out of it. Only regular files (and directories, for their index.html)
// are served: anything else (a FIFO, a device, a socket) is refused before
// it is opened, and the open itself does not block (O_NONBLOCK), so a FIFO
// put in place in between cannot hold a thread either.
func (c *fileCache) open(variant, rel string, old *file, now time.Time) (*file, error) {
	root, err := os.OpenRoot(filepath.Join(c.cfg.Root, variant))
	if err != nil {
		return nil, errNotFound
	}
	defer root.Close()
	name := rel
	fi, err := root.Stat(name)
	if err != nil {
		return nil, errNotFound
	}
	isDir := fi.IsDir()
	if isDir {
		name = path.Join(rel, "index.html")
		if fi, err = root.Stat(name); err != nil {
			return nil, errNotFound
		}
	}
	if !fi.Mode().IsRegular() {
		return nil, errNotFound
	}
	fh, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, errNotFound
	}
	if fi, err = fh.Stat(); err != nil || !fi.Mode().IsRegular() {
		fh.Close()
		return nil, errNotFound
	}
	if old != nil && old.isDir == isDir && old.size == fi.Size() && old.modTime.Equal(fi.ModTime()) && os.SameFile(old.info, fi) {
		fh.Close()
		old.checked.Store(now.UnixNano())
		return old, nil
	}
	f := &file{
		name:    name,
		isDir:   isDir,
		modTime: fi.ModTime(),
		size:    fi.Size(),
		info:    fi,
		ctype:   []string{contentType(name)},
	}
	f.checked.Store(now.UnixNano())
	if fi.Size() > c.cfg.MaxCachedFile {
		if isHTML(name) {
			head := make([]byte, metaScanBytes)
			n, _ := fh.ReadAt(head, 0)
			f.ctype = []string{htmlType(head[:n])}
		}
		f.stream = fh
		return f, nil
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, c.cfg.MaxCachedFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > c.cfg.MaxCachedFile {
		// It grew while we read it: serve what it is now next time.
		return nil, fmt.Errorf("read %s: changed while reading", name)
	}
	f.data, f.size = data, int64(len(data))
	if isHTML(name) {
		f.ctype = []string{htmlType(data)}
	}
	if isTemplate(name, data) {
		f.tmpl = pagetmpl.Parse(data)
	}
	return f, nil
}

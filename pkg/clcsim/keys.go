package clcsim

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/luoyun/osmanager/pkg/clcproto"
)

// MaxKeys bounds how many instances a keys file may list.
const MaxKeys = 1 << 20

// ParseKeys reads a fleet's keys, one instance a line: "TAG KEY" (TAG a
// positive int32, KEY 5 to 256 bytes without spaces). Blank lines and
// lines starting with # are skipped. Errors name the line, never the KEY.
func ParseKeys(r io.Reader) (map[int32][]byte, error) {
	keys := map[int32][]byte{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 4096)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("keys line %d: want \"TAG KEY\", got %d fields", n, len(f))
		}
		tag, err := strconv.ParseInt(f[0], 10, 32)
		if err != nil || tag <= 0 {
			return nil, fmt.Errorf("keys line %d: TAG %q is not a positive 32-bit number", n, f[0])
		}
		if err := clcproto.CheckKey([]byte(f[1])); err != nil {
			return nil, fmt.Errorf("keys line %d (TAG %d): %w", n, tag, err)
		}
		if _, dup := keys[int32(tag)]; dup {
			return nil, fmt.Errorf("keys line %d: TAG %d listed twice", n, tag)
		}
		if len(keys) == MaxKeys {
			return nil, fmt.Errorf("keys line %d: more than %d instances", n, MaxKeys)
		}
		keys[int32(tag)] = []byte(f[1])
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("keys: no instance listed")
	}
	return keys, nil
}

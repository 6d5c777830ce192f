package poll

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type fakeT struct{ msg string }

func (*fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
}

func TestUntilHolds(t *testing.T) {
	var n atomic.Int32
	go func() {
		for i := 0; i < 3; i++ {
			n.Add(1)
		}
	}()
	var ft fakeT
	Until(&ft, Timeout, "three increments", func() bool { return n.Load() == 3 })
	if ft.msg != "" {
		t.Fatalf("Until failed: %s", ft.msg)
	}
}

func TestUntilTimesOut(t *testing.T) {
	var ft fakeT
	calls := 0
	Until(&ft, 20*time.Millisecond, "the impossible", func() bool { calls++; return false })
	if !strings.Contains(ft.msg, "the impossible") || !strings.Contains(ft.msg, "20ms") {
		t.Errorf("message %q names neither the condition nor the timeout", ft.msg)
	}
	if calls < 2 {
		t.Errorf("cond called %d times, want it polled", calls)
	}
}

func TestUntilNilReportsLastError(t *testing.T) {
	var ft fakeT
	UntilNil(&ft, 10*time.Millisecond, func() error { return errors.New("port 7 closed") })
	if !strings.Contains(ft.msg, "port 7 closed") {
		t.Errorf("message %q lacks the last error", ft.msg)
	}
	ft = fakeT{}
	n := 0
	UntilNil(&ft, Timeout, func() error {
		if n++; n < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if ft.msg != "" || n != 3 {
		t.Errorf("UntilNil: msg %q after %d calls", ft.msg, n)
	}
}

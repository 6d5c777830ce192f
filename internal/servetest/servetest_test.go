package servetest

import (
	"context"
	"errors"
	"testing"
)

type fake struct {
	listenErr error
	served    chan struct{}
	stopped   bool
}

func (f *fake) Listen() error { return f.listenErr }
func (f *fake) Serve(ctx context.Context) error {
	close(f.served)
	<-ctx.Done()
	f.stopped = true
	return nil
}

func TestStartStopsAtCleanup(t *testing.T) {
	f := &fake{served: make(chan struct{})}
	t.Run("inner", func(t *testing.T) {
		Start(t, f)
		<-f.served
		if f.stopped {
			t.Error("stopped before the test ended")
		}
	})
	if !f.stopped {
		t.Error("Serve still running after the test ended")
	}
}

func TestStartListenError(t *testing.T) {
	f := &fake{listenErr: errors.New("address in use"), served: make(chan struct{})}
	rt := &recorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		Start(rt, f)
	}()
	if !rt.fatal {
		t.Error("a Listen error did not fail the test")
	}
}

// recorder notes Fatal instead of stopping the real test.
type recorder struct {
	testing.TB
	fatal bool
}

func (r *recorder) Fatal(args ...any) { r.fatal = true; panic("fatal") }
func (r *recorder) Helper()           {}

// Package servetest runs the OS manager's servers (anything with the
// Listen/Serve split) for the length of a test.
package servetest

import (
	"context"
	"testing"
)

// Server binds with Listen and serves until its context ends.
type Server interface {
	Listen() error
	Serve(ctx context.Context) error
}

// Start listens and serves s until the test ends; the test fails if
// Listen fails or Serve returns an error.
func Start(t testing.TB, s Server) {
	t.Helper()
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

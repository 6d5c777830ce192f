package vmtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Simulator is a running `osm clc` controller simulator.
type Simulator struct {
	Port int
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  []string
	done chan struct{}
}

var listeningRE = regexp.MustCompile(`^listening addr=127\.0\.0\.1:(\d+)$`)

// StartSimulator runs `osm clc` on 127.0.0.1:port (0: a free port)
// accepting tag with key, and waits for its "listening" line. The KEY
// goes through a file only we read (-c), not the command line.
func StartSimulator(ctx context.Context, bins string, port, tag int, key string) (*Simulator, error) {
	f, err := os.CreateTemp("", "clc-key-*.conf") // mode 0600
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name()) // read by the time it listens
	_, err = f.WriteString("KEY=" + key + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("simulator's key file: %w", err)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bins, "osm"), "clc",
		"--listen", "127.0.0.1:"+strconv.Itoa(port), "-c", f.Name(), "--tag", strconv.Itoa(tag))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	s := &Simulator{cmd: cmd, done: make(chan struct{})}
	lines := make(chan string, 1)
	go s.read(stdout, lines)
	select {
	case line := <-lines:
		m := listeningRE.FindStringSubmatch(line)
		if m == nil {
			s.Stop()
			return nil, fmt.Errorf("simulator's first line %q, want listening addr=127.0.0.1:PORT", line)
		}
		s.Port, _ = strconv.Atoi(m[1])
		return s, nil
	case <-s.done:
		_ = cmd.Wait()
		return nil, fmt.Errorf("simulator exited: %s", stderr.String())
	case <-time.After(30 * time.Second):
		s.Stop()
		return nil, fmt.Errorf("simulator printed no listening line in 30s")
	}
}

func (s *Simulator) read(r io.Reader, first chan<- string) {
	defer close(s.done)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		s.mu.Lock()
		s.out = append(s.out, sc.Text())
		n := len(s.out)
		s.mu.Unlock()
		if n == 1 {
			first <- sc.Text()
		}
	}
}

// Lines returns the lines printed so far.
func (s *Simulator) Lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.out...)
}

// Wait polls until a printed line matches re, or ctx ends.
func (s *Simulator) Wait(ctx context.Context, re *regexp.Regexp) (string, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, l := range s.Lines() {
			if re.MatchString(l) {
				return l, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("simulator printed no line matching %q: %w", re, ctx.Err())
		case <-tick.C:
		}
	}
}

// Stop kills the simulator and waits for it.
func (s *Simulator) Stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
	<-s.done
	_ = s.cmd.Wait()
}

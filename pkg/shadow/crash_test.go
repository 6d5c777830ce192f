package shadow

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/luoyun/osmanager/pkg/atomicfile"
)

const crashEnv = "SHADOW_CRASH_HELPER_ROOT"

// bigShadow returns a shadow file of about 1 MiB (some 8,000 users) whose
// root hash is hash.
func bigShadow(hash string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "root:%s:19000:0:99999:7:::\n", hash)
	for i := 0; b.Len() < 1<<20; i++ {
		fmt.Fprintf(&b, "user%07d:$6$salt%07d$%s:19000:0:99999:7:::\n", i, i, strings.Repeat("x", 86))
	}
	return b.Bytes()
}

// TestMain turns the test binary into the crash helper when crashEnv is
// set: it rewrites root's hash in a loop until killed.
func TestMain(m *testing.M) {
	if root := os.Getenv(crashEnv); root != "" {
		r, err := atomicfile.OpenRoot(root)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Println("ready")
		for i := 0; ; i++ {
			h := "$6$a$first"
			if i%2 == 1 {
				h = "$6$b$second"
			}
			if _, err := Update(r, h, false); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(3)
			}
		}
	}
	os.Exit(m.Run())
}

// TestCrashSafety kills the helper with SIGKILL at random moments over
// 100 trials; etc/shadow must always be whole: one of the two versions.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	root := t.TempDir()
	p := filepath.Join(root, Path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	first, second := bigShadow("$6$a$first"), bigShadow("$6$b$second")
	if err := os.WriteFile(p, second, 0o640); err != nil {
		t.Fatal(err)
	}
	// Time one replacement here, so that the kill moments spread over
	// several writes however fast this machine (or -race) is.
	probe := t.TempDir()
	os.MkdirAll(filepath.Join(probe, "etc"), 0o755)
	os.WriteFile(filepath.Join(probe, Path), second, 0o640)
	start := time.Now()
	if _, err := Update(openRoot(t, probe), "$6$a$first", false); err != nil {
		t.Fatal(err)
	}
	window := 3 * time.Since(start)
	r := openRoot(t, root)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	seen := map[string]int{}
	for trial := 0; trial < 100; trial++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+root)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("helper said %q, %v; stderr %s", line, err, stderr.String())
		}
		time.Sleep(time.Duration(rng.Int63n(int64(window)))) // the random kill moment, not a wait for a condition
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("trial %d: helper ended by itself (%v): %s", trial, err, stderr.String())
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("trial %d: etc/shadow: %v", trial, err)
		}
		switch {
		case bytes.Equal(got, first):
			seen["first"]++
		case bytes.Equal(got, second):
			seen["second"]++
		default:
			t.Fatalf("trial %d: etc/shadow is neither version (%d bytes)", trial, len(got))
		}
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
			t.Fatalf("trial %d: mode %v, want 0640", trial, st.Mode().Perm())
		}
		// A temp file left behind means the kill landed inside a write; the
		// next run removes it, whether it changes anything or not.
		tmps, _ := filepath.Glob(filepath.Join(root, "etc", ".shadow.tmp-*"))
		if len(tmps) > 0 {
			seen["mid-write"]++
		}
		h := "$6$a$first"
		if trial%2 == 1 {
			h = "$6$b$second"
		}
		if _, err := Update(r, h, false); err != nil {
			t.Fatalf("trial %d: next run: %v", trial, err)
		}
		if left, _ := filepath.Glob(filepath.Join(root, "etc", ".shadow.tmp-*")); len(left) > 0 {
			t.Fatalf("trial %d: the next run left the killed writer's %q", trial, left)
		}
	}
	t.Logf("after 100 kills within %v of start: %v", window, seen)
	if seen["first"] == 0 || seen["mid-write"] == 0 {
		t.Errorf("no kill landed after a completed write or none inside a write (%v); the test proves nothing", seen)
	}
}

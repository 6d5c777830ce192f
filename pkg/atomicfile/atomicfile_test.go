package atomicfile

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestCreateDefaultMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "secret")
	res, err := WriteFile(p, []byte("KEY=x\n"))
	if err != nil || res != Changed {
		t.Fatalf("WriteFile = %v, %v; want changed", res, err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("new file mode = %v, want 0600", st.Mode().Perm())
	}
	res, err = WriteFile(p, []byte("KEY=x\n"))
	if err != nil || res != Unchanged {
		t.Errorf("second WriteFile = %v, %v; want unchanged", res, err)
	}
}

func TestUnchangedDoesNotWrite(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("same"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(p)
	ino := before.Sys().(*syscall.Stat_t).Ino
	res, err := WriteFile(p, []byte("same"))
	if err != nil || res != Unchanged {
		t.Fatalf("WriteFile = %v, %v", res, err)
	}
	after, _ := os.Stat(p)
	if after.Sys().(*syscall.Stat_t).Ino != ino || !after.ModTime().Equal(before.ModTime()) {
		t.Error("identical content was rewritten")
	}
}

func TestPreservesModeOwnerGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: chown to another uid/gid needs root")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "shadow")
	if err := os.WriteFile(p, []byte("root:old:1::::::\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 1234, 42); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	res, err := WriteFile(p, []byte("root:new:1::::::\n"))
	if err != nil || res != Changed {
		t.Fatalf("WriteFile = %v, %v", res, err)
	}
	st, _ := os.Stat(p)
	sys := st.Sys().(*syscall.Stat_t)
	if st.Mode().Perm() != 0o640 || sys.Uid != 1234 || sys.Gid != 42 {
		t.Errorf("after replace: mode %v uid %d gid %d; want 0640 1234 42", st.Mode().Perm(), sys.Uid, sys.Gid)
	}
	if got, _ := os.ReadFile(p); string(got) != "root:new:1::::::\n" {
		t.Errorf("content = %q", got)
	}
	assertNoTemp(t, dir)
}

func TestNewFileOwnerAndForceMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "authorized_keys")
	opts := Options{Mode: 0o644}
	if os.Geteuid() == 0 {
		opts.SetOwner, opts.UID, opts.GID = true, 4321, 43
	}
	if _, err := Write(p, []byte("a"), opts); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", st.Mode().Perm())
	}
	if os.Geteuid() == 0 {
		if sys := st.Sys().(*syscall.Stat_t); sys.Uid != 4321 || sys.Gid != 43 {
			t.Errorf("owner = %d:%d, want 4321:43", sys.Uid, sys.Gid)
		}
	}
	// Same content, wrong mode, ForceMode: mode fixed.
	res, err := Write(p, []byte("a"), Options{Mode: 0o600, ForceMode: true})
	if err != nil || res != Changed {
		t.Fatalf("Write(force) = %v, %v", res, err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Errorf("forced mode = %v, want 0600", st.Mode().Perm())
	}
}

func TestRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{link, dir} {
		if _, err := WriteFile(p, []byte("x")); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("WriteFile(%s) = %v, want refusal", p, err)
		}
	}
	if got, _ := os.ReadFile(target); string(got) != "keep" {
		t.Errorf("symlink target changed to %q", got)
	}
	assertNoTemp(t, dir)
}

func TestErrorLeavesNoTemp(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("skipping: root can write into a read-only directory")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	if _, err := WriteFile(filepath.Join(dir, "f"), []byte("x")); err == nil {
		t.Error("write into read-only dir succeeded")
	}
	assertNoTemp(t, dir)
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temp file left behind: %s", e.Name())
		}
	}
}

// TestRemovesStaleTemps: temp files a killed writer left beside the
// target go at the next write, changed or not, however young they are;
// the one a live writer holds (flock) stays, as do look-alikes.
func TestRemovesStaleTemps(t *testing.T) {
	for _, content := range []string{"old\n", "new\n"} {
		t.Run(strings.TrimSpace(content), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "shadow")
			if err := os.WriteFile(path, []byte("old\n"), 0o640); err != nil {
				t.Fatal(err)
			}
			mk := func(name string) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte("partial"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			mk(".shadow.tmp-123456") // a dead writer's: removed
			mk(".shadow.tmp-987")    // a dead writer's: removed
			mk(".shadow.tmp-555")    // a dead writer's, written this instant: removed
			mk(".shadow.tmp-777")    // a live writer's (locked): kept
			mk(".shadow.tmp-abc")    // not ours: kept
			mk(".shadow.tmp-")       // not ours: kept
			mk(".passwd.tmp-123")    // another target's: kept
			mk("shadow.tmp-123")     // not ours: kept
			if err := os.Mkdir(filepath.Join(dir, ".shadow.tmp-42"), 0o700); err != nil {
				t.Fatal(err) // a directory: kept
			}
			live, err := os.Open(filepath.Join(dir, ".shadow.tmp-777"))
			if err != nil {
				t.Fatal(err)
			}
			defer live.Close()
			if err := unix.Flock(int(live.Fd()), unix.LOCK_EX); err != nil {
				t.Fatal(err)
			}
			if _, err := WriteFile(path, []byte(content)); err != nil {
				t.Fatal(err)
			}
			want := []string{".passwd.tmp-123", ".shadow.tmp-", ".shadow.tmp-42", ".shadow.tmp-777", ".shadow.tmp-abc", "shadow", "shadow.tmp-123"}
			if got := names(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("directory holds %q, want %q", got, want)
			}
		})
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	return got
}

// TestRemovesKilledWritersTemp: a writer SIGKILLed between creating its
// temp file and the rename leaves it behind; the next write, with nothing
// to change, removes it at once: the lock died with the writer.
func TestRemovesKilledWritersTemp(t *testing.T) {
	if os.Getenv("ATOMICFILE_HOLD") != "" {
		r, err := os.OpenRoot(os.Getenv("ATOMICFILE_HOLD"))
		if err != nil {
			os.Exit(3)
		}
		if _, _, err := createTemp(r, ".", "shadow"); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("ready\n")
		time.Sleep(time.Hour) // until killed
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "shadow")
	if err := os.WriteFile(path, []byte("same\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRemovesKilledWritersTemp$")
	cmd.Env = append(os.Environ(), "ATOMICFILE_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q", line)
	}
	// While the writer lives, its temp file is kept.
	tmp := temps(t, dir)
	if len(tmp) != 1 {
		t.Fatalf("temp files %q, want one", tmp)
	}
	if res, err := WriteFile(path, []byte("same\n")); err != nil || res != Unchanged {
		t.Fatalf("WriteFile = %v, %v", res, err)
	}
	if got := temps(t, dir); len(got) != 1 {
		t.Fatalf("a live writer's temp file was removed: %q", got)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if res, err := WriteFile(path, []byte("same\n")); err != nil || res != Unchanged {
		t.Fatalf("WriteFile = %v, %v", res, err)
	}
	if got := temps(t, dir); len(got) != 0 {
		t.Errorf("the killed writer's temp file is still there: %q", got)
	}
}

func temps(t *testing.T, dir string) []string {
	var out []string
	for _, n := range names(t, dir) {
		if strings.HasPrefix(n, ".shadow.tmp-") {
			out = append(out, n)
		}
	}
	return out
}

// TestCleanerNeverTakesALiveWritersFile: cleaners running all the time
// beside a writer (as a second osc or floppyconf would) never make a
// write fail or lose it: a temp file taken between its create and its
// lock is noticed by the writer, which starts again.
func TestCleanerNeverTakesALiveWritersFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shadow")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				RemoveStale(path)
			}
		}
	}()
	defer func() { close(stop); <-done }()
	for i := range 300 {
		want := []byte(strings.Repeat("x", i%7) + "\n")
		if _, err := WriteFile(path, want); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if got, _ := os.ReadFile(path); string(got) != string(want) {
			t.Fatalf("write %d: content %q, want %q", i, got, want)
		}
	}
	if left := temps(t, dir); len(left) != 0 {
		t.Errorf("temp files left: %q", left)
	}
}

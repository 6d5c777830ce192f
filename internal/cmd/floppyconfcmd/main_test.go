package floppyconfcmd

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/luoyun/osmanager/internal/floppytest"
	"github.com/luoyun/osmanager/internal/testbin"
	"github.com/luoyun/osmanager/pkg/floppy"
)

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, &out, &out)
	return out.String(), err
}

// TestFixtures reads every kind of floppy the contract names.
func TestFixtures(t *testing.T) {
	type fixture struct {
		name string
		make func(t *testing.T) (string, []byte) // device path, expected content
	}
	var fixtures []fixture
	for _, n := range []int{100, 512, 513, 949, 2500, 20000} {
		fixtures = append(fixtures, fixture{fmt.Sprintf("computenode_%d", n), func(t *testing.T) (string, []byte) {
			ini := floppytest.Ini(n)
			p := filepath.Join(t.TempDir(), "fd0")
			out, err := runCmd(t, "--make", p, "-i", writeFile(t, ini))
			if err != nil {
				t.Fatalf("--make: %v (%s)", err, out)
			}
			return p, ini
		}})
	}
	for _, name := range []string{"luoyun.ini", "LUOYUN.INI"} {
		fixtures = append(fixtures, fixture{"mkfs_" + name, func(t *testing.T) (string, []byte) {
			ini := floppytest.Ini(2500)
			return floppytest.MkfsImage(t, floppytest.File{Name: name, Data: ini}), ini
		}})
	}
	fixtures = append(fixtures, fixture{"directory", func(t *testing.T) (string, []byte) {
		ini := floppytest.Ini(949)
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "LUOYUN.INI"), ini, 0o644); err != nil {
			t.Fatal(err)
		}
		return dir, ini
	}})
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			dev, ini := fx.make(t)
			dest := filepath.Join(t.TempDir(), "luoyun.conf")
			for _, want := range []string{"updated\n", "unchanged\n"} {
				out, err := runCmd(t, "-d", dev, "-c", dest, "--settings", noSettings(t))
				if err != nil || out != want {
					t.Fatalf("floppyconf = %q, %v; want %q", out, err, want)
				}
			}
			got, _ := os.ReadFile(dest)
			if !bytes.Equal(got, ini) {
				t.Errorf("luoyun.conf has %d bytes, want %d", len(got), len(ini))
			}
			if st, _ := os.Stat(dest); st.Mode().Perm() != 0o600 {
				t.Errorf("luoyun.conf mode %v, want 0600", st.Mode().Perm())
			}
		})
	}
}

// TestFailures runs the built binary on bad sources: exit 1, one line on
// stderr, nothing on stdout, luoyun.conf untouched.
func TestFailures(t *testing.T) {
	bin := binary(t)
	good, _ := floppy.Make(floppytest.Ini(2500))
	rnd := make([]byte, floppy.ImageSize)
	rand.New(rand.NewSource(7)).Read(rnd)
	emptyIni, _ := floppy.Make(nil)
	for _, tc := range []struct {
		name string
		img  []byte
		dir  bool
		want string
	}{
		{"zero_ini", emptyIni, false, "empty"},
		{"zero_length_file", []byte{}, false, "too small"},
		{"truncated_fat", good[:0x1000], false, "truncated"},
		{"truncated_text", good[:0x6400+2000], false, "truncated"},
		{"random_bytes", rnd, false, "floppyconf: read floppy"},
		{"empty_directory", nil, true, "no luoyun.ini"},
		{"missing_device", nil, false, "does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			dev := filepath.Join(dir, "fd0")
			switch {
			case tc.dir:
				if err := os.Mkdir(dev, 0o755); err != nil {
					t.Fatal(err)
				}
			case tc.img != nil:
				if err := os.WriteFile(dev, tc.img, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			dest := filepath.Join(dir, "luoyun.conf")
			old := []byte("TAG=7\nKEY=old\n")
			if err := os.WriteFile(dest, old, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "-d", dev, "-c", dest, "--wait", "200ms", "--settings", noSettings(t))
			// A PATH without modprobe: the missing-device case must not
			// load modules on the test machine.
			cmd.Env = []string{"PATH=" + dir}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("exit code %d (%v), want 1", code, err)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.want) || !strings.HasPrefix(lines[0], "floppyconf: ") {
				t.Errorf("stderr = %q, want one line with %q", stderr.String(), tc.want)
			}
			if got, _ := os.ReadFile(dest); !bytes.Equal(got, old) {
				t.Errorf("luoyun.conf changed to %q", got)
			}
		})
	}
}

func TestMakeRefusesEmptyIni(t *testing.T) {
	img := filepath.Join(t.TempDir(), "fd.img")
	if _, err := runCmd(t, "--make", img, "-i", writeFile(t, []byte(" \n"))); err == nil {
		t.Errorf("--make with an empty ini succeeded, want an error")
	}
	if _, err := os.Stat(img); err == nil {
		t.Errorf("an image was written for an empty ini")
	}
	if _, err := runCmd(t, "--make", img); err == nil {
		t.Errorf("--make without -i succeeded")
	}
}

// TestNodeWithoutConfig: the ini a compute node writes for an instance
// without config (JSON=(null)), with a stray line and a typo, goes onto an
// image and into luoyun.conf; each bad line is one warning on stderr.
func TestNodeWithoutConfig(t *testing.T) {
	ini := []byte("CLC_IP=\nCLC_PROT=1369\nCLC_MCAST_IP=228.0.0.1\nCLC_MCAST_PORT=1369\nTAG=7\nKEY=015e33a8-4b1e-4c1a-9d0a-3c2f6c1d8e77\nJSON=(null)\nstray\n")
	dir := t.TempDir()
	img := filepath.Join(dir, "fd.img")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--make", img, "-i", writeFile(t, ini)}, &stdout, &stderr); err != nil {
		t.Fatalf("--make: %v", err)
	}
	dest := filepath.Join(dir, "luoyun.conf")
	stdout.Reset()
	stderr.Reset()
	if err := run(context.Background(), []string{"-d", img, "-c", dest, "--settings", noSettings(t)}, &stdout, &stderr); err != nil {
		t.Fatalf("floppyconf: %v (%s)", err, stderr.String())
	}
	if stdout.String() != "updated\n" {
		t.Errorf("stdout = %q", stdout.String())
	}
	if got, _ := os.ReadFile(dest); !bytes.Equal(got, ini) {
		t.Errorf("luoyun.conf = %q", got)
	}
	want := "floppyconf: warning: luoyun.ini line 2: unknown key \"CLC_PROT\", kept but not used; did you mean CLC_PORT?\n" +
		"floppyconf: warning: luoyun.ini line 7: JSON: not valid JSON at character 1; nothing from it is applied\n" +
		"floppyconf: warning: luoyun.ini line 8: no '=' in the line; skipped\n"
	if stderr.String() != want {
		t.Errorf("stderr =\n%s\nwant\n%s", stderr.String(), want)
	}
}

func writeFile(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "luoyun.ini")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func noSettings(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "osmanager.toml")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// binary returns the floppyconf binary (internal/testbin).
func binary(t *testing.T) string { return testbin.Path(t, "floppyconf") }

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/luoyun/osmanager/internal/testbin"
)

// BenchmarkBootToRegistered measures the time from running
// "osmanager.sh start" (the whole chain: floppy, osc, config, the three
// daemons) to the simulator's "registered" line, each boot from a
// sandbox without luoyun.conf, as a first boot.
//
//	go test -run '^$' -bench BootToRegistered -benchtime 20x ./integration/
//
// BENCH_DEBUG=FILE appends each boot's time to registration and
// osmanager.sh's output to FILE: where the time went.
func BenchmarkBootToRegistered(b *testing.B) {
	s := newSandbox(b, 5*time.Second)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s.osmanager(b, "stop")
		os.Remove(filepath.Join(s.tree, "conf/luoyun.conf"))
		m := s.clc.mark()
		b.StartTimer()
		start := time.Now()
		r := s.osmanager(b, "start")
		if r.code != 0 {
			b.Fatalf("osmanager.sh start = exit %d:\n%s", r.code, r.out)
		}
		_, ev, ok := s.clc.wait(m, 10*time.Second, fmt.Sprintf("registered tag=%d ", e2eTag))
		if f := os.Getenv("BENCH_DEBUG"); f != "" {
			d, _ := os.OpenFile(f, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			fmt.Fprintf(d, "start %s registered %s (%v)\n%s", start.Format("15:04:05.000"), ev.at.Format("15:04:05.000"), ev.at.Sub(start), r.out)
			d.Close()
		}
		if !ok {
			b.Fatal("no registration")
		}
		total += ev.at.Sub(start)
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms-to-registered")
}

// BenchmarkIdleRSS boots the chain with the shipped status_interval
// (5 s), lets it idle for LUOYUN_IDLE (default 15 s) and reports what the
// VM loses to osm, web and webssh together, for each flavour of the tree:
// five binaries (make) and one binary with five links (make MULTICALL=1),
// each with the daemons' memory trim (settings memory.trim, the default;
// sub-benchmark trim) and without it (trim-off).
//
//   - MB-pss: the sum of the three processes' PSS (smaps_rollup): a page
//     shared by the three daemons of the one binary counts once, split
//     between them. This is the figure README gives.
//   - MB-rss: the sum of their RSS, which counts a shared page once per
//     process.
//   - MB-anon: the anonymous part (heap, stacks).
//   - MB-disk: the size of the tree's bin/ (each file once, links free).
//
// The five binaries come from binDir ($LUOYUN_BIN), the one binary from
// multicallDir ($LUOYUN_MULTICALL_BIN, or built).
//
// The sandbox writes each binary with one write call just before it runs,
// which leaves it in the page cache in large folios: the kernel then maps
// whole folios of code on a fault, more than after a boot, when the
// binaries come from the disk. LUOYUN_RSS_COLD=1 writes them out and
// drops them from the page cache before each start, as after a boot
// (docs/integration.md, "Idle memory", has both figures).
//
//	go test -run '^$' -bench IdleRSS -benchtime 1x ./integration/
func BenchmarkIdleRSS(b *testing.B) {
	idle := 15 * time.Second
	if v := os.Getenv("LUOYUN_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		idle = d
	}
	cold := os.Getenv("LUOYUN_RSS_COLD") != ""
	for _, f := range flavours {
		b.Run(f.name, func(b *testing.B) {
			bin := f.dir(b)
			s := newSandbox(b, 5*time.Second, func(s *sandbox) { s.bin = bin })
			toml := filepath.Join(s.tree, "custom/osmanager.toml")
			shipped := readFile(b, toml)
			for _, tr := range []struct{ name, settings string }{{"trim", ""}, {"trim-off", "\n[memory]\ntrim = false\n"}} {
				b.Run(tr.name, func(b *testing.B) {
					mustWrite(b, toml, shipped+tr.settings, 0o644)
					idleRSS(b, s, idle, cold)
				})
			}
		})
	}
}

// idleRSS boots the sandbox's chain b.N times, idles and reports the
// memory of its three daemons (BenchmarkIdleRSS).
func idleRSS(b *testing.B, s *sandbox, idle time.Duration, cold bool) {
	for i := 0; i < b.N; i++ {
		s.osmanager(b, "stop")
		m := s.clc.mark()
		if cold {
			for _, n := range daemons {
				testbin.DropCache(b, filepath.Join(s.tree, "bin", n))
			}
		}
		if r := s.osmanager(b, "start"); r.code != 0 {
			b.Fatalf("osmanager.sh start = exit %d:\n%s", r.code, r.out)
		}
		if _, _, ok := s.clc.wait(m, 10*time.Second, fmt.Sprintf("report tag=%d status=2000", e2eTag)); !ok {
			b.Fatal("no report 2000")
		}
		time.Sleep(idle) // the measured state is "idle for this long"
	}
	f := measureFootprint(b, s)
	for _, n := range daemons {
		m := f.procs[n]
		b.Logf("%s: Rss %d kB, Pss %d kB, Anonymous %d kB", n, m["Rss"], m["Pss"], m["Anonymous"])
	}
	b.ReportMetric(float64(f.pssKB)*1024/1e6, "MB-pss")
	b.ReportMetric(float64(f.rssKB)*1024/1e6, "MB-rss")
	b.ReportMetric(float64(f.anonKB)*1024/1e6, "MB-anon")
	b.ReportMetric(float64(f.diskBytes)/1e6, "MB-disk")
}

// flavours are the two ways bin/ can be installed: five binaries (make)
// and one binary with five links (make MULTICALL=1), each from where
// the tests take it.
var flavours = []struct {
	name      string
	dir       func(testing.TB) string
	multicall bool
}{{"five", binDir, false}, {"multicall", multicallDir, true}}

// daemons are the processes whose memory the footprint adds up.
var daemons = []string{"osm", "web", "webssh"}

// footprint is what the VM loses to a running sandbox's daemons: the
// sums of their smaps_rollup fields in kB, each process's fields, and
// the size of the tree's bin/ (each file once, links free).
type footprint struct {
	pssKB, rssKB, anonKB int
	diskBytes            int64
	procs                map[string]map[string]int
}

// measureFootprint reads the footprint of the sandbox's running daemons
// (BenchmarkIdleRSS's figures; TestFootprintFigures checks them).
func measureFootprint(t testing.TB, s *sandbox) footprint {
	t.Helper()
	f := footprint{procs: map[string]map[string]int{}}
	for _, n := range daemons {
		m := smapsRollup(t, s.pid(t, n))
		f.procs[n] = m
		f.rssKB += m["Rss"]
		f.pssKB += m["Pss"]
		f.anonKB += m["Anonymous"]
	}
	f.diskBytes = dirBytes(t, filepath.Join(s.tree, "bin"))
	return f
}

// dirBytes returns the size of the regular files in dir, each once: what
// the directory takes on disk, links aside.
func dirBytes(t testing.TB, dir string) int64 {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

// smapsRollup reads /proc/PID/smaps_rollup into kB values by field.
func smapsRollup(t testing.TB, pid int) map[string]int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && strings.HasSuffix(f[0], ":") {
			n, err := strconv.Atoi(f[1])
			if err == nil {
				m[strings.TrimSuffix(f[0], ":")] = n
			}
		}
	}
	return m
}

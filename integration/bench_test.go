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
// (5 s) and the shipped status script (it fetches web's page each run),
// in each flavour of the tree: five binaries (make) and one binary with
// five links (make MULTICALL=1). At each point of LUOYUN_IDLE, a comma
// list of durations after the first report (default "5m,10m"), it reports
// what the VM cannot take back from osm, web and webssh together:
//
//   - MB-anonpte-POINT: the sum of their anonymous memory (Anonymous in
//     /proc/PID/smaps_rollup: heap, stacks, the runtime's own) and page
//     tables (VmPTE in /proc/PID/status). This is the figure README
//     gives.
//
// and, at the last point, for information:
//
//   - MB-anon and MB-pte: the two parts.
//   - MB-pss: the sum of their PSS, in which a page of the binary the
//     three daemons of the one binary share counts once, split between
//     them; file pages count, though the kernel can drop them.
//   - MB-rss: the sum of their RSS, which counts a shared page once per
//     process.
//   - MB-disk: the size of the tree's bin/ (each file once, links free).
//
// The five binaries come from binDir ($LUOYUN_BIN), the one binary from
// multicallDir ($LUOYUN_MULTICALL_BIN, or built). LUOYUN_IDLE_SETTINGS
// is added to the tree's settings file (to compare settings, such as
// "[memory]\ntrim_interval = \"0\""). LUOYUN_RSS_COLD=1
// writes the binaries out and drops them from the page cache before each
// start, as after a boot (PSS and RSS only; anonymous memory and page
// tables do not depend on it).
//
//	go test -run '^$' -bench IdleRSS -benchtime 1x -timeout 60m ./integration/
func BenchmarkIdleRSS(b *testing.B) {
	points, err := idlePoints(os.Getenv("LUOYUN_IDLE"))
	if err != nil {
		b.Fatal(err)
	}
	cold := os.Getenv("LUOYUN_RSS_COLD") != ""
	for _, f := range flavours {
		b.Run(f.name, func(b *testing.B) {
			s := newSandbox(b, 5*time.Second, func(s *sandbox) { s.bin = f.dir(b) })
			if extra := os.Getenv("LUOYUN_IDLE_SETTINGS"); extra != "" {
				toml := filepath.Join(s.tree, "custom/osmanager.toml")
				mustWrite(b, toml, readFile(b, toml)+"\n"+extra+"\n", 0o644)
			}
			idleRSS(b, s, points, cold)
		})
	}
}

// idlePoints reads LUOYUN_IDLE: durations separated by commas, in
// increasing order; "" is "5m,10m".
func idlePoints(v string) ([]time.Duration, error) {
	if v == "" {
		v = "5m,10m"
	}
	var out []time.Duration
	for _, f := range strings.Split(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil || d < 0 || (len(out) > 0 && d <= out[len(out)-1]) {
			return nil, fmt.Errorf("LUOYUN_IDLE=%q: want increasing durations separated by commas, such as \"5m,10m\"", v)
		}
		out = append(out, d)
	}
	return out, nil
}

// pointName writes an idle point for a metric's unit: "5m", "90s".
func pointName(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return strings.ReplaceAll(d.String(), ".", "_")
}

// idleRSS boots the sandbox's chain b.N times, idles and reports the
// memory of its three daemons at each point (BenchmarkIdleRSS).
func idleRSS(b *testing.B, s *sandbox, points []time.Duration, cold bool) {
	var f footprint
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
		start := time.Now()
		for _, p := range points {
			time.Sleep(time.Until(start.Add(p))) // the measured state is "idle for this long"
			f = measureFootprint(b, s)
			for _, n := range daemons {
				m := f.procs[n]
				b.Logf("%s after %s: Anonymous %d kB, VmPTE %d kB; Pss %d kB, Rss %d kB", n, pointName(p), m["Anonymous"], m["VmPTE"], m["Pss"], m["Rss"])
			}
			b.ReportMetric(float64(f.anonKB+f.pteKB)*1024/1e6, "MB-anonpte-"+pointName(p))
		}
	}
	b.ReportMetric(float64(f.anonKB)*1024/1e6, "MB-anon")
	b.ReportMetric(float64(f.pteKB)*1024/1e6, "MB-pte")
	b.ReportMetric(float64(f.pssKB)*1024/1e6, "MB-pss")
	b.ReportMetric(float64(f.rssKB)*1024/1e6, "MB-rss")
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
// sums of their smaps_rollup fields and page tables (VmPTE) in kB, each
// process's fields (VmPTE among them), and the size of the tree's bin/
// (each file once, links free).
type footprint struct {
	pssKB, rssKB, anonKB, pteKB int
	diskBytes                   int64
	procs                       map[string]map[string]int
}

// measureFootprint reads the footprint of the sandbox's running daemons
// (BenchmarkIdleRSS's figures; TestFootprintFigures checks them).
func measureFootprint(t testing.TB, s *sandbox) footprint {
	t.Helper()
	f := footprint{procs: map[string]map[string]int{}}
	for _, n := range daemons {
		pid := s.pid(t, n)
		m := smapsRollup(t, pid)
		m["VmPTE"] = statusKB(t, pid, "VmPTE")
		f.procs[n] = m
		f.pteKB += m["VmPTE"]
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

package osmcmd

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/luoyun/osmanager/pkg/clcsim"
)

// procStat returns user+system CPU seconds of pid itself and of its
// waited-for children (the status scripts), and its resident set in KiB.
func procStat(t *testing.T, pid int) (self, children float64, rssKiB int) {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	// Fields after the name, 0-based: utime 11, stime 12, cutime 13, cstime 14.
	num := func(i int) float64 { v, _ := strconv.ParseFloat(f[i], 64); return v / 100 } // USER_HZ = 100
	self, children = num(11)+num(12), num(13)+num(14)
	st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	for _, l := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			rssKiB, _ = strconv.Atoi(strings.Fields(l)[1])
		}
	}
	return self, children, rssKiB
}

// TestIdleFootprint measures the registered agent at rest with the
// default settings (status script every 5 s). It runs only when asked:
//
//	OSM_IDLE_SECONDS=60 go test -run TestIdleFootprint -v ./cmd/osm
func TestIdleFootprint(t *testing.T) {
	secs, _ := strconv.Atoi(os.Getenv("OSM_IDLE_SECONDS"))
	if secs <= 0 {
		t.Skip("set OSM_IDLE_SECONDS=60 to measure the idle footprint")
	}
	s, ch := startSim(t, "127.0.0.1:0")
	in := newInstance(t, s.LocalAddr().String(), "", "# defaults\n")
	p := startProc(t, nil, osmBin(t), append(in.args()[:len(in.args())-1], "-l", in.dir+"/luoyun.log")...)
	waitEvent(t, ch, clcsim.ReportEvent)
	pid := p.cmd.Process.Pid
	cpu0, ch0, rss0 := procStat(t, pid)
	time.Sleep(time.Duration(secs) * time.Second) // the measurement window itself
	cpu1, ch1, rss1 := procStat(t, pid)
	t.Logf("idle %ds: osm CPU %.2fs (status scripts %.2fs), RSS %d KiB at start, %d KiB at end",
		secs, cpu1-cpu0, ch1-ch0, rss0, rss1)
	if code, _ := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit %d", code)
	}
}

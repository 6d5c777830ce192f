package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestFigureFunctions(t *testing.T) {
	t0 := time.Unix(100, 0)
	at := func(ms ...int) []time.Time {
		var s []time.Time
		for _, m := range ms {
			s = append(s, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return s
	}
	for _, tt := range []struct {
		ms   []int
		want int
	}{
		{nil, 0},
		{[]int{5}, 1},
		{[]int{0, 99, 100}, 2},           // [x, x+100ms): 100 is out of 0's window
		{[]int{300, 0, 250, 260, 50}, 3}, // unsorted: 250, 260, 300
		{[]int{0, 10, 20, 500, 510, 520, 530}, 4},
	} {
		if got := peak(at(tt.ms...), 100*time.Millisecond); got != tt.want {
			t.Errorf("peak(%v) = %d, want %d", tt.ms, got, tt.want)
		}
	}
	d := func(s ...int) []time.Duration {
		var out []time.Duration
		for _, v := range s {
			out = append(out, time.Duration(v))
		}
		return out
	}
	if m := median(d(5, 1, 3)); m != 3 {
		t.Errorf("median odd = %v", m)
	}
	if m := median(d(4, 1, 3, 2)); m != 2 { // (2+3)/2 in integer nanoseconds
		t.Errorf("median even = %v", m)
	}
	if m, x := median(nil), maxOf(nil); m != 0 || x != 0 {
		t.Errorf("empty: %v %v", m, x)
	}
	if x := maxOf(d(4, 9, 3)); x != 9 {
		t.Errorf("maxOf = %v", x)
	}
}

// TestFleetSmall runs the bench with 50 agents and scaled-down settings
// and recomputes every printed figure from the raw events it wrote, with
// an independent (brute force) computation.
func TestFleetSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 50-agent fleet through a controller restart")
	}
	const n = 50
	events := filepath.Join(t.TempDir(), "events")
	var out, errb bytes.Buffer
	args := []string{"-n", strconv.Itoa(n), "-outage", "1s", "-reconnect-min", "100ms", "-reconnect-max", "2s", "-events", events}
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("run: %v\n%s", err, errb.String())
	}
	t.Logf("output:\n%s", out.String())

	f, err := os.Open(events)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var back int64 = -1
	var conns, fails []int64
	regs := map[int]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		num := func(i int) int64 {
			v, err := strconv.ParseInt(fs[i], 10, 64)
			if err != nil {
				t.Fatalf("bad event line %q", sc.Text())
			}
			return v
		}
		switch fs[0] {
		case "back":
			back = num(1)
		case "conn":
			conns = append(conns, num(1))
		case "fail":
			fails = append(fails, num(1))
		case "reg":
			tag := int(num(1))
			if _, dup := regs[tag]; dup {
				t.Errorf("TAG %d re-registered twice in the events", tag)
			}
			regs[tag] = num(2)
		default:
			t.Fatalf("unknown event line %q", sc.Text())
		}
	}
	if back < int64(time.Second) {
		t.Fatalf("controller back %v after the outage began, want >= 1s", time.Duration(back))
	}
	if len(regs) != n {
		t.Fatalf("%d TAGs re-registered, want %d", len(regs), n)
	}
	for tag := 1; tag <= n; tag++ {
		if r, ok := regs[tag]; !ok || r < back {
			t.Errorf("TAG %d: re-registered at %v, controller back at %v", tag, time.Duration(r), time.Duration(back))
		}
	}
	if len(conns) < n {
		t.Errorf("%d connections for %d registrations", len(conns), n)
	}

	var since []int64
	for _, r := range regs {
		since = append(since, r-back)
	}
	sort.Slice(since, func(i, j int) bool { return since[i] < since[j] })
	med := (since[n/2-1] + since[n/2]) / 2 // n is even
	mx := since[n-1]
	brute := func(ts []int64) int {
		best := 0
		for _, a := range ts {
			c := 0
			for _, b := range ts {
				if b >= a && b < a+int64(100*time.Millisecond) {
					c++
				}
			}
			best = max(best, c)
		}
		return best
	}
	pc, pf := brute(conns), brute(fails)
	r := func(ns int64) string { return time.Duration(ns).Round(time.Millisecond).String() }
	want := []string{
		fmt.Sprintf("reregistered: count=%d median=%s max=%s max_since_outage_start=%s", n, r(med), r(mx), r(mx+back)),
		fmt.Sprintf("connections: count=%d peak_100ms=%d peak_share=%.1f%%", len(conns), pc, 100*float64(pc)/n),
		fmt.Sprintf("failed_attempts_during_outage: count=%d peak_100ms=%d peak_share=%.1f%%", len(fails), pf, 100*float64(pf)/n),
	}
	for _, w := range want {
		if !strings.Contains(out.String(), w+"\n") {
			t.Errorf("output lacks %q", w)
		}
	}
	if !regexp.MustCompile(`(?m)^fleet: agents=50 outage=1s reconnect_min=100ms reconnect_max=2s$`).MatchString(out.String()) {
		t.Error("header line missing")
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"-n", "0"}, {"-reconnect-min", "2s", "-reconnect-max", "1s"}, {"extra"}, {"-bogus"}} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), args, &out, &errb); err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
		}
	}
}

func TestCheckFDs(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skip(err)
	}
	if err := checkFDs(50); err != nil {
		t.Errorf("checkFDs(50) = %v with a limit of %d", err, lim.Cur)
	}
	n := int(lim.Cur) // twice the limit's worth of connections
	if err := checkFDs(n); err == nil || !strings.Contains(err.Error(), "ulimit -n") {
		t.Errorf("checkFDs(%d) = %v, want a refusal naming ulimit -n", n, err)
	}
}

// Command gcbits keeps a small heap of objects in 60 size classes,
// collects 20 times, and prints by how much its anonymous memory
// (/proc/self/smaps_rollup) grew over the collections after the first
// three, in kB.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

var keep [][]byte

func anonKB() int {
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		panic(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "Anonymous:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	panic("no Anonymous")
}

func main() {
	for i := range 60 {
		for range 3 {
			keep = append(keep, make([]byte, 8+i*200))
		}
	}
	for range 3 {
		debug.FreeOSMemory()
	}
	before := anonKB()
	for i := range 20 {
		_ = make([]byte, 1000+i) // garbage, as a daemon's work leaves
		debug.FreeOSMemory()
	}
	fmt.Println(anonKB() - before)
}

// Command collect allocates objects of 60 size classes, keeps a few of
// each, collects three times and prints how much the runtime's own
// structures (/memory/classes/metadata/other) grew, in kB.
package main

import (
	"fmt"
	"runtime/debug"
	"runtime/metrics"
)

var keep [][]byte

func other() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/metadata/other:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func main() {
	for i := range 60 {
		for range 3 {
			keep = append(keep, make([]byte, 8+i*200))
		}
		_ = make([]*int, i*25+1)
	}
	before := other()
	for range 3 {
		debug.FreeOSMemory()
	}
	fmt.Println((other() - before) >> 10)
}

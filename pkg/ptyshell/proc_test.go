package ptyshell

import (
	"bytes"
	"os"
	"strconv"
	"testing"
)

func readStatState(pid int) (string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", false
	}
	i := bytes.LastIndexByte(b, ')')
	f := bytes.Fields(b[i+1:])
	if len(f) == 0 {
		return "", false
	}
	return string(f[0]), true
}

func TestReadStatSelf(t *testing.T) {
	st, ok := readStat(os.Getpid())
	if !ok {
		t.Fatal("readStat(self) failed")
	}
	if st.ppid != os.Getppid() {
		t.Fatalf("ppid = %d, want %d", st.ppid, os.Getppid())
	}
	if _, ok := readStat(-1); ok {
		t.Fatal("readStat(-1) succeeded")
	}
}

package osmcmd

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/luoyun/osmanager/pkg/clcsim"
)

// TestRegistersWithNullJSON: the compute node writes JSON=(null) for an
// instance without config; with a typo and a stray line beside it, osm
// still registers with TAG/KEY/CLC_* and says what it skipped, without
// quoting the KEY.
func TestRegistersWithNullJSON(t *testing.T) {
	sim, ch := startSim(t, "127.0.0.1:0")
	in := newInstance(t, sim.LocalAddr().String(), "", "")
	host, port, _ := strings.Cut(sim.LocalAddr().String(), ":")
	conf := "CLC_IP=" + host + "\nCLC_PORT=" + port + "\nCLC_MCAST_PROT=1369\nTAG=42\nKEY " + testKey + "\nKEY=" + testKey + "\nJSON=(null)\n"
	if err := os.WriteFile(in.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, nil, osmBin(t), in.args()...)
	if e := waitEvent(t, ch, clcsim.Registered); e.Tag != 42 {
		t.Errorf("registered tag %d, want 42", e.Tag)
	}
	p.waitLine(t, `\[WARNING\] .*line 3: unknown key`)
	if code, _ := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit %d", code)
	}
	out := strings.Join(p.output(), "\n")
	for _, want := range []string{`did you mean CLC_MCAST_PORT?`, `line 5: KEY: no '=' in the line; skipped`} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not say %q:\n%s", want, out)
		}
	}
	for i := 0; i+8 <= len(testKey); i++ {
		if strings.Contains(out, testKey[i:i+8]) {
			t.Fatalf("output quotes %q of the KEY:\n%s", testKey[i:i+8], out)
		}
	}
}

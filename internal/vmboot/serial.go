package vmboot

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"time"
)

// WaitSerial polls the serial log file until re matches its content, the
// VM exits, or ctx ends. It returns the first match (with submatches).
func WaitSerial(ctx context.Context, vm *VM, file string, re *regexp.Regexp) ([]string, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		data, _ := os.ReadFile(file)
		if m := re.FindStringSubmatch(string(data)); m != nil {
			return m, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("serial log: no %q: %w", re, ctx.Err())
		case <-vm.Done():
			data, _ := os.ReadFile(file)
			if m := re.FindStringSubmatch(string(data)); m != nil {
				return m, nil
			}
			return nil, fmt.Errorf("serial log: no %q: qemu exited (%v)", re, vm.Wait())
		case <-tick.C:
		}
	}
}

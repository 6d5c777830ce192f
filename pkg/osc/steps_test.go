package osc

// AnyFailed reports whether any step failed (the tests' shorthand; the
// command reads each step's status itself).
func AnyFailed(steps []Step) bool {
	for _, s := range steps {
		if s.Status == Failed {
			return true
		}
	}
	return false
}

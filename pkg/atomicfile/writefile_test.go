package atomicfile

// WriteFile replaces path with data, keeping an existing file's mode, owner
// and group, and creating a new one with mode 0600: the tests' shorthand
// for Write (every caller outside the tests gives its own Options).
func WriteFile(path string, data []byte) (Result, error) {
	return Write(path, data, Options{Mode: 0o600})
}

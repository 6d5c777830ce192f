package lyconf

// Secret holds the instance's shared secret (luoyun.conf's KEY). Its String,
// GoString, Format-visible and marshalled forms are all redacted, so the
// value cannot leak into a log line, an error or a state file by accident;
// Reveal returns it for the one place that needs it, the RC4 cipher.
type Secret struct {
	value string
}

const redacted = "[redacted]"

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{value: s} }

// Reveal returns the secret's bytes as a string.
func (s Secret) Reveal() string { return s.value }

// Len returns the length of the secret in bytes.
func (s Secret) Len() int { return len(s.value) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

// Equal reports whether two secrets hold the same value.
func (s Secret) Equal(o Secret) bool { return s.value == o.value }

// String returns a redacted placeholder.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return redacted
}

// GoString returns a redacted placeholder for %#v.
func (s Secret) GoString() string { return "lyconf.Secret{" + s.String() + "}" }

// MarshalText returns a redacted placeholder, so JSON and TOML encoders
// never write the secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

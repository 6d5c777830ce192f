package suggest

import "testing"

func TestClosest(t *testing.T) {
	known := []string{"CLC_IP", "CLC_PORT", "CLC_MCAST_IP", "CLC_MCAST_PORT", "TAG", "KEY", "JSON"}
	tests := []struct{ in, want string }{
		{"CLC_PROT", "CLC_PORT"},
		{"clc_port", "CLC_PORT"},
		{"CLC_MCAST_PRT", "CLC_MCAST_PORT"},
		{"TGA", "TAG"},
		{"JSNO", "JSON"},
		{"SOMETHING_ELSE", ""},
	}
	for _, tt := range tests {
		if got := Closest(tt.in, known); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Closest("max_sesions", []string{"port", "command", "max_sessions", "idle_timeout"}); got != "max_sessions" {
		t.Errorf("Closest(max_sesions) = %q", got)
	}
	if got := Closest("x", nil); got != "" {
		t.Errorf("Closest with no known words = %q", got)
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"abc", "abc", 0}, {"abc", "acb", 1}, {"kitten", "sitting", 3},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

package lyconf

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sampleINI = "CLC_IP=192.168.1.10\nCLC_PORT=1369\nCLC_MCAST_IP=228.0.0.1\nCLC_MCAST_PORT=1369\nTAG=42\nKEY=0b6c7c5e-4b1e-4c1a-9d0a-3c2f6c1d8e77\n" +
	`JSON={"cookie": "abc", "webssh": {"status": "enable", "port": 8001}, "network": [{"ip": "10.0.0.5", "mac": "52:54:00:12:34:56", "type": "default", "netmask": "255.255.255.0", "gateway": "10.0.0.1", "nameservers": "8.8.8.8"}, {"mac": "52:54:00:12:34:57", "type": "default"}], "nameservers": "8.8.8.8 8.8.4.4", "domain": {"ip": "1.2.3.4", "name": "app.example.com"}, "passwd_hash": "$6$salt$hash", "public_key": "ssh-ed25519 AAAA root@x", "storage": [{"type": "disk", "size": 10}]}` + "\n"

func TestParseSample(t *testing.T) {
	c, err := Parse(strings.NewReader(sampleINI))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.CLCIP != "192.168.1.10" || c.CLCPort != 1369 || c.MCastIP != "228.0.0.1" || c.MCastPort != 1369 {
		t.Errorf("controller fields = %q %d %q %d", c.CLCIP, c.CLCPort, c.MCastIP, c.MCastPort)
	}
	if c.Tag != 42 || !c.HasTag {
		t.Errorf("Tag = %d (has %v), want 42", c.Tag, c.HasTag)
	}
	if c.Key.Reveal() != "0b6c7c5e-4b1e-4c1a-9d0a-3c2f6c1d8e77" {
		t.Errorf("Key = %q", c.Key.Reveal())
	}
	in := c.Instance
	hash, key, ns := "$6$salt$hash", "ssh-ed25519 AAAA root@x", "8.8.8.8 8.8.4.4"
	want := Instance{
		Cookie: "abc",
		WebSSH: &WebSSH{Status: "enable", Port: 8001},
		Network: []NIC{
			{IP: "10.0.0.5", MAC: "52:54:00:12:34:56", Type: "default", Netmask: "255.255.255.0", Gateway: "10.0.0.1", Nameservers: "8.8.8.8"},
			{MAC: "52:54:00:12:34:57", Type: "default"},
		},
		Nameservers: &ns,
		Domain:      &Domain{IP: "1.2.3.4", Name: "app.example.com"},
		PasswdHash:  &hash,
		PublicKey:   &key,
		Storage:     []Storage{{Type: "disk", Size: 10}},
	}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("Instance mismatch (-want +got):\n%s", diff)
	}
	if got := in.NameserverList(); !cmp.Equal(got, []string{"8.8.8.8", "8.8.4.4"}) {
		t.Errorf("NameserverList = %q", got)
	}
	if c.Line("TAG") != 5 {
		t.Errorf("Line(TAG) = %d, want 5", c.Line("TAG"))
	}
}

func TestParseVariants(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, c *Conf)
	}{
		{"crlf", "TAG=7\r\nKEY=abcdef\r\nCLC_PORT=1369\r\n", func(t *testing.T, c *Conf) {
			if c.Tag != 7 || c.Key.Reveal() != "abcdef" || c.CLCPort != 1369 {
				t.Errorf("got tag %d key %q port %d", c.Tag, c.Key.Reveal(), c.CLCPort)
			}
		}},
		{"equals in value", "KEY=a=b=c\nFOO=x=y\n", func(t *testing.T, c *Conf) {
			if c.Key.Reveal() != "a=b=c" || c.Extra["FOO"] != "x=y" {
				t.Errorf("got key %q foo %q", c.Key.Reveal(), c.Extra["FOO"])
			}
		}},
		{"empty values", "CLC_IP=\nCLC_PORT=\nTAG=\nKEY=\nJSON=\n", func(t *testing.T, c *Conf) {
			if c.CLCIP != "" || c.CLCPort != 0 || c.HasTag || !c.Key.IsZero() || c.JSON != "" {
				t.Errorf("expected all empty, got %+v", c)
			}
		}},
		{"blank lines and unknown keys", "\n\nNEW_THING=1\n\n  \nTAG=3\n", func(t *testing.T, c *Conf) {
			if c.Tag != 3 || c.Extra["NEW_THING"] != "1" {
				t.Errorf("got tag %d extra %v", c.Tag, c.Extra)
			}
			if !cmp.Equal(c.KeyOrder, []string{"NEW_THING", "TAG"}) {
				t.Errorf("KeyOrder = %v", c.KeyOrder)
			}
		}},
		{"empty file", "", func(t *testing.T, c *Conf) {
			if c.HasTag || c.JSON != "" {
				t.Errorf("expected empty conf, got %+v", c)
			}
		}},
		{"json port as string", `JSON={"webssh": {"status": "disable", "port": "8022"}}` + "\n", func(t *testing.T, c *Conf) {
			if c.Instance.WebSSH.Port != 8022 || !c.Instance.WebSSH.Disabled() {
				t.Errorf("webssh = %+v", c.Instance.WebSSH)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			tt.check(t, c)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, wantKey string
		wantLine          int
		wantText          string
	}{
		{"non-numeric tag", "CLC_IP=1.2.3.4\nTAG=abc\n", "TAG", 2, "not an integer"},
		{"non-numeric port", "CLC_PORT=13x9\n", "CLC_PORT", 1, "not an integer"},
		{"port out of range", "\nCLC_MCAST_PORT=70000\n", "CLC_MCAST_PORT", 2, "out of range"},
		{"json wrong type", `JSON={"network": "eth0"}` + "\n", "JSON", 1, `"network"`},
		{"json nested wrong type", `JSON={"domain": {"name": 5}}` + "\n", "JSON", 1, `domain.name`},
		{"json broken", "TAG=1\nJSON={\"cookie\":\n", "JSON", 2, "JSON"},
		{"json trailing", "JSON={} {}\n", "JSON", 1, "trailing"},
		{"no equals", "TAG=1\ngarbage\n", `"garbage"`, 2, "no '='"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error = %v, want *ParseError", tt.in, err)
			}
			if pe.Key != tt.wantKey || pe.Line != tt.wantLine {
				t.Errorf("error key/line = %q/%d, want %q/%d", pe.Key, pe.Line, tt.wantKey, tt.wantLine)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not mention %q", err, tt.wantText)
			}
		})
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	const key = "0b6c7c5e-4b1e-4c1a-9d0a-3c2f6c1d8e77"
	c, err := Parse(strings.NewReader("TAG=1\nKEY=" + key + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outs := []string{
		fmt.Sprint(c.Key), fmt.Sprintf("%v %+v %#v %s %q %x", c.Key, c.Key, c.Key, c.Key, c.Key, c.Key),
		fmt.Sprintf("%v %+v %#v", c, c, *c), string(js), c.Key.String(),
	}
	for _, o := range outs {
		if strings.Contains(o, key) || strings.Contains(o, "0b6c7c5e") {
			t.Errorf("secret leaked: %s", o)
		}
	}
	// Not even in an error about the KEY line's neighbours.
	_, err = Parse(strings.NewReader("KEY=" + key + "\nTAG=" + key + "\n"))
	if err != nil && strings.Contains(err.Error(), key) && !strings.Contains(err.Error(), "TAG") {
		t.Errorf("secret leaked into error: %v", err)
	}
}

func TestLoad(t *testing.T) {
	p := filepath.Join(t.TempDir(), "luoyun.conf")
	if err := os.WriteFile(p, []byte(sampleINI), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil || c.Tag != 42 {
		t.Fatalf("Load = %v, %v", c, err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want ErrNotExist", err)
	}
}

func TestParseTooLarge(t *testing.T) {
	big := strings.Repeat("X", MaxSize+10)
	if _, err := Parse(strings.NewReader(big)); err == nil {
		t.Error("Parse(>1MiB) succeeded, want error")
	}
}

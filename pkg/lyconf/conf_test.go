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

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name, in string
		wantKey  string
		wantLine int
		wantText string
		warning  bool
	}{
		{"non-numeric tag", "CLC_IP=1.2.3.4\nTAG=abc\n", "TAG", 2, `line 2: TAG: "abc" is not a number`, false},
		{"non-numeric port", "CLC_PORT=13x9\n", "CLC_PORT", 1, `line 1: CLC_PORT: "13x9" is not a number`, false},
		{"port out of range", "\nCLC_MCAST_PORT=70000\n", "CLC_MCAST_PORT", 2, "line 2: CLC_MCAST_PORT: 70000 is not a port (1..65535)", false},
		{"json wrong type", `JSON={"network": "eth0"}` + "\n", "JSON", 1, "line 1: JSON: network: expected a list, got a string; nothing from it is applied", false},
		{"json nested wrong type", `JSON={"domain": {"name": 5}}` + "\n", "JSON", 1, "JSON: domain.name: expected a string, got a number;", false},
		{"json port not a number", `JSON={"webssh": {"port": "abc"}}` + "\n", "JSON", 1, "JSON: webssh.port: expected a whole number, got a string;", false},
		{"json broken", "TAG=1\nJSON={\"cookie\":\n", "JSON", 2, "line 2: JSON: not valid JSON: it ends too early; nothing from it is applied", false},
		{"json null from the node", "TAG=1\nJSON=(null)\n", "JSON", 2, "line 2: JSON: not valid JSON at character 1; nothing from it is applied", false},
		{"json trailing", "JSON={} {}\n", "JSON", 1, "more than one JSON value", false},
		{"json array", "JSON=[1]\n", "JSON", 1, "JSON: expected an object, got a list", false},
		{"no equals", "TAG=1\ngarbage\n", "", 2, "line 2: no '=' in the line; skipped", true},
		{"no equals on a known key", "TAG 1\n", "TAG", 1, "line 1: TAG: no '=' in the line; skipped", true},
		{"typo", "CLC_PROT=1369\n", "", 1, `line 1: unknown key "CLC_PROT", kept but not used; did you mean CLC_PORT?`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Parse(%q) error = %v, want problems only", tt.in, err)
			}
			if len(c.Problems) != 1 {
				t.Fatalf("Parse(%q) problems = %v, want 1", tt.in, c.Problems)
			}
			pe := c.Problems[0]
			if pe.Key != tt.wantKey || pe.Line != tt.wantLine || pe.Warning != tt.warning {
				t.Errorf("problem key/line/warning = %q/%d/%v, want %q/%d/%v", pe.Key, pe.Line, pe.Warning, tt.wantKey, tt.wantLine, tt.warning)
			}
			if !strings.Contains(pe.Error(), tt.wantText) {
				t.Errorf("problem %q does not say %q", pe, tt.wantText)
			}
			if strings.Count(pe.Error(), "JSON") > 2 || strings.Contains(pe.Error(), "lyconf.") || strings.Contains(pe.Error(), "strconv") {
				t.Errorf("problem %q repeats itself or shows Go internals", pe)
			}
			if (c.Err() == nil) != tt.warning {
				t.Errorf("Err() = %v with warning=%v", c.Err(), tt.warning)
			}
		})
	}
}

// TestBadLinesDoNotStopTheRest: what the compute node writes for an
// instance without config (JSON=(null)), a line without '=' and a typo:
// every other key still applies.
func TestBadLinesDoNotStopTheRest(t *testing.T) {
	in := "CLC_IP=10.0.0.1\nCLC_PROT=1\nCLC_PORT=1369\nstray line\nTAG=42\nKEY=k-0123456789\nJSON=(null)\n"
	c, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if c.CLCIP != "10.0.0.1" || c.CLCPort != 1369 || c.Tag != 42 || !c.HasTag || c.Key.Reveal() != "k-0123456789" {
		t.Errorf("conf = %+v", c)
	}
	if !cmp.Equal(c.Instance, Instance{}) {
		t.Errorf("Instance = %+v, want empty", c.Instance)
	}
	if len(c.Problems) != 3 {
		t.Errorf("problems = %v, want 3", c.Problems)
	}
	if err := c.Err("TAG", "KEY", "CLC_IP", "CLC_PORT"); err != nil {
		t.Errorf("Err(osm's keys) = %v, want nil", err)
	}
	if err := c.Err("JSON"); err == nil {
		t.Error("Err(JSON) = nil")
	}
	c.SetFile("luoyun.ini")
	if got := c.Problems[0].Error(); got != `luoyun.ini line 2: unknown key "CLC_PROT", kept but not used; did you mean CLC_PORT?` {
		t.Errorf("problem = %q", got)
	}
}

func TestLaterJSONLineReplacesEarlier(t *testing.T) {
	c, err := Parse(strings.NewReader("JSON={\"cookie\":\"a\"}\nJSON=(null)\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Instance.Cookie != "" {
		t.Errorf("cookie %q survived a later bad JSON line", c.Instance.Cookie)
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
}

// TestKeyNeverQuoted puts the KEY in every position of a luoyun.conf and
// checks that no problem's text holds it or any 8 bytes of it.
func TestKeyNeverQuoted(t *testing.T) {
	const key = "015e33a8-4b1e-4c1a-9d0a-3c2f6c1d8e77"
	tmpl := []string{
		"TAG={K}\n", "CLC_PORT={K}\n", "CLC_MCAST_PORT={K}\n", "KEY {K}\n", "{K}\n", "{K}=1\n",
		"TAG=1{K}\n", "TAG={K8}\n", "CLC_PORT=x{K8}x\n", "{K8}_X=1\n",
		`JSON={"cookie": {K}}` + "\n", `JSON={"webssh": {"port": "{K}"}}` + "\n", `JSON={K}` + "\n",
		`JSON={"network": "{K}"}` + "\n", `JSON="{K}"` + "\n", "JSON={\"{K}\": 1}\n",
		"TAG=1\x00{K}\n", "CLC_IP={K}\x1b\n", "X_Y={K}\r{K}\n", "{K}=\x01\n",
	}
	for _, body := range tmpl {
		for _, keyFirst := range []bool{true, false} {
			in := strings.NewReplacer("{K}", key, "{K8}", key[9:17]).Replace(body)
			if keyFirst {
				in = "KEY=" + key + "\n" + in
			} else {
				in += "KEY=" + key + "\n"
			}
			c, err := Parse(strings.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Problems) == 0 && !strings.HasPrefix(body, `JSON={"cookie"`) && !strings.HasPrefix(body, `JSON={"{K}"`) {
				t.Errorf("%q: no problem reported", in)
			}
			for _, p := range c.Problems {
				if leak := leaks(p.Error(), key); leak != "" {
					t.Errorf("%q: problem %q quotes %q of the KEY", in, p, leak)
				}
			}
		}
	}
}

// leaks returns a run of 8 bytes of key found in s, or "".
func leaks(s, key string) string {
	for i := 0; i+8 <= len(key); i++ {
		if strings.Contains(s, key[i:i+8]) {
			return key[i : i+8]
		}
	}
	return ""
}

func TestMayShow(t *testing.T) {
	const key = "015e33a8-4b1e-4c1a-9d0a-3c2f6c1d8e77"
	for _, s := range []string{key, key[:8], "x" + key[5:13] + "y", "015e"} {
		if MayShow(s, key) {
			t.Errorf("MayShow(%q) = true", s)
		}
	}
	for _, s := range []string{"abc", "CLC_PROT", "70000"} {
		if !MayShow(s, key) {
			t.Errorf("MayShow(%q) = false", s)
		}
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

// TestControlCharacters: a value holding a C0 control character other
// than TAB (NUL, ESC, a CR inside the line) is refused, reported with its
// line, its key and where the character is, never quoting the value; TAB
// is taken.
func TestControlCharacters(t *testing.T) {
	const key = "015e33a8-4b1e-4c1a-9d0a-3c2f6c1d8e77"
	in := "CLC_IP=10.0.0.1\x00.evil\nTAG=7\x1b[31m\nKEY=" + key[:9] + "\x00" + key[9:] + "\nX_NOTE=a\rb\nCLC_MCAST_IP=228.0.0.1\nJSON={\"cookie\":\t\"c\"}\n"
	c, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"line 1: CLC_IP: control character U+0000 at byte 9 of the value; the value is refused",
		"line 2: TAG: control character U+001B at byte 2 of the value; the value is refused",
		"line 3: KEY: control character U+0000 at byte 10 of the value; the value is refused",
		"line 4: control character U+000D at byte 2 of the value; the value is refused",
	}
	var got []string
	for _, p := range c.Problems {
		got = append(got, p.Error())
		if leak := leaks(p.Error(), key); leak != "" {
			t.Errorf("problem %q quotes %q of the KEY", p, leak)
		}
	}
	if !cmp.Equal(got, want) {
		t.Errorf("problems:\n%s", cmp.Diff(want, got))
	}
	if c.CLCIP != "" || c.HasTag || c.Key.Reveal() != "" || len(c.Extra) != 0 {
		t.Errorf("refused values taken: CLC_IP %q, TAG %v, KEY set %v, extra %q", c.CLCIP, c.HasTag, c.Key.Reveal() != "", c.Extra)
	}
	if c.MCastIP != "228.0.0.1" || c.Instance.Cookie != "c" {
		t.Errorf("the other lines were not taken: CLC_MCAST_IP %q, cookie %q (a TAB is fine)", c.MCastIP, c.Instance.Cookie)
	}
	if err := c.Err("TAG"); err == nil {
		t.Error("Err(TAG) = nil, want the refused TAG")
	}
}

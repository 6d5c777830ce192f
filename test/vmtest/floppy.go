package vmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Instance is what the cloud tells one instance through its floppy.
type Instance struct {
	CLCIP   string
	CLCPort int
	Tag     int
	Key     string
	// JSON fields.
	Cookie     string
	Domain     string
	IP         string
	MAC        string
	Gateway    string
	Nameserver string
	PasswdHash string
	PublicKey  string
	WebSSHPort int
}

// INI returns luoyun.ini as a compute node writes it.
func (in Instance) INI() ([]byte, error) {
	js := map[string]any{
		"cookie": in.Cookie,
		"webssh": map[string]any{"status": "enable", "port": in.WebSSHPort},
		"network": []map[string]string{{
			"ip": in.IP, "mac": in.MAC, "type": "default", "netmask": "255.255.255.0",
			"gateway": in.Gateway, "nameservers": in.Nameserver,
		}},
		"nameservers": in.Nameserver,
		"domain":      map[string]string{"ip": in.IP, "name": in.Domain},
		"passwd_hash": in.PasswdHash,
		"public_key":  in.PublicKey,
		"storage":     []map[string]any{{"type": "disk", "size": 1}},
	}
	j, err := json.Marshal(js)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "CLC_IP=%s\nCLC_PORT=%d\nCLC_MCAST_IP=228.0.0.1\nCLC_MCAST_PORT=1369\nTAG=%d\nKEY=%s\nJSON=%s\n",
		in.CLCIP, in.CLCPort, in.Tag, in.Key, j)
	return b.Bytes(), nil
}

// MakeFloppy writes the compute-node floppy image for in with
// `floppyconf --make`.
func MakeFloppy(bins, image string, in Instance) error {
	ini, err := in.INI()
	if err != nil {
		return err
	}
	iniPath := image + ".ini"
	if err := os.WriteFile(iniPath, ini, 0o600); err != nil {
		return err
	}
	out, err := exec.Command(filepath.Join(bins, "floppyconf"), "--make", image, "-i", iniPath).CombinedOutput()
	if err != nil {
		return fmt.Errorf("floppyconf --make: %w: %s", err, out)
	}
	return nil
}

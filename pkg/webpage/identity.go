package webpage

import (
	"errors"
	"io/fs"

	"github.com/luoyun/osmanager/pkg/idrecord"
)

// VarHostKeys is the SSH host keys' fingerprints, as `ssh-keygen -l`
// shows them ("256 SHA256:... (ED25519), 3072 SHA256:... (RSA)"), from
// the identity record beside luoyun.conf; "unknown" without one.
const VarHostKeys = "hostkeys"

// hostKeys returns $hostkeys for the luoyun.conf at conf.
func (v *varSource) hostKeys(conf string) string {
	if conf == "" {
		return "unknown"
	}
	rec, err := idrecord.Read(idrecord.Path(conf))
	if errors.Is(err, fs.ErrNotExist) {
		v.report("identity record", nil) // osc has not run: not a fault
	} else {
		v.report("identity record", err)
	}
	switch {
	case err != nil:
		return "unknown"
	case len(rec.HostKeys) == 0:
		return "none"
	}
	return idrecord.Fingerprints(rec.HostKeys)
}

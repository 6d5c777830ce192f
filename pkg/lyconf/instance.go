package lyconf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Instance is the JSON object of luoyun.conf, built by the cloud's web
// front end. Every field is optional.
type Instance struct {
	Cookie      string    `json:"cookie"`
	WebSSH      *WebSSH   `json:"webssh"`
	Network     []NIC     `json:"network"`
	Nameservers *string   `json:"nameservers"`
	Domain      *Domain   `json:"domain"`
	PasswdHash  *string   `json:"passwd_hash"`
	PublicKey   *string   `json:"public_key"`
	Storage     []Storage `json:"storage"`
}

// WebSSH configures the web terminal.
type WebSSH struct {
	Status string  `json:"status"` // "enable" or "disable"
	Port   FlexInt `json:"port"`   // 0 when absent
}

// Disabled reports whether the web shell is switched off.
func (w *WebSSH) Disabled() bool { return w != nil && strings.EqualFold(w.Status, "disable") }

// NIC is one network interface's settings. An entry with only MAC and Type
// means "no static address".
type NIC struct {
	IP          string `json:"ip"`
	MAC         string `json:"mac"`
	Type        string `json:"type"`
	Netmask     string `json:"netmask"`
	Gateway     string `json:"gateway"`
	Nameservers string `json:"nameservers"`
}

// Domain is the instance's public name.
type Domain struct {
	IP   string `json:"ip"`
	Name string `json:"name"`
}

// Storage describes an attached disk (not used by the OS manager).
type Storage struct {
	Type string  `json:"type"`
	Size FlexInt `json:"size"`
}

// NameserverList returns the whitespace-separated entries of Nameservers.
func (in *Instance) NameserverList() []string {
	if in.Nameservers == nil {
		return nil
	}
	return strings.Fields(*in.Nameservers)
}

// DecodeInstance decodes the JSON object. Empty input is an empty Instance.
// A value of the wrong type is an error naming its key.
func DecodeInstance(data []byte) (*Instance, error) {
	in := &Instance{}
	if len(bytes.TrimSpace(data)) == 0 {
		return in, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				field = "(top level)"
			}
			return nil, fmt.Errorf("JSON key %q: expected %s, got %s", field, te.Type, te.Value)
		}
		return nil, fmt.Errorf("JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("JSON: trailing data after the object")
	}
	return in, nil
}

// FlexInt is an integer that the front end may have written as a JSON
// number or as a string of digits.
type FlexInt int64

// UnmarshalJSON accepts 8001, "8001", "" and null.
func (f *FlexInt) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		s = strings.TrimSpace(str)
		if s == "" {
			*f = 0
			return nil
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return &json.UnmarshalTypeError{Value: "non-integer " + truncate(s), Type: reflect.TypeOf(int64(0))}
	}
	*f = FlexInt(n)
	return nil
}

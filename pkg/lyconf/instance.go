package lyconf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// A value of the wrong type is an error naming its key and the types in
// plain words; no value is quoted (the line may hold the KEY).
func DecodeInstance(data []byte) (*Instance, error) {
	in := &Instance{}
	if len(bytes.TrimSpace(data)) == 0 {
		return in, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(in); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			if te.Field == "" {
				return nil, fmt.Errorf("expected an object, got %s", article(te.Value))
			}
			return nil, fmt.Errorf("%s: expected %s, got %s", te.Field, kindOf(te.Type), article(te.Value))
		case errors.As(err, &se):
			return nil, fmt.Errorf("not valid JSON at character %d", se.Offset)
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return nil, errors.New("not valid JSON: it ends too early")
		}
		return nil, errors.New("not valid JSON")
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value (trailing data after the object)")
	}
	return in, nil
}

// kindOf names a Go type in the JSON's words.
func kindOf(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another type"
}

// article puts "a"/"an" before the JSON type name that encoding/json
// reports ("string", "number", "object", "array", "bool").
func article(v string) string {
	switch v {
	case "array":
		return "a list"
	case "object":
		return "an object"
	case "bool":
		return "true or false"
	case "":
		return "another type"
	}
	if strings.HasPrefix(v, "number ") { // "number 1.5"
		return "a number that is not whole"
	}
	return "a " + v
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
	got := "number"
	if strings.HasPrefix(s, `"`) {
		got = "string"
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
		return &json.UnmarshalTypeError{Value: got, Type: reflect.TypeOf(int64(0))}
	}
	*f = FlexInt(n)
	return nil
}

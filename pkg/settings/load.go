package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/luoyun/osmanager/pkg/suggest"
)

// DefaultPath is where appliance builders keep the tunables.
const DefaultPath = "/LuoYun/custom/osmanager.toml"

// Problem is one mistake in the settings file: an unknown section or key,
// or a value of the wrong type or out of range. The default stands in for
// the value.
type Problem struct {
	File    string // the file as named to Load
	Line    int    // 1-based; 0 when unknown
	Section string // "" for a key outside any section
	Key     string // "" for a whole section
	Msg     string // what is wrong, with the closest known name if any
	Default string // the value used instead; "" when there is none
}

func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, " line %d", p.Line)
	}
	b.WriteString(": ")
	switch {
	case p.Section != "" && p.Key != "":
		fmt.Fprintf(&b, "[%s] %s: ", p.Section, p.Key)
	case p.Section != "":
		fmt.Fprintf(&b, "[%s]: ", p.Section)
	case p.Key != "":
		fmt.Fprintf(&b, "%s: ", p.Key)
	}
	b.WriteString(p.Msg)
	return b.String()
}

// SyntaxError is a file that is not TOML at all: nothing of it is used.
type SyntaxError struct {
	File string
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: not valid TOML: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: not valid TOML: %s", e.File, e.Msg)
}

// Load reads the file at path over the defaults. A missing file is not an
// error when missingOK is true (the default path); a file named on the
// command line must exist. The error is for a file that cannot be read or
// is not TOML (a *SyntaxError); the settings returned with it are the
// defaults. Mistakes in single keys are the problems, in file order.
func Load(path string, missingOK bool) (Settings, []*Problem, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if missingOK && errors.Is(err, fs.ErrNotExist) {
			return Defaults(), nil, nil
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return Defaults(), nil, fmt.Errorf("cannot read the settings file %s: %w", path, err)
	}
	return Decode(path, string(data))
}

// Decode reads TOML text over the defaults, as Load does; name is the
// file's name for the problems.
func Decode(name, text string) (Settings, []*Problem, error) {
	s := Defaults()
	var raw map[string]toml.Primitive
	md, err := toml.Decode(text, &raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			line := pe.Position.Line
			if st := pe.Position.Start; st > 0 && st <= len(text) {
				// A bad end of line is reported on the next one.
				line = 1 + strings.Count(text[:st], "\n")
			}
			return Defaults(), nil, &SyntaxError{File: name, Line: line, Msg: pe.Message}
		}
		return Defaults(), nil, &SyntaxError{File: name, Msg: err.Error()}
	}
	d := decoder{name: name, md: md, lines: keyLines(text), s: &s}
	for _, k := range md.Keys() {
		if len(k) == 1 {
			d.section(k[0], raw[k[0]])
		}
	}
	d.pairs()
	return s, d.problems, nil
}

// Tuning reports whether section only tunes how a component runs (its
// memory), never what it does: a mistake there must not stop a component
// that uses it. The component warns and the default stands in
// (cli.Command.Settings).
func Tuning(section string) bool { return section == SectionMemory }

// Split sorts problems for a component that uses the sections use: its
// own (a component refuses to start with them, or warns and uses the
// defaults) and the others, which are not its business.
func Split(problems []*Problem, use ...string) (own, others []*Problem) {
	for _, p := range problems {
		mine := false
		for _, u := range use {
			mine = mine || p.Section == u
		}
		if mine {
			own = append(own, p)
		} else {
			others = append(others, p)
		}
	}
	return own, others
}

// decoder reads the file key by key.
type decoder struct {
	name     string
	md       toml.MetaData
	lines    map[string]int
	s        *Settings
	problems []*Problem
}

func (d *decoder) add(sec, key, msg, def string) {
	line := d.lines[sec+"."+key]
	if key == "" {
		line = d.lines[sec]
	}
	d.problems = append(d.problems, &Problem{File: d.name, Line: line, Section: sec, Key: key, Msg: msg, Default: def})
}

// section reads one top-level name: a known section's keys one by one.
func (d *decoder) section(name string, prim toml.Primitive) {
	sv, ok := sectionField(d.s, name)
	if !ok {
		if d.md.Type(name) != "Hash" {
			d.add("", name, hint("unknown key outside any section", name, sectionNames()), "")
			return
		}
		d.add(name, "", hint("unknown section", name, sectionNames()), "")
		return
	}
	if d.md.Type(name) != "Hash" {
		d.add("", name, fmt.Sprintf("must be a section, written [%s]", name), "")
		return
	}
	var keys map[string]toml.Primitive
	if err := d.md.PrimitiveDecode(prim, &keys); err != nil {
		d.add(name, "", "must be a section of keys", "")
		return
	}
	for _, k := range d.md.Keys() {
		if len(k) == 2 && k[0] == name {
			d.key(name, k[1], keys[k[1]], sv.Type())
		}
	}
}

// key reads one key into a copy of the settings and keeps the copy only
// when the value has the right type and passes its check.
func (d *decoder) key(sec, key string, prim toml.Primitive, st reflect.Type) {
	idx, ok := fieldIndex(st, key)
	if !ok {
		d.add(sec, key, hint("unknown key", key, tagsOf(st)), "")
		return
	}
	trial := *d.s
	sv, _ := sectionField(&trial, sec)
	f := sv.Field(idx)
	def := f.Interface()
	f.Set(reflect.Zero(f.Type()))
	if err := d.md.PrimitiveDecode(prim, f.Addr().Interface()); err != nil {
		d.add(sec, key, typeMsg(f.Type(), d.md.Type(sec, key), err), show(def))
		return
	}
	if chk := checks[sec+"."+key]; chk != nil {
		if err := chk(&trial); err != nil {
			d.add(sec, key, err.Error(), show(def))
			return
		}
	}
	*d.s = trial
	if sec == SectionMemory && key == "trim" {
		d.s.Memory.TrimSet = true
	}
}

// pairs runs the checks of keys that go together; a failure resets both.
func (d *decoder) pairs() {
	def := Defaults()
	for _, pc := range pairChecks {
		err := pc.check(d.s)
		if err == nil {
			continue
		}
		// Blame the one of the two the file set last.
		key := pc.keys[1]
		if a, b := d.lines[pc.section+"."+pc.keys[0]], d.lines[pc.section+"."+pc.keys[1]]; a > b {
			key = pc.keys[0]
		}
		d.add(pc.section, key, err.Error()+"; both take their defaults", "")
		sv, _ := sectionField(d.s, pc.section)
		dv, _ := sectionField(&def, pc.section)
		for _, k := range pc.keys {
			i, _ := fieldIndex(sv.Type(), k)
			sv.Field(i).Set(dv.Field(i))
		}
	}
}

// typeMsg says in words what type a key wants.
func typeMsg(t reflect.Type, got string, err error) string {
	if t == reflect.TypeOf(Duration(0)) {
		var pe toml.ParseError
		if got == "String" && errors.As(err, &pe) {
			return pe.Message
		}
		return `must be a duration in quotes, such as "5s" or "1m30s"`
	}
	want := "another type"
	switch t.Kind() {
	case reflect.Int:
		want = "a whole number"
		if got == "Integer" {
			return "is too large"
		}
	case reflect.String:
		want = "a string in quotes"
	case reflect.Slice:
		want = `a list of strings, such as ["a", "b"]`
	case reflect.Bool:
		want = "true or false"
	}
	if got == "" {
		return "must be " + want
	}
	return fmt.Sprintf("must be %s, got %s", want, tomlType(got))
}

func tomlType(t string) string {
	switch t {
	case "Integer":
		return "a whole number"
	case "Float":
		return "a number with a fraction"
	case "String":
		return "a string"
	case "Bool":
		return "true/false"
	case "Array":
		return "a list"
	case "Hash", "ArrayHash":
		return "a table"
	}
	return strings.ToLower(t)
}

// show formats a default for "using the default ...".
func show(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case []string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprint(v)
}

func hint(msg, name string, known []string) string {
	if k := suggest.Closest(name, known); k != "" {
		return msg + "; did you mean " + k + "?"
	}
	return msg
}

// sectionField returns the struct of the named section.
func sectionField(s *Settings, name string) (reflect.Value, bool) {
	v := reflect.ValueOf(s).Elem()
	i, ok := fieldIndex(v.Type(), name)
	if !ok {
		return reflect.Value{}, false
	}
	return v.Field(i), true
}

func fieldIndex(t reflect.Type, tag string) (int, bool) {
	for i := 0; i < t.NumField(); i++ {
		if tag != "-" && t.Field(i).Tag.Get("toml") == tag {
			return i, true
		}
	}
	return 0, false
}

func tagsOf(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if tag := t.Field(i).Tag.Get("toml"); tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}

func sectionNames() []string { return tagsOf(reflect.TypeOf(Settings{})) }

// Keys returns every "section.key" the file may hold, in the file's order.
func Keys() []string {
	var out []string
	st := reflect.TypeOf(Settings{})
	for i := 0; i < st.NumField(); i++ {
		sec := st.Field(i).Tag.Get("toml")
		for _, k := range tagsOf(st.Field(i).Type) {
			out = append(out, sec+"."+k)
		}
	}
	return out
}

// keyLines maps "section.key" (".key" outside any section) and
// "section" to the line they are first written on. It reads the simple
// shape of the file, [section] headers and key = value lines; a key it
// cannot place has no line.
func keyLines(text string) map[string]int {
	lines := map[string]int{}
	sec := ""
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
			continue
		case strings.HasPrefix(l, "["):
			name := strings.Trim(strings.TrimSpace(strings.SplitN(l, "#", 2)[0]), "[] \t")
			sec = strings.Trim(name, `"'`)
			if _, ok := lines[sec]; !ok {
				lines[sec] = i + 1
			}
		default:
			k, _, ok := strings.Cut(l, "=")
			if !ok {
				continue
			}
			k = strings.Trim(strings.TrimSpace(k), `"'`)
			if _, seen := lines[sec+"."+k]; !seen {
				lines[sec+"."+k] = i + 1
			}
		}
	}
	return lines
}

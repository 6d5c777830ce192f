// Package osmanager holds the files of the /LuoYun tree that the binaries
// carry with them.
package osmanager

import _ "embed"

// Settings is custom/osmanager.toml as shipped: every key commented out
// at its default. install writes it into a tree that has none.
//
//go:embed custom/osmanager.toml
var Settings []byte

// Package integration holds the tests of the OS manager as a whole: the
// shipped shell scripts (osmanager.sh, install.sh, uninstall.sh,
// custom/scripts/status), the init files, and the end-to-end run of the
// five binaries in a sandbox against the controller simulator. It has no
// code of its own; everything is in its _test.go files.
package integration

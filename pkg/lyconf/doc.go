// Package lyconf parses the instance configuration that the cloud hands an
// instance: the KEY=VALUE file luoyun.conf (a copy of the floppy's
// luoyun.ini) and the one-line JSON object it carries under the JSON key.
//
// The shared secret (KEY) is held in a Secret, which never prints itself:
// not through fmt, not through JSON, not in errors.
package lyconf

package clcproto

import (
	"bytes"
	"crypto/rand"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// BlockSize is the size of a challenge block in AuthInfo.
const BlockSize = 40

// AuthInfoSize is the wire size of AuthInfo: int32 tag and the block.
const AuthInfoSize = 4 + BlockSize

// Block is a 40-byte challenge: a UUID string NUL-padded, in clear or
// RC4-encrypted.
type Block [BlockSize]byte

// AuthInfo is the data of OSM_AUTH_REQUEST and OSM_AUTH_REPLY.
type AuthInfo struct {
	Tag   int32
	Block Block
}

// AppendMarshal appends a's wire form to b.
func (a AuthInfo) AppendMarshal(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(a.Tag))
	return append(b, a.Block[:]...)
}

// ParseAuthInfo decodes AuthInfo; the data must be exactly 44 bytes.
func ParseAuthInfo(data []byte) (AuthInfo, error) {
	var a AuthInfo
	if len(data) != AuthInfoSize {
		return a, fmt.Errorf("auth info: %d bytes, want %d", len(data), AuthInfoSize)
	}
	a.Tag = int32(binary.LittleEndian.Uint32(data))
	copy(a.Block[:], data[4:])
	return a, nil
}

// Key limits: the controller's libgcrypt refuses RC4 keys under 5 bytes,
// and RC4 takes at most 256.
const (
	MinKeyLen = 5
	MaxKeyLen = 256
)

// ErrBadKey is returned for a KEY the controller could never accept.
var ErrBadKey = errors.New("KEY must be 5 to 256 bytes long")

// CheckKey reports, as an error, whether key is unusable as the RC4 key.
// It never includes the key in the message.
func CheckKey(key []byte) error {
	if len(key) < MinKeyLen || len(key) > MaxKeyLen {
		return fmt.Errorf("%w (it is %d bytes)", ErrBadKey, len(key))
	}
	return nil
}

// Crypt RC4-encrypts (or decrypts: RC4 is symmetric) one block with a
// fresh cipher keyed with key, as the controller does for every block.
func Crypt(key []byte, in Block) (Block, error) {
	var out Block
	if err := CheckKey(key); err != nil {
		return out, err
	}
	c, err := rc4.NewCipher(key)
	if err != nil {
		return out, fmt.Errorf("rc4: %w", err)
	}
	c.XORKeyStream(out[:], in[:])
	return out, nil
}

// NewChallenge returns a random version-4 UUID string, NUL-padded to a
// block, reading randomness from r (crypto/rand when nil).
func NewChallenge(r io.Reader) (Block, error) {
	if r == nil {
		r = rand.Reader
	}
	var u [16]byte
	if _, err := io.ReadFull(r, u[:]); err != nil {
		return Block{}, fmt.Errorf("challenge: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return BlockString(fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])), nil
}

// BlockString returns s NUL-padded (or cut) to a block.
func BlockString(s string) Block {
	var b Block
	copy(b[:], s)
	return b
}

// CString returns the block's bytes up to the first NUL, as C reads it.
func (b Block) CString() []byte {
	if i := bytes.IndexByte(b[:], 0); i >= 0 {
		return b[:i]
	}
	return b[:]
}

// Matches reports whether answer holds the same non-empty C string as
// challenge, ignoring ASCII case: the controller's comparison.
func (b Block) Matches(answer Block) bool {
	want := b.CString()
	return len(want) > 0 && bytes.EqualFold(want, answer.CString())
}

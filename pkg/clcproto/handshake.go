package clcproto

import (
	"errors"
	"fmt"
	"io"
)

// Handshake errors.
var (
	// ErrImpostor means the controller could not decrypt the OSM's
	// challenge: it does not know KEY.
	ErrImpostor = errors.New("controller failed the challenge (wrong KEY or impostor)")
	// ErrAuthFailed means the OSM's answer to the controller's challenge
	// was wrong.
	ErrAuthFailed = errors.New("instance failed the challenge (wrong KEY)")
	// ErrUnexpected means a packet of another type than the step expects.
	ErrUnexpected = errors.New("unexpected packet")
)

func expect(r io.Reader, want Type) (Packet, error) {
	p, err := ReadPacket(r)
	if err != nil {
		return p, fmt.Errorf("waiting for %s: %w", want, err)
	}
	if p.Type != want {
		return p, fmt.Errorf("%w: got %s, want %s", ErrUnexpected, p.Type, want)
	}
	return p, nil
}

func send(w io.Writer, t Type, data []byte) error {
	return WritePacket(w, Packet{Type: t, Data: data})
}

// Authenticate runs the OSM side of the mutual challenge (steps 1 to 3):
// it sends challenge RC4-encrypted with key, checks that the controller
// answers it in clear for the same tag (ErrImpostor otherwise), then
// encrypts the controller's challenge and sends it back. Deadlines are
// the caller's business.
func Authenticate(rw io.ReadWriter, key []byte, tag int32, challenge Block) error {
	enc, err := Crypt(key, challenge)
	if err != nil {
		return err
	}
	if err := send(rw, AuthRequest, AuthInfo{Tag: tag, Block: enc}.AppendMarshal(nil)); err != nil {
		return err
	}
	p, err := expect(rw, AuthReply)
	if err != nil {
		return err
	}
	ans, err := ParseAuthInfo(p.Data)
	if err != nil {
		return err
	}
	if ans.Tag != tag || !challenge.Matches(ans.Block) {
		return ErrImpostor
	}
	p, err = expect(rw, AuthRequest)
	if err != nil {
		return err
	}
	theirs, err := ParseAuthInfo(p.Data)
	if err != nil {
		return err
	}
	enc, err = Crypt(key, theirs.Block)
	if err != nil {
		return err
	}
	return send(rw, AuthReply, AuthInfo{Tag: tag, Block: enc}.AppendMarshal(nil))
}

// RegisterWith sends OSM_REGISTER_REQUEST and returns the controller's
// result (RegisterOK or RegisterFailed, or whatever it sent).
func RegisterWith(rw io.ReadWriter, r Register) (int32, error) {
	if err := send(rw, RegisterRequest, r.AppendMarshal(nil)); err != nil {
		return 0, err
	}
	p, err := expect(rw, RegisterReply)
	if err != nil {
		return 0, err
	}
	return ParseInt32(p.Data)
}

// KeyFunc returns the KEY of the instance with the given tag, or an error
// when the tag is not accepted.
type KeyFunc func(tag int32) ([]byte, error)

// AcceptAuth runs the controller side of the mutual challenge: it answers
// the instance's encrypted challenge in clear, sends its own challenge and
// checks the encrypted answer (ErrAuthFailed when wrong). It returns the
// instance's tag as soon as it is known, also with an error.
func AcceptAuth(rw io.ReadWriter, keyFor KeyFunc, challenge Block) (int32, error) {
	p, err := expect(rw, AuthRequest)
	if err != nil {
		return 0, err
	}
	req, err := ParseAuthInfo(p.Data)
	if err != nil {
		return 0, err
	}
	key, err := keyFor(req.Tag)
	if err != nil {
		return req.Tag, err
	}
	plain, err := Crypt(key, req.Block)
	if err != nil {
		return req.Tag, err
	}
	if err := send(rw, AuthReply, AuthInfo{Tag: req.Tag, Block: plain}.AppendMarshal(nil)); err != nil {
		return req.Tag, err
	}
	if err := send(rw, AuthRequest, AuthInfo{Tag: req.Tag, Block: challenge}.AppendMarshal(nil)); err != nil {
		return req.Tag, err
	}
	p, err = expect(rw, AuthReply)
	if err != nil {
		return req.Tag, err
	}
	ans, err := ParseAuthInfo(p.Data)
	if err != nil {
		return req.Tag, err
	}
	dec, err := Crypt(key, ans.Block)
	if err != nil {
		return req.Tag, err
	}
	if !challenge.Matches(dec) {
		return req.Tag, ErrAuthFailed
	}
	return req.Tag, nil
}

// AcceptRegister reads OSM_REGISTER_REQUEST and answers it with result.
func AcceptRegister(rw io.ReadWriter, result int32) (Register, error) {
	p, err := expect(rw, RegisterRequest)
	if err != nil {
		return Register{}, err
	}
	r, err := ParseRegister(p.Data)
	if err != nil {
		return r, err
	}
	return r, send(rw, RegisterReply, AppendInt32(nil, result))
}

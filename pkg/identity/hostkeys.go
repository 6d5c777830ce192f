package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

	"golang.org/x/crypto/ssh"

	"github.com/luoyun/osmanager/pkg/atomicfile"
	"github.com/luoyun/osmanager/pkg/idrecord"
)

// SSHDir is where the host keys are, relative to the root.
const SSHDir = "etc/ssh"

// RSABits is the size of a new RSA host key (ssh-keygen's default).
const RSABits = 3072

// KeyTypes are the host key types regenerated, in order, as ssh-keygen
// names them in the file names.
var KeyTypes = []string{"ed25519", "ecdsa", "rsa"}

// keyFile is the private key's path of a type, relative to the root.
func keyFile(typ string) string { return path.Join(SSHDir, "ssh_host_"+typ+"_key") }

// PresentKeys returns the key types whose private key file exists in the
// tree, in KeyTypes' order; none when there is no etc/ssh.
func PresentKeys(root *atomicfile.Root) ([]string, error) {
	var out []string
	for _, t := range KeyTypes {
		res, err := root.Resolve(keyFile(t))
		if err != nil {
			return nil, err
		}
		_, err = root.OS().Lstat(res)
		switch {
		case err == nil:
			out = append(out, t)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%s: %w", root.Path(keyFile(t)), err)
		}
	}
	return out, nil
}

// NewHostKey makes a key of typ (ed25519, ecdsa on curve, rsa at
// RSABits) and returns the private key file's content (OpenSSH format,
// as ssh-keygen writes it) and the public key's line, both with comment.
func NewHostKey(typ string, curve elliptic.Curve, comment string) (private, public []byte, err error) {
	var key crypto.Signer
	switch typ {
	case "ed25519":
		_, k, e := ed25519.GenerateKey(rand.Reader)
		key, err = k, e
	case "ecdsa":
		if curve == nil {
			curve = elliptic.P256()
		}
		key, err = ecdsa.GenerateKey(curve, rand.Reader)
	case "rsa":
		key, err = rsa.GenerateKey(rand.Reader, RSABits)
	default:
		return nil, nil, fmt.Errorf("unknown host key type %q", typ)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("generate %s key: %w", typ, err)
	}
	block, err := ssh.MarshalPrivateKey(key, comment)
	if err != nil {
		return nil, nil, fmt.Errorf("encode %s key: %w", typ, err)
	}
	pub, err := ssh.NewPublicKey(key.Public())
	if err != nil {
		return nil, nil, fmt.Errorf("encode %s key: %w", typ, err)
	}
	return pem.EncodeToMemory(block), authorizedLine(pub, comment), nil
}

func authorizedLine(pub ssh.PublicKey, comment string) []byte {
	line := ssh.MarshalAuthorizedKey(pub)
	if comment == "" {
		return line
	}
	return append(line[:len(line)-1], []byte(" "+comment+"\n")...)
}

// oldCurve returns the curve of the tree's ECDSA public key, so that a
// new key keeps its size; nil (P-256) when it cannot be read.
func oldCurve(root *atomicfile.Root) elliptic.Curve {
	b, err := root.ReadFile(keyFile("ecdsa") + ".pub")
	if err != nil {
		return nil
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return nil
	}
	switch pub.Type() {
	case ssh.KeyAlgoECDSA384:
		return elliptic.P384()
	case ssh.KeyAlgoECDSA521:
		return elliptic.P521()
	}
	return nil
}

// RegenerateHostKeys replaces every host key present in the tree with a
// new one of its type: the private key 0600, the public key 0644, each
// written atomically (new files owned by root when run as root). It
// returns the new keys, in KeyTypes' order, written or not: on an error,
// the keys before it are in place.
func RegenerateHostKeys(root *atomicfile.Root, comment string) ([]idrecord.HostKey, error) {
	types, err := PresentKeys(root)
	if err != nil {
		return nil, err
	}
	curve := oldCurve(root)
	var keys []idrecord.HostKey
	for _, t := range types {
		priv, pub, err := NewHostKey(t, curve, comment)
		if err != nil {
			return keys, err
		}
		own := os.Geteuid() == 0
		if _, err := root.Write(keyFile(t), priv, atomicfile.Options{Mode: 0o600, ForceMode: true, SetOwner: own}); err != nil {
			return keys, err
		}
		if _, err := root.Write(keyFile(t)+".pub", pub, atomicfile.Options{Mode: 0o644, ForceMode: true, SetOwner: own}); err != nil {
			return keys, err
		}
		k, err := hostKeyOf(pub, "/"+keyFile(t)+".pub")
		if err != nil {
			return keys, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// CurrentHostKeys returns the public keys of the host keys present in
// the tree. A public key that cannot be read is the error.
func CurrentHostKeys(root *atomicfile.Root) ([]idrecord.HostKey, error) {
	types, err := PresentKeys(root)
	if err != nil {
		return nil, err
	}
	var keys []idrecord.HostKey
	for _, t := range types {
		b, err := root.ReadFile(keyFile(t) + ".pub")
		if err != nil {
			return keys, err
		}
		k, err := hostKeyOf(b, "/"+keyFile(t)+".pub")
		if err != nil {
			return keys, fmt.Errorf("%s: %w", root.Path(keyFile(t)+".pub"), err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// hostKeyOf reads a public key line.
func hostKeyOf(line []byte, file string) (idrecord.HostKey, error) {
	pub, _, _, _, err := ssh.ParseAuthorizedKey(line)
	if err != nil {
		return idrecord.HostKey{}, fmt.Errorf("not an ssh public key: %w", err)
	}
	k := idrecord.HostKey{Fingerprint: ssh.FingerprintSHA256(pub), File: file}
	cp, ok := pub.(ssh.CryptoPublicKey)
	if !ok {
		return idrecord.HostKey{}, fmt.Errorf("unsupported key type %s", pub.Type())
	}
	switch p := cp.CryptoPublicKey().(type) {
	case ed25519.PublicKey:
		k.Type, k.Bits = "ED25519", 256
	case *ecdsa.PublicKey:
		k.Type, k.Bits = "ECDSA", p.Curve.Params().BitSize
	case *rsa.PublicKey:
		k.Type, k.Bits = "RSA", p.N.BitLen()
	default:
		return idrecord.HostKey{}, fmt.Errorf("unsupported key type %s", pub.Type())
	}
	return k, nil
}

package filexfer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// The side channel of downloads: `webssh get` opens the file itself (with
// its own rights), connects to the server's Unix socket and sends one
// line of JSON, Request, with the open file attached (SCM_RIGHTS). The
// server answers with lines of JSON, Reply: first the token the page
// fetches the file with (or an error), then, once the browser has it, the
// bytes sent (or an error). The server reads the file from the
// descriptor; it never opens a path for the user.

// Request is what `webssh get` sends with the file.
type Request struct {
	// Name is the file's name as the browser should save it.
	Name string `json:"name"`
}

// Reply is one answer of the server.
type Reply struct {
	Token string `json:"token,omitempty"`
	Size  int64  `json:"size,omitempty"`
	Done  bool   `json:"done,omitempty"`
	Sent  int64  `json:"sent,omitempty"`
	Error string `json:"error,omitempty"`
}

// maxRequest bounds the request line.
const maxRequest = 4096

// Send sends req with f attached on c.
func Send(c *net.UnixConn, req Request, f *os.File) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if len(b) > maxRequest {
		return errors.New("file name too long")
	}
	_, _, err = c.WriteMsgUnix(b, unix.UnixRights(int(f.Fd())), nil)
	return err
}

// Receive reads a request and its file from c, and the peer's
// credentials (pid, uid, gid at connect time). The file is nil on error.
func Receive(c *net.UnixConn) (Request, *os.File, unix.Ucred, error) {
	var req Request
	cred, err := PeerCred(c)
	if err != nil {
		return req, nil, cred, err
	}
	buf := make([]byte, maxRequest)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return req, nil, cred, fmt.Errorf("reading the request: %w", err)
	}
	var f *os.File
	if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
		for _, m := range msgs {
			fds, err := unix.ParseUnixRights(&m)
			if err != nil {
				continue
			}
			for _, fd := range fds {
				if f == nil {
					f = os.NewFile(uintptr(fd), "download")
				} else {
					unix.Close(fd)
				}
			}
		}
	}
	if f == nil {
		return req, nil, cred, errors.New("no file in the request")
	}
	line := buf[:n]
	if len(line) == 0 || line[len(line)-1] != '\n' {
		f.Close()
		return req, nil, cred, errors.New("request not one line")
	}
	if err := json.Unmarshal(line, &req); err != nil {
		f.Close()
		return req, nil, cred, fmt.Errorf("request: %w", err)
	}
	return req, f, cred, nil
}

// PeerCred returns the credentials of c's peer.
func PeerCred(c *net.UnixConn) (unix.Ucred, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return unix.Ucred{}, err
	}
	var cred *unix.Ucred
	var credErr error
	if err := rc.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return unix.Ucred{}, err
	}
	if credErr != nil {
		return unix.Ucred{}, fmt.Errorf("peer credentials: %w", credErr)
	}
	return *cred, nil
}

// WriteReply writes one reply line.
func WriteReply(c net.Conn, r Reply) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = c.Write(append(b, '\n'))
	return err
}

// ReadReply reads one reply line; a reply carrying an error is returned
// as the error.
func ReadReply(r *bufio.Reader) (Reply, error) {
	var rep Reply
	line, err := r.ReadBytes('\n')
	if err != nil {
		return rep, fmt.Errorf("the web terminal did not answer: %w", err)
	}
	if err := json.Unmarshal(line, &rep); err != nil {
		return rep, fmt.Errorf("the web terminal's answer: %w", err)
	}
	if rep.Error != "" {
		return rep, errors.New(rep.Error)
	}
	return rep, nil
}

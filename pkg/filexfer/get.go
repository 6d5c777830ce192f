package filexfer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
)

// OSC is the escape sequence number the page listens to: the server
// announces a session's id with OSC 5379 ; session=ID ; max=BYTES BEL,
// `webssh get` a download with OSC 5379 ; get=TOKEN BEL.
const OSC = 5379

// GetVerb is the webssh verb that hands files to the browser.
const GetVerb = "get"

// SocketEnv names the server's socket for `webssh get` when set (tests).
const SocketEnv = "WEBSSH_SOCKET"

// Get hands each file to the browser of the web terminal it runs in, one
// after the other: it opens the file with its own rights (only a regular
// file), passes it to the server on socket, writes the server's token to
// tty as OSC 5379 for the page, and waits until the browser has the
// file. msg gets one line per file. It returns the first error after
// trying every file.
func Get(socket string, files []string, tty, msg io.Writer) error {
	var first error
	for _, path := range files {
		n, err := getOne(socket, path, tty, msg)
		if err != nil {
			fmt.Fprintf(msg, "webssh get: %s: %v\n", path, err)
			if first == nil {
				first = fmt.Errorf("%s: %w", path, err)
			}
			continue
		}
		fmt.Fprintf(msg, "%s: %s sent to the browser\n", path, Size(n))
	}
	return first
}

func getOne(socket, path string, tty, msg io.Writer) (int64, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, errors.New("not a regular file")
	}
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: socket, Net: "unix"})
	if err != nil {
		return 0, fmt.Errorf("no web terminal to send it to (%w)", err)
	}
	defer c.Close()
	// Only the server, running as root, gets the file: a socket of the
	// same name set up by someone else gets nothing.
	if cred, err := PeerCred(c); err != nil || cred.Uid != 0 {
		return 0, fmt.Errorf("%s is not the web terminal's socket", socket)
	}
	if err := Send(c, Request{Name: filepath.Base(path)}, f); err != nil {
		return 0, fmt.Errorf("sending to the web terminal: %w", err)
	}
	r := bufio.NewReader(c)
	rep, err := ReadReply(r)
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(tty, "\x1b]%d;get=%s\x07", OSC, rep.Token)
	fmt.Fprintf(msg, "%s: %s, waiting for the browser\n", path, Size(rep.Size))
	rep, err = ReadReply(r)
	if err != nil {
		return 0, err
	}
	return rep.Sent, nil
}

// Size formats a byte count for people: "812 B", "10.0 MB" (10^6).
func Size(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}

package websshcmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/luoyun/osmanager/pkg/cli"
	"github.com/luoyun/osmanager/pkg/filexfer"
	"github.com/luoyun/osmanager/pkg/logging"
	"github.com/luoyun/osmanager/pkg/settings"
	"github.com/luoyun/osmanager/pkg/webssh"
)

const aboutGet = `Hand files to the browser of the web terminal this runs in: each FILE
(a regular file you can read) is downloaded by the page, with a
progress bar. At most [webssh] upload_max_mb each.`

// errGetFailed: runGet has said which file failed and why.
var errGetFailed = errors.New("webssh get failed")

// runGet is `webssh get FILE...`, run by a user in a web terminal.
func runGet(args []string, stdout, stderr io.Writer) error {
	c := cli.New("webssh get", "FILE...", aboutGet)
	sock := c.Flags.String("socket", "", "the web terminal's socket (default: $"+filexfer.SocketEnv+", else run/webssh.sock beside bin/)")
	if done, err := c.Parse(args, stdout); done || err != nil {
		return err
	}
	files := c.Flags.Args()
	if len(files) == 0 {
		return c.Usagef("name at least one file")
	}
	path := *sock
	if path == "" {
		path = os.Getenv(filexfer.SocketEnv)
	}
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("own path: %w", err)
		}
		path = defaultSocket(exe)
	}
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("not in a terminal: %w", err)
	}
	defer tty.Close()
	if err := filexfer.Get(path, files, tty, stderr); err != nil {
		return errGetFailed
	}
	return nil
}

// defaultSocket is where webssh listens for `webssh get`: run/webssh.sock
// in the tree its binary exe is in (/LuoYun/run/webssh.sock for
// /LuoYun/bin/webssh).
func defaultSocket(exe string) string {
	return filepath.Join(filepath.Dir(filepath.Dir(exe)), "run", "webssh.sock")
}

// transferConfig is the file transfer of the settings, for command: on
// only when command is a login (the login front, or a program named
// login), since uploads are written as the user who logged in.
func transferConfig(set settings.WebSSH, command []string, log *logging.Logger) (webssh.TransferConfig, error) {
	if set.UploadMaxMB == 0 {
		return webssh.TransferConfig{}, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return webssh.TransferConfig{}, fmt.Errorf("own path for file transfer: %w", err)
	}
	front := loginFrontCommand(exe)
	if !slices.Equal(command, front) && filepath.Base(command[0]) != "login" {
		log.Info("file transfer off: the command is not a login")
		return webssh.TransferConfig{}, nil
	}
	return webssh.TransferConfig{
		MaxBytes: int64(set.UploadMaxMB) * 1e6,
		Rate:     int64(set.TransferRateMB) * 1e6,
		Helper:   verbCommand(exe, filexfer.PutVerb),
		Socket:   defaultSocket(exe),
	}, nil
}

// Command echoprobe times keystroke echo round trips against a web
// terminal server from a client on the same machine, without a browser:
// the time from a key leaving the client to the first output that carries
// its echo. It speaks each server's own protocol, and measures both the
// same way:
//
//   - webssh: the websocket of this repository's cmd/webssh (pkg/termproto);
//   - shellinabox: Debian shellinaboxd's HTTP protocol (a long-polling POST
//     receives output, a POST with keys=HEX sends input), as its page does.
//
// The shell must print a "# " or "$ " prompt. Keys are 'x' typed at the
// prompt, with an Enter every 40 keys (untimed; the shell then says
// "xxx…: not found", harmlessly).
//
// Usage:
//
//	echoprobe -kind webssh -url http://127.0.0.1:8001/ [-keys 1000]
//	echoprobe -kind shellinabox -url http://127.0.0.1:4200/ [-keys 1000]
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luoyun/osmanager/pkg/termproto"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "echoprobe: %v\n", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage: echoprobe -kind webssh|shellinabox -url URL [-keys N] [-name NAME]")

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("echoprobe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kind := fs.String("kind", "webssh", "server protocol: webssh or shellinabox")
	u := fs.String("url", "", "page of the web terminal")
	name := fs.String("name", "", "name printed with the figures (default: -kind)")
	keys := fs.Int("keys", 1000, "keystrokes to time")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if *u == "" || fs.NArg() > 0 || *keys < 1 {
		return errUsage
	}
	if *name == "" {
		*name = *kind
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	t, err := dial(ctx, *kind, *u)
	if err != nil {
		return fmt.Errorf("%s: %w", *name, err)
	}
	defer t.close()
	lat, err := measure(t, *keys)
	if err != nil {
		return fmt.Errorf("%s: %w", *name, err)
	}
	report(stdout, *name, lat)
	return nil
}

func dial(ctx context.Context, kind, page string) (term, error) {
	switch kind {
	case "webssh":
		return dialWebssh(ctx, page)
	case "shellinabox":
		return dialShellinabox(ctx, page)
	}
	return nil, fmt.Errorf("%w (unknown -kind %q)", errUsage, kind)
}

// term is one terminal session: send writes keys, recv returns the next
// output, waiting at most until the deadline.
type term interface {
	send(keys string) error
	recv(deadline time.Time) (string, error)
	close()
}

var prompt = regexp.MustCompile(`[#$] $`)

// waitPrompt reads output until it ends with a shell prompt.
func waitPrompt(t term, d time.Duration) error {
	deadline := time.Now().Add(d)
	var seen strings.Builder
	for {
		s, err := t.recv(deadline)
		if err != nil {
			return fmt.Errorf("waiting for a prompt after %q: %w", tail(seen.String()), err)
		}
		seen.WriteString(s)
		if prompt.MatchString(seen.String()) {
			return nil
		}
	}
}

func tail(s string) string {
	if len(s) > 80 {
		return s[len(s)-80:]
	}
	return s
}

func measure(t term, keys int) ([]time.Duration, error) {
	if err := waitPrompt(t, 20*time.Second); err != nil {
		return nil, err
	}
	lat := make([]time.Duration, 0, keys)
	for i := 0; len(lat) < keys; i++ {
		if i%40 == 39 {
			if err := t.send("\r"); err != nil {
				return nil, err
			}
			if err := waitPrompt(t, 10*time.Second); err != nil {
				return nil, err
			}
			continue
		}
		start := time.Now()
		if err := t.send("x"); err != nil {
			return nil, err
		}
		for {
			s, err := t.recv(start.Add(5 * time.Second))
			if err != nil {
				return nil, fmt.Errorf("keystroke %d not echoed: %w", i, err)
			}
			if strings.Contains(s, "x") {
				break
			}
		}
		lat = append(lat, time.Since(start))
	}
	return lat, nil
}

func report(w io.Writer, name string, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p int) float64 {
		i := (len(lat)*p+99)/100 - 1
		return float64(lat[max(i, 0)].Microseconds()) / 1000
	}
	fmt.Fprintf(w, "%-12s echo round trip, client on loopback: p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms (n=%d)\n",
		name, pct(50), pct(99), float64(lat[len(lat)-1].Microseconds())/1000, len(lat))
}

// wsTerm speaks pkg/termproto over the server's websocket.
type wsTerm struct {
	c    *websocket.Conn
	read uint32
}

func dialWebssh(ctx context.Context, page string) (*wsTerm, error) {
	pu, err := url.Parse(page)
	if err != nil {
		return nil, err
	}
	wu := *pu
	wu.Scheme = map[string]string{"https": "wss"}[pu.Scheme]
	if wu.Scheme == "" {
		wu.Scheme = "ws"
	}
	wu.Path = strings.TrimSuffix(pu.Path, "/") + "/ws"
	h := http.Header{"Origin": {pu.Scheme + "://" + pu.Host}}
	c, _, err := websocket.DefaultDialer.DialContext(ctx, wu.String(), h)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", wu.String(), err)
	}
	w := &wsTerm{c: c}
	if err := w.write(termproto.Resize(80, 24)); err != nil {
		c.Close()
		return nil, err
	}
	return w, nil
}

func (w *wsTerm) write(m termproto.Message) error {
	return w.c.WriteMessage(websocket.BinaryMessage, m.AppendMarshal(nil))
}

func (w *wsTerm) send(keys string) error { return w.write(termproto.Input([]byte(keys))) }

func (w *wsTerm) recv(deadline time.Time) (string, error) {
	for {
		_ = w.c.SetReadDeadline(deadline)
		kind, data, err := w.c.ReadMessage()
		if err != nil {
			return "", err
		}
		if kind == websocket.TextMessage {
			return "", fmt.Errorf("session ended: %s", data)
		}
		// Acknowledge what was "drawn", as the page does, so that flow
		// control never stalls the session.
		w.read += uint32(len(data))
		if err := w.write(termproto.Ack(w.read)); err != nil {
			return "", err
		}
		return string(data), nil
	}
}

func (w *wsTerm) close() { w.c.Close() }

// siabTerm speaks shellinaboxd's HTTP protocol: every POST carries the
// terminal size and the session; a POST without keys is a long poll that
// returns {"session", "data"}; a POST with keys=HEX sends input.
type siabTerm struct {
	url     string
	session string
	client  *http.Client
	out     chan string
	errs    chan error
	ctx     context.Context
	cancel  context.CancelFunc
	// inflight reports the end of the last keys request.
	inflight chan error
}

type siabReply struct {
	Session string `json:"session"`
	Data    string `json:"data"`
}

func dialShellinabox(ctx context.Context, page string) (*siabTerm, error) {
	ctx, cancel := context.WithCancel(ctx)
	s := &siabTerm{
		url:    strings.TrimSuffix(page, "?") + "?",
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}},
		out:    make(chan string, 64),
		errs:   make(chan error, 1),
		ctx:    ctx,
		cancel: cancel,
	}
	r, err := s.post(ctx, url.Values{"rooturl": {page}})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("start a session: %w", err)
	}
	var rep siabReply
	if err := json.Unmarshal(r, &rep); err != nil || rep.Session == "" {
		cancel()
		return nil, fmt.Errorf("start a session: unexpected reply %q", tail(string(r)))
	}
	s.session = rep.Session
	if rep.Data != "" {
		s.out <- rep.Data
	}
	go s.poll()
	return s, nil
}

func (s *siabTerm) post(ctx context.Context, v url.Values) ([]byte, error) {
	v.Set("width", "80")
	v.Set("height", "24")
	if s.session != "" {
		v.Set("session", s.session)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(v.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", s.url, resp.Status)
	}
	return b, nil
}

// poll keeps one long-polling request open, as the page does.
func (s *siabTerm) poll() {
	for s.ctx.Err() == nil {
		b, err := s.post(s.ctx, url.Values{})
		if err != nil {
			select {
			case s.errs <- err:
			default:
			}
			return
		}
		var rep siabReply
		if err := json.Unmarshal(b, &rep); err != nil {
			select {
			case s.errs <- fmt.Errorf("poll: unexpected reply %q", tail(string(b))):
			default:
			}
			return
		}
		if rep.Data != "" {
			s.out <- rep.Data
		}
	}
}

// send posts the keys without waiting for the reply, as the page does;
// the echo arrives on the long poll. The next send waits for this reply.
func (s *siabTerm) send(keys string) error {
	if s.inflight != nil {
		if err := <-s.inflight; err != nil {
			return err
		}
	}
	done := make(chan error, 1)
	s.inflight = done
	go func() {
		_, err := s.post(s.ctx, url.Values{"keys": {strings.ToUpper(hex.EncodeToString([]byte(keys)))}})
		done <- err
	}()
	return nil
}

func (s *siabTerm) recv(deadline time.Time) (string, error) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case d := <-s.out:
		return d, nil
	case err := <-s.errs:
		return "", err
	case <-t.C:
		return "", errors.New("timed out")
	}
}

func (s *siabTerm) close() { s.cancel() }

package webssh

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luoyun/osmanager/pkg/termproto"
)

// selfSigned writes a certificate and key for 127.0.0.1 into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "webssh test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestTLS(t *testing.T) {
	certFile, keyFile := selfSigned(t, t.TempDir())
	s := startServer(t, Config{Command: []string{"/bin/cat"}, TLSCert: certFile, TLSKey: keyFile})
	if !strings.HasPrefix(s.URL(), "https://") {
		t.Fatalf("URL = %s, want https", s.URL())
	}
	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(pem)
	tlsConf := &tls.Config{RootCAs: pool}

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}}
	resp, err := hc.Get(s.URL())
	if err != nil {
		t.Fatalf("GET over TLS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET over TLS: %d", resp.StatusCode)
	}
	if resp, err := http.Get("http://" + s.Addr().String() + "/"); err == nil && resp.StatusCode == http.StatusOK {
		t.Fatal("plain HTTP served a page on the TLS port")
	}

	d := websocket.Dialer{TLSClientConfig: tlsConf}
	ws, _, err := d.Dial("wss://"+s.Addr().String()+"/ws", http.Header{"Origin": {s.URL()[:len(s.URL())-1]}})
	if err != nil {
		t.Fatalf("wss dial: %v", err)
	}
	defer ws.Close()
	if err := ws.WriteMessage(websocket.BinaryMessage, termproto.Input([]byte("tls\n")).AppendMarshal(nil)); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for !strings.Contains(out.String(), "tls\r\ntls\r\n") {
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("output %q: %v", out.String(), err)
		}
		out.Write(data)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"ok", Config{Command: []string{"/bin/login"}, MaxSessions: 1}, ""},
		{"no command", Config{MaxSessions: 1}, "no command"},
		{"empty program", Config{Command: []string{""}, MaxSessions: 1}, "no command"},
		{"no sessions", Config{Command: []string{"/bin/login"}}, "max sessions"},
		{"negative idle", Config{Command: []string{"/bin/login"}, MaxSessions: 1, IdleTimeout: -1}, "idle timeout"},
		{"cert without key", Config{Command: []string{"/bin/login"}, MaxSessions: 1, TLSCert: "c"}, "go together"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.want)
		}
	}
}

package enginetest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampartsec/rampart/engine"
	"github.com/rampartsec/rampart/engine/devserver"
	"github.com/rampartsec/rampart/engine/temporalconn"
)

// TestExternalClusterOverMutualTLS reaches a cluster the way an external one is reached:
// through temporalconn with TLS settings, to a frontend that demands a client certificate
// signed by its CA (a TLS-terminating proxy in front of the embedded server). A run started
// through that connection completes; dials without the client certificate, with an untrusted
// CA or the wrong server name are refused.
func TestExternalClusterOverMutualTLS(t *testing.T) {
	pki := newTestPKI(t, "temporal.isac.test")
	srv, err := devserver.Start(devserver.Options{Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	proxy := tlsProxy(t, srv.Address(), pki.serverTLS())

	dial := func(tl *temporalconn.TLS) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := temporalconn.Dial(ctx, temporalconn.Options{Address: proxy, Namespace: devserver.DefaultNamespace, TLS: tl})
		if err == nil {
			c.Close()
		}
		return err
	}
	good := &temporalconn.TLS{CAFile: pki.caFile, CertFile: pki.clientCert, KeyFile: pki.clientKey, ServerName: "temporal.isac.test"}
	refused := []struct {
		name string
		tls  *temporalconn.TLS
	}{
		{"plaintext", nil},
		{"no client certificate", &temporalconn.TLS{CAFile: pki.caFile, ServerName: "temporal.isac.test"}},
		{"untrusted server CA (system roots)", &temporalconn.TLS{CertFile: pki.clientCert, KeyFile: pki.clientKey, ServerName: "temporal.isac.test"}},
		{"wrong server name", &temporalconn.TLS{CAFile: pki.caFile, CertFile: pki.clientCert, KeyFile: pki.clientKey, ServerName: "other.test"}},
	}
	for _, tt := range refused {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			if err := dial(tt.tls); err == nil {
				t.Fatal("dial succeeded, want it refused")
			}
		})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tc, err := temporalconn.Dial(ctx, temporalconn.Options{Address: proxy, Namespace: devserver.DefaultNamespace, TLS: good})
	if err != nil {
		t.Fatalf("dial over mutual TLS: %v", err)
	}
	defer tc.Close()
	var l ledger
	w, err := engine.NewWorker(tc, engine.WorkerOptions{Workflows: true, Orgs: []string{"acme"}, Executor: l.executor()})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	c := engine.NewClient(tc)
	src := "name: restart\non:\n  indicator:\n    types: [ipv4]\nsteps:\n  - id: first\n    uses: test/echo\n    with: {v: \"${{ indicator.value }}\"}\n"
	id, started, err := c.Start(ctx, startReq(src, "ev-tls"))
	if err != nil || !started {
		t.Fatalf("start over TLS: %v %v", started, err)
	}
	r, err := c.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != engine.RunSucceeded || !strings.Contains(fmt.Sprint(r.Step("first").Output), "198.51.100.1") {
		t.Fatalf("run over TLS: %s %v (%s)", r.Status, r.Step("first").Output, r.Error)
	}
	if n := l.snapshot()[id+"/first/0"]; n != 1 {
		t.Fatalf("the action ran %d times, want 1", n)
	}
}

// testPKI is a CA with a server and a client certificate, as PEM files.
type testPKI struct {
	caFile, clientCert, clientKey string
	ca                            *x509.Certificate
	server                        tls.Certificate
	pool                          *x509.CertPool
}

func newTestPKI(t *testing.T, serverName string) *testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rampart test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	p := &testPKI{ca: ca, pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.caFile = writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER)

	issue := func(serial int64, name string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		key := newKey(t)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, DNSNames: []string{name}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	srvDER, srvKey := issue(2, serverName, x509.ExtKeyUsageServerAuth)
	p.server = tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}
	cliDER, cliKey := issue(3, "rampart-worker", x509.ExtKeyUsageClientAuth)
	p.clientCert = writePEM(t, dir, "client.pem", "CERTIFICATE", cliDER)
	keyDER, err := x509.MarshalECPrivateKey(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	p.clientKey = writePEM(t, dir, "client.key", "EC PRIVATE KEY", keyDER)
	return p
}

// serverTLS demands a client certificate signed by the CA, and speaks HTTP/2 (gRPC).
func (p *testPKI) serverTLS() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.server}, ClientCAs: p.pool,
		ClientAuth: tls.RequireAndVerifyClientCert, NextProtos: []string{"h2"}, MinVersion: tls.VersionTLS12}
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePEM(t *testing.T, dir, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// tlsProxy terminates TLS on a loopback port and forwards each connection to backend in
// plaintext; it returns the port's address and closes with the test.
func tlsProxy(t *testing.T, backend string, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "closed") {
					t.Errorf("proxy accept: %v", err)
				}
				return
			}
			out, err := net.Dial("tcp", backend)
			if err != nil {
				in.Close()
				continue
			}
			mu.Lock()
			open = append(open, in, out)
			mu.Unlock()
			wg.Add(2)
			go func() { defer wg.Done(); _, _ = io.Copy(out, in); out.Close() }()
			go func() { defer wg.Done(); _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
	return ln.Addr().String()
}

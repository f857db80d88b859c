// Package temporalconn dials the Temporal cluster Rampart's runs live on: the embedded server
// of the data directory, or an external cluster given by address, optionally over TLS (server
// CA, and a client certificate for mutual TLS). It does not import the server.
package temporalconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
)

// Options say where the cluster is and how to reach it.
type Options struct {
	Address   string // host:port of the frontend
	Namespace string // default "rampart"
	TLS       *TLS   // nil: plaintext (the embedded server listens on 127.0.0.1 only)
	Logger    *slog.Logger
}

// TLS settings for an external cluster.
type TLS struct {
	CAFile     string // PEM bundle that signs the server's certificate; empty: system roots
	CertFile   string // client certificate (mutual TLS); empty: none
	KeyFile    string
	ServerName string // overrides the name checked in the server's certificate
}

// Config builds the tls.Config the options describe.
func (t *TLS) Config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("temporalconn: read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("temporalconn: %s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, errors.New("temporalconn: a client certificate needs both a certificate and a key file")
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("temporalconn: load client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// Dial connects and checks that the server answers.
func Dial(ctx context.Context, opts Options) (client.Client, error) {
	if opts.Address == "" {
		return nil, errors.New("temporalconn: no address")
	}
	if opts.Namespace == "" {
		opts.Namespace = "rampart"
	}
	co := client.Options{HostPort: opts.Address, Namespace: opts.Namespace}
	if opts.Logger != nil {
		co.Logger = log.NewStructuredLogger(opts.Logger)
	} else {
		co.Logger = log.NewStructuredLogger(slog.New(slog.DiscardHandler))
	}
	if opts.TLS != nil {
		cfg, err := opts.TLS.Config()
		if err != nil {
			return nil, err
		}
		co.ConnectionOptions.TLS = cfg
	}
	c, err := client.DialContext(ctx, co)
	if err != nil {
		return nil, fmt.Errorf("temporalconn: dial %s: %w", opts.Address, err)
	}
	return c, nil
}

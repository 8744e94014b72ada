// Go's crypto/tls, as the Data Plane API (a Go program) uses it, judging the
// tls plugin's output. Test equipment for tests/plugins/tls/contract.test.ts.
//
//	go run main.go client <host:port> <server name> <CA file>
//	    handshake with a TLS server, verifying its chain against the CA and the name
//	go run main.go serve <cert file> <key file> <server name> <CA file>
//	    load the pair as a Go server does (tls.LoadX509KeyPair), serve it on
//	    loopback and handshake with it, verifying as a client
package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
)

func pool(caFile string) *x509.CertPool {
	pem, err := os.ReadFile(caFile)
	check(err)
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		fail(fmt.Errorf("no certificate in %s", caFile))
	}
	return p
}

func check(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Println("FAIL:", err)
	os.Exit(1)
}

func dial(addr, name string, roots *x509.CertPool) {
	conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: name, RootCAs: roots})
	check(err)
	defer conn.Close()
	st := conn.ConnectionState()
	leaf := st.PeerCertificates[0]
	fmt.Printf("OK: %s, %s, leaf %q (%s) verified against %q\n", tls.VersionName(st.Version),
		tls.CipherSuiteName(st.CipherSuite), leaf.Subject.CommonName, leaf.PublicKeyAlgorithm, leaf.Issuer.CommonName)
}

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: client|serve ..."))
	}
	switch os.Args[1] {
	case "client":
		dial(os.Args[2], os.Args[3], pool(os.Args[4]))
	case "serve":
		pair, err := tls.LoadX509KeyPair(os.Args[2], os.Args[3])
		check(err)
		ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
		check(err)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func(c net.Conn) {
					_ = c.(*tls.Conn).Handshake()
					c.Close()
				}(c)
			}
		}()
		dial(ln.Addr().String(), os.Args[4], pool(os.Args[5]))
	default:
		fail(fmt.Errorf("unknown mode %q", os.Args[1]))
	}
}

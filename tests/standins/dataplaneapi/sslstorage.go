package main

// SSL certificate storage (/v3/services/haproxy/storage/ssl_certificates),
// after dataplaneapi v3.2.1 handlers/ssl_cert_storage.go and client-native
// v6.2.0 storage/storage.go: the name sanitised, an existing file refused,
// the PEM checked for a certificate and an RSA or ECDSA key, written by
// temp file + rename with mode 0644, then pushed to the runtime
// (new/set/commit ssl cert), or a reload when that fails.

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

type sslCertificate struct {
	Description string `json:"description,omitempty"`
	File        string `json:"file,omitempty"`
	Size        *int64 `json:"size,omitempty"`
	StorageName string `json:"storage_name,omitempty"`
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_\\-]+`)

// sanitizeFilename is client-native misc.SanitizeFilename.
func sanitizeFilename(name string) string {
	ext := filepath.Ext(name)
	name = name[:len(name)-len(ext)]
	if name != "" {
		name = filepath.Clean(name)
	}
	name = unsafeName.ReplaceAllString(name, "_")
	if ext != "" {
		ext = unsafeName.ReplaceAllString(ext[1:], "_")
		if name != "" {
			return name + "." + ext
		}
		return "_" + ext
	}
	return name
}

// validatePEM is storage.validatePEM: at least one certificate, and a key
// that parses as PKCS#1, PKCS#8 (RSA or ECDSA) or SEC1.
func validatePEM(raw []byte) error {
	if !x509.NewCertPool().AppendCertsFromPEM(raw) {
		return errors.New("failed to parse certificate")
	}
	hasCert, hasKey := false, false
	for {
		block, rest := pem.Decode(raw)
		if block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			hasCert = true
		} else if keyParses(block.Bytes) {
			hasKey = true
		}
		raw = rest
	}
	if !(hasCert && hasKey) {
		return errors.New("file should contain both certificate and private key")
	}
	return nil
}

func keyParses(der []byte) bool {
	if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return true
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		switch k.(type) {
		case *rsa.PrivateKey, *ecdsa.PrivateKey:
			return true
		}
		return false
	}
	_, err := x509.ParseECPrivateKey(der)
	return err == nil
}

// runtimeCertCommands are the three commands pushCertToRuntime sends
// (cn runtime/certs.go); certReplyOK judges each reply as cn does.
func runtimeCertCommands(path, body string) []string {
	return []string{
		"new ssl cert " + path,
		fmt.Sprintf("set ssl cert %s <<\n%s\n", path, body),
		"commit ssl cert " + path,
	}
}

func certReplyOK(i int, reply string) bool {
	r := strings.ToLower(reply)
	switch i {
	case 0:
		return strings.Contains(reply, "New empty certificate store")
	case 1:
		return strings.Contains(r, "transaction created") || strings.Contains(r, "transaction updated")
	default:
		return strings.Contains(reply, "Committing") && strings.Contains(reply, "Success!")
	}
}

func (a *api) sslRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+v3+"/storage/ssl_certificates", a.getSSLCerts)
	mux.HandleFunc("POST "+v3+"/storage/ssl_certificates", a.postSSLCert)
}

func (a *api) getSSLCerts(w http.ResponseWriter, r *http.Request) {
	entries, err := os.ReadDir(a.s.SSLCertsDir)
	if err != nil {
		writeErr(w, err)
		return
	}
	out := []*sslCertificate{}
	for _, e := range entries {
		f := filepath.Join(a.s.SSLCertsDir, e.Name())
		raw, err := os.ReadFile(f)
		if err != nil || validatePEM(raw) != nil {
			continue // GetAll lists only readable, valid PEM files
		}
		out = append(out, &sslCertificate{File: f, Description: "managed SSL file", StorageName: e.Name()})
	}
	writeJSON(w, 200, out)
}

func (a *api) postSSLCert(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	skipReload, err1 := parseBoolParam(q, "skip_reload")
	forceReload, err2 := parseBoolParam(q, "force_reload")
	if err := errors.Join(err1, err2); err != nil {
		writeJSON(w, 422, apiError{Code: 422, Message: err.Error()})
		return
	}
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		writeJSON(w, 400, apiError{Code: 400, Message: err.Error()})
		return
	}
	file, hdr, err := r.FormFile("file_upload")
	if err != nil {
		writeJSON(w, 400, apiError{Code: 400, Message: "file_upload in formData is required"})
		return
	}
	body, err := io.ReadAll(file)
	file.Close()
	if err != nil {
		writeErr(w, err)
		return
	}
	name := sanitizeFilename(hdr.Filename)
	path := filepath.Join(a.s.SSLCertsDir, name)
	if _, err := os.Stat(path); err == nil {
		writeErr(w, errf(409, "object already exists: file %s already exists", path))
		return
	}
	if err := validatePEM(body); err != nil {
		writeErr(w, err)
		return
	}
	if err := writeFileAtomic(path, body, 0o644); err != nil {
		writeErr(w, err)
		return
	}
	size := int64(len(body))
	res := &sslCertificate{File: path, Description: "managed SSL file", StorageName: filepath.Base(path), Size: &size}
	switch {
	case skipReload:
		writeJSON(w, 201, res)
		return
	case forceReload:
		if err := a.reloads.ForceReload(); err != nil {
			writeJSON(w, 400, apiError{Code: 400, Message: err.Error()})
			return
		}
		writeJSON(w, 201, res)
		return
	}
	if err := a.pushCertToRuntime(path, string(body)); err != nil {
		logInfof("failed to push certificate via runtime, reloading instead: %v", err)
		w.Header().Set("Reload-ID", a.reloads.Reload())
		writeJSON(w, 202, res)
		return
	}
	writeJSON(w, 201, res)
}

func (a *api) pushCertToRuntime(path, body string) error {
	rt := a.runtime()
	if rt == nil {
		return errors.New("no valid runtime found")
	}
	for i, c := range runtimeCertCommands(path, body) {
		out, err := runtimeExecute(rt, c)
		if err != nil {
			return err
		}
		if !certReplyOK(i, out) {
			return fmt.Errorf("%s", out)
		}
	}
	return nil
}

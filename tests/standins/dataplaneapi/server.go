package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// versionWriter adds the Configuration-Version header when the status line
// is written, as dataplaneapi adapters/adapters.go ConfigVersionMiddleware does.
type versionWriter struct {
	http.ResponseWriter
	a    *api
	done bool
}

func (w *versionWriter) WriteHeader(code int) {
	if !w.done {
		w.done = true
		w.Header().Set("Configuration-Version", strconv.FormatInt(w.a.currentVersion(), 10))
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *versionWriter) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// writeJSON encodes like the API's jsoniter producer (a trailing newline, no HTML escaping).
func writeJSON(w http.ResponseWriter, code int, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// writeTextError is how the raw endpoints answer errors: the error model
// marshalled to JSON, sent as a text/plain string payload (handlers/raw.go).
func writeTextError(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(apiError{Code: code, Message: msg})
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func (a *api) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v3/info", a.getInfo)
	mux.HandleFunc("GET /v3/health", a.getHealth)
	mux.HandleFunc("GET /v3/services/haproxy/configuration/version", a.getVersion)
	mux.HandleFunc("GET /v3/services/haproxy/configuration/raw", a.getRaw)
	mux.HandleFunc("POST /v3/services/haproxy/configuration/raw", a.postRawHandler)
	mux.HandleFunc("GET /v3/services/haproxy/reloads", a.getReloads)
	mux.HandleFunc("GET /v3/services/haproxy/reloads/{id}", a.getReload)
	a.objectRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotImplemented, apiError{Code: 501, Message: fmt.Sprintf(
			"%s %s is not implemented by the dataplaneapi stand-in (tests/standins/dataplaneapi); see its README.md", r.Method, r.URL.Path)})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vw := &versionWriter{ResponseWriter: w, a: a}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: vw, code: 200}
		if a.authorize(rec, r) {
			mux.ServeHTTP(rec, r)
		}
		user, _, _ := r.BasicAuth()
		logLine("info", fmt.Sprintf("%s - %s \"%s %s %s\" %d %s", hostOf(r.RemoteAddr), orDash(user), r.Method, r.URL.RequestURI(), r.Proto, rec.code, time.Since(start)))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// authorize is Basic auth on every endpoint (go-openapi's BasicAuthRealm
// with the realm "API"), skipped when TLS client certificates are required.
func (a *api) authorize(w http.ResponseWriter, r *http.Request) bool {
	if a.s.TLSCA != "" && a.s.TLSPort > 0 {
		return true
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="API"`)
		writeJSON(w, http.StatusUnauthorized, apiError{Code: 401, Message: "unauthenticated for invalid credentials"})
		return false
	}
	if err := a.users.authenticate(user, pass); err != nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="API"`)
		writeJSON(w, http.StatusUnauthorized, apiError{Code: 401, Message: err.Error()})
		return false
	}
	return true
}

// dpapiVersion is the release the stand-in reports (the --version banner, the
// start-up log and GET /v3/info), without the "v". build.sh sets it at link
// time (-X main.dpapiVersion=3.2.2) to build the other releases, which differ
// from 3.2.1 only in this string.
var dpapiVersion = "3.2.1"

// gitTag is the release's tag, as the real binary's main.GitTag.
func gitTag() string { return "v" + dpapiVersion }

const (
	gitCommit = "32af2b44"
	gitRepo   = "https://github.com/haproxytech/dataplaneapi"
	buildTime = "2025-06-16T10:54:13Z"
	standIn   = "tests/standins/dataplaneapi"
)

func (a *api) getInfo(w http.ResponseWriter, r *http.Request) {
	bt, _ := time.Parse("2006-01-02T15:04:05Z", buildTime)
	type infoAPI struct {
		BuildDate string `json:"build_date,omitempty"`
		Version   string `json:"version,omitempty"`
	}
	writeJSON(w, 200, struct {
		API     infoAPI           `json:"api"`
		System  map[string]string `json:"system"`
		StandIn string            `json:"stand_in"`
	}{
		API:     infoAPI{BuildDate: bt.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Version: gitTag() + " " + gitCommit},
		System:  map[string]string{},
		StandIn: standIn,
	})
}

func (a *api) getHealth(w http.ResponseWriter, r *http.Request) {
	state := "unknown"
	if ok, err := a.reloads.Status(); err == nil {
		state = "down"
		if ok {
			state = "up"
		}
	}
	writeJSON(w, 200, map[string]string{"haproxy": state})
}

func (a *api) getVersion(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("transaction_id") != "" {
		writeJSON(w, 501, apiError{Code: 501, Message: "transactions are not implemented by the dataplaneapi stand-in"})
		return
	}
	writeJSON(w, 200, a.currentVersion())
}

func (a *api) getRaw(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("transaction_id") != "" {
		writeTextError(w, 501, "transactions are not implemented by the dataplaneapi stand-in")
		return
	}
	file := a.s.ConfigFile
	if v := q.Get("version"); v != "" && v != "0" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			writeTextError(w, 422, fmt.Sprintf("version in query must be of type int64: %q", v))
			return
		}
		dir := a.s.BackupsDir
		if dir == "" {
			dir = filepath.Dir(a.s.ConfigFile)
		}
		file = filepath.Join(dir, filepath.Base(fmt.Sprintf("%v.%v", a.s.ConfigFile, n)))
		if _, err := os.Stat(file); err != nil {
			writeTextError(w, 404, fmt.Sprintf("backup file for version %v does not exist", n))
			return
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		writeTextError(w, 500, err.Error())
		return
	}
	_, hash := fileMetadata(string(data))
	if hash != "" {
		w.Header().Set("Configuration-Checksum", hash)
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(200)
	_, _ = w.Write(data)
}

func parseBoolParam(q map[string][]string, name string) (bool, error) {
	v, ok := q[name]
	if !ok || len(v) == 0 || v[0] == "" {
		return false, nil
	}
	switch strings.ToLower(v[0]) {
	case "true", "1", "yes", "y", "on", "selected", "checked":
		return true, nil
	case "false", "0", "no", "n", "off":
		return false, nil
	}
	return false, fmt.Errorf("%s in query must be of type bool: %q", name, v[0])
}

func (a *api) postRawHandler(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "text/plain" {
		writeJSON(w, 415, apiError{Code: 415, Message: fmt.Sprintf("unsupported media type %q, only [text/plain] are allowed", ct)})
		return
	}
	q := r.URL.Query()
	var flags [4]bool
	for i, n := range []string{"skip_version", "skip_reload", "only_validate", "force_reload"} {
		b, err := parseBoolParam(q, n)
		if err != nil {
			writeJSON(w, 422, apiError{Code: 422, Message: err.Error()})
			return
		}
		flags[i] = b
	}
	skipVersion, skipReload, onlyValidate, forceReload := flags[0], flags[1], flags[2], flags[3]
	var version int64
	if v := q.Get("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			writeJSON(w, 422, apiError{Code: 422, Message: fmt.Sprintf("version in query must be of type int64: %q", v)})
			return
		}
		version = n
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeTextError(w, 400, err.Error())
		return
	}
	data := string(body)
	if len(data) > 0 && !strings.ContainsRune(data, '\n') {
		writeTextError(w, 400, "invalid configuration: no newline character found")
		return
	}
	if err := a.postRaw(data, version, skipVersion, onlyValidate); err != nil {
		code := 500
		if ce, ok := err.(*confError); ok {
			code = ce.code
		}
		writeTextError(w, code, err.Error())
		return
	}
	cur, rerr := os.ReadFile(a.s.ConfigFile)
	if rerr != nil {
		writeTextError(w, 500, rerr.Error())
		return
	}
	_, hash := fileMetadata(string(cur))
	if hash != "" {
		w.Header().Set("Configuration-Checksum", hash)
	}
	w.Header().Set("Content-Type", "text/plain")
	switch {
	case onlyValidate:
		w.WriteHeader(202)
	case skipReload:
		w.WriteHeader(201)
	case forceReload:
		if err := a.reloads.ForceReload(); err != nil {
			w.Header().Del("Configuration-Checksum")
			writeTextError(w, 400, err.Error())
			return
		}
		w.WriteHeader(201)
	default:
		w.Header().Set("Reload-ID", a.reloads.Reload())
		w.WriteHeader(202)
	}
	_, _ = w.Write(cur)
}

func (a *api) getReloads(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, a.reloads.GetReloads())
}

func (a *api) getReload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if rl := a.reloads.GetReload(id); rl != nil {
		writeJSON(w, 200, rl)
		return
	}
	writeJSON(w, 404, apiError{Code: 404, Message: fmt.Sprintf("Reload with ID %s does not exist", id)})
}

// serve starts the listeners of `scheme`, as the go-swagger server does.
func (a *api) serve() error {
	h := a.handler()
	errc := make(chan error, 2)
	started := 0
	for _, scheme := range a.s.Schemes {
		switch scheme {
		case "http":
			l, err := net.Listen("tcp", net.JoinHostPort(a.s.Host, strconv.Itoa(a.s.Port)))
			if err != nil {
				return err
			}
			logInfof("Serving data plane at http://%s", l.Addr())
			go func() { errc <- (&http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}).Serve(l) }()
			started++
		case "https":
			if a.s.TLSCert == "" || a.s.TLSKey == "" {
				return fmt.Errorf("the required flags `--tls-certificate` and `--tls-key` were not specified")
			}
			cert, err := tls.LoadX509KeyPair(a.s.TLSCert, a.s.TLSKey)
			if err != nil {
				return err
			}
			tc := &tls.Config{
				Certificates:     []tls.Certificate{cert},
				MinVersion:       tls.VersionTLS12,
				CurvePreferences: []tls.CurveID{tls.CurveP256},
			}
			if a.s.TLSCA != "" {
				pem, err := os.ReadFile(a.s.TLSCA)
				if err != nil {
					return err
				}
				pool := x509.NewCertPool()
				if !pool.AppendCertsFromPEM(pem) {
					return fmt.Errorf("no certificates in %s", a.s.TLSCA)
				}
				tc.ClientCAs = pool
				tc.ClientAuth = tls.RequireAndVerifyClientCert
			}
			host := a.s.TLSHost
			if host == "" {
				host = a.s.Host
			}
			l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(a.s.TLSPort)))
			if err != nil {
				return err
			}
			logInfof("Serving data plane at https://%s", l.Addr())
			go func() {
				errc <- (&http.Server{Handler: h, TLSConfig: tc, ReadHeaderTimeout: 30 * time.Second}).ServeTLS(l, "", "")
			}()
			started++
		default:
			return fmt.Errorf("scheme %q is not implemented by the stand-in", scheme)
		}
	}
	if started == 0 {
		return fmt.Errorf("no listener configured")
	}
	return <-errc
}

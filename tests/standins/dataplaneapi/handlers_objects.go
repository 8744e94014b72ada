package main

// HTTP handlers of the per-object endpoints the stand-in serves: backends,
// their servers, transactions and the runtime servers, after dataplaneapi
// v3.2.1 handlers/backend.go, server.go, transaction.go, runtime_server.go.

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

const v3 = "/v3/services/haproxy"

func (a *api) objectRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+v3+"/configuration/backends", a.getBackends)
	mux.HandleFunc("GET "+v3+"/configuration/backends/{name}", a.getBackend)
	mux.HandleFunc("PUT "+v3+"/configuration/backends/{name}", a.putBackend)
	mux.HandleFunc("GET "+v3+"/configuration/backends/{parent}/servers", a.getServers)
	mux.HandleFunc("POST "+v3+"/configuration/backends/{parent}/servers", a.postServer)
	mux.HandleFunc("GET "+v3+"/configuration/backends/{parent}/servers/{name}", a.getServer)
	mux.HandleFunc("PUT "+v3+"/configuration/backends/{parent}/servers/{name}", a.putServer)
	mux.HandleFunc("DELETE "+v3+"/configuration/backends/{parent}/servers/{name}", a.deleteServer)
	mux.HandleFunc("GET "+v3+"/transactions", a.getTransactions)
	mux.HandleFunc("POST "+v3+"/transactions", a.postTransaction)
	mux.HandleFunc("GET "+v3+"/transactions/{id}", a.getTransactionH)
	mux.HandleFunc("PUT "+v3+"/transactions/{id}", a.putTransaction)
	mux.HandleFunc("DELETE "+v3+"/transactions/{id}", a.deleteTransactionH)
	mux.HandleFunc("GET "+v3+"/runtime/backends/{parent}/servers", a.getRuntimeServers)
	mux.HandleFunc("GET "+v3+"/runtime/backends/{parent}/servers/{name}", a.getRuntimeServer)
	a.sslRoutes(mux)
}

// writeErr answers an error as the API's error model (misc.HandleError codes).
func writeErr(w http.ResponseWriter, err error) {
	code := 500
	var ce *confError
	var nm *notModelled
	switch {
	case errors.As(err, &nm):
		code = 501
	case errors.As(err, &ce):
		code = ce.code
	}
	writeJSON(w, code, apiError{Code: code, Message: err.Error()})
}

// writeParams are the query parameters of every write.
type writeParams struct {
	tid         string
	version     int64
	forceReload bool
}

func parseWriteParams(w http.ResponseWriter, r *http.Request) (*writeParams, bool) {
	q := r.URL.Query()
	p := &writeParams{tid: q.Get("transaction_id")}
	fr, err := parseBoolParam(q, "force_reload")
	if err != nil {
		writeJSON(w, 422, apiError{Code: 422, Message: err.Error()})
		return nil, false
	}
	p.forceReload = fr
	if v := q.Get("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			writeJSON(w, 422, apiError{Code: 422, Message: fmt.Sprintf("version in query must be of type int64: %q", v)})
			return nil, false
		}
		p.version = n
	}
	if p.tid != "" && p.forceReload {
		writeJSON(w, 400, apiError{Code: 400, Message: "Both force_reload and transaction specified, specify only one"})
		return nil, false
	}
	return p, true
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		writeJSON(w, 400, apiError{Code: 400, Message: err.Error()})
		return nil, false
	}
	return b, true
}

// finishWrite answers a successful write: in a transaction 202 without a
// reload; with force_reload a reload now and `forced`; with `noReload` the
// runtime did it (`direct`); else 202 with a Reload-ID.
func (a *api) finishWrite(w http.ResponseWriter, p *writeParams, noReload bool, forced, direct int, body interface{}) {
	switch {
	case p.tid != "":
		writeBody(w, 202, body)
	case p.forceReload:
		if err := a.reloads.ForceReload(); err != nil {
			writeJSON(w, 400, apiError{Code: 400, Message: err.Error()})
			return
		}
		writeBody(w, forced, body)
	case noReload:
		writeBody(w, direct, body)
	default:
		w.Header().Set("Reload-ID", a.reloads.Reload())
		writeBody(w, 202, body)
	}
}

func writeBody(w http.ResponseWriter, code int, body interface{}) {
	if body == nil {
		w.WriteHeader(code)
		return
	}
	writeJSON(w, code, body)
}

// ---------------------------------------------------------------- backends

func (a *api) getBackends(w http.ResponseWriter, r *http.Request) {
	c, err := a.readConfig(r.URL.Query().Get("transaction_id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	out := []*backendModel{}
	for _, n := range sortedBackendNames(c) {
		b, err := parseBackend(c.Sections["backend"][n])
		if err != nil {
			writeErr(w, err)
			return
		}
		out = append(out, b)
	}
	writeJSON(w, 200, out)
}

func (a *api) getBackend(w http.ResponseWriter, r *http.Request) {
	c, err := a.readConfig(r.URL.Query().Get("transaction_id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	name := r.PathValue("name")
	s := c.Sections["backend"][name]
	if s == nil {
		writeErr(w, errf(404, "missing object: Backend %s does not exist", name))
		return
	}
	b, err := parseBackend(s)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, 200, b)
}

// putBackend is ReplaceBackendHandlerImpl: EditBackend, then always a
// reload (no runtime path), 200 with force_reload.
func (a *api) putBackend(w http.ResponseWriter, r *http.Request) {
	p, ok := parseWriteParams(w, r)
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	b := &backendModel{}
	if err := decodeStrict(body, b, "backend"); err != nil {
		writeErrDecode(w, err)
		return
	}
	if err := validateBackend(b); err != nil {
		writeErrValidate(w, err)
		return
	}
	name := r.PathValue("name")
	err := a.change(p.tid, p.version, func(c *haproxyConfig) error {
		s := c.Sections["backend"][name]
		if s == nil {
			return errf(404, "missing object: backend %s does not exist", name)
		}
		// The section must be one the stand-in can read: a line it does not
		// model would otherwise be deleted or kept without knowing which.
		if _, err := parseBackend(s); err != nil {
			return err
		}
		return replaceBackend(s, b)
	})
	if err != nil {
		writeErr(w, err)
		return
	}
	a.finishWrite(w, p, false, 200, 200, b)
}

func writeErrDecode(w http.ResponseWriter, err error) {
	var nm *notModelled
	if errors.As(err, &nm) {
		writeErr(w, err)
		return
	}
	writeJSON(w, 400, apiError{Code: 400, Message: err.Error()})
}

func writeErrValidate(w http.ResponseWriter, err error) {
	var nm *notModelled
	if errors.As(err, &nm) {
		writeErr(w, err)
		return
	}
	writeJSON(w, 422, apiError{Code: 422, Message: err.Error()})
}

// ---------------------------------------------------------------- servers

func findServer(c *haproxyConfig, backend, name string) (*serverModel, int, error) {
	s := c.Sections["backend"][backend]
	if s == nil {
		return nil, -1, errf(404, "missing object: server %s does not exist in %s backend", name, backend)
	}
	for i, l := range s.Lines {
		if len(l.Parts) > 1 && l.Parts[0] == "server" && l.Parts[1] == name {
			sv, err := parseServerLine(l)
			return sv, i, err
		}
	}
	return nil, -1, errf(404, "missing object: server %s does not exist in %s backend", name, backend)
}

func (a *api) getServers(w http.ResponseWriter, r *http.Request) {
	c, err := a.readConfig(r.URL.Query().Get("transaction_id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	s := c.Sections["backend"][r.PathValue("parent")]
	if s == nil {
		writeJSON(w, 200, []*serverModel{}) // HandleContainerGetError: a missing parent is an empty list
		return
	}
	list, _, err := backendServers(s)
	if err != nil {
		writeErr(w, err)
		return
	}
	if list == nil {
		list = []*serverModel{}
	}
	writeJSON(w, 200, list)
}

func (a *api) getServer(w http.ResponseWriter, r *http.Request) {
	c, err := a.readConfig(r.URL.Query().Get("transaction_id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	sv, _, err := findServer(c, r.PathValue("parent"), r.PathValue("name"))
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, 200, sv)
}

func decodeServer(w http.ResponseWriter, r *http.Request) (*serverModel, bool) {
	body, ok := readBody(w, r)
	if !ok {
		return nil, false
	}
	sv := &serverModel{}
	if err := decodeStrict(body, sv, "server"); err != nil {
		writeErrDecode(w, err)
		return nil, false
	}
	if err := validateServer(sv); err != nil {
		writeErrValidate(w, err)
		return nil, false
	}
	return sv, true
}

// hasDefaultServer: a default-server in the backend or in a defaults
// section rules out the runtime add (dp handlers/server.go:114-136).
func hasDefaultServer(c *haproxyConfig, backend string) bool {
	for _, d := range c.Sections["defaults"] {
		for _, l := range d.Lines {
			if len(l.Parts) > 0 && l.Parts[0] == "default-server" {
				return true
			}
		}
	}
	if s := c.Sections["backend"][backend]; s != nil {
		for _, l := range s.Lines {
			if len(l.Parts) > 0 && l.Parts[0] == "default-server" {
				return true
			}
		}
	}
	return false
}

// runtimeExecute is client-native SingleRuntime.Execute: the command, and
// an answer starting with `[0-3]:` is an error.
func runtimeExecute(rt *runtimeClient, cmd string) (string, error) {
	out, err := rt.ExecuteRaw(cmd)
	if err != nil {
		return "", fmt.Errorf("%w [%s]", err, cmd)
	}
	if len(out) > 4 {
		switch out[0:4] {
		case "[3]:", "[2]:", "[1]:", "[0]:":
			return "", fmt.Errorf("[%c] %s [%s]", out[1], out[4:], cmd)
		}
	}
	return out, nil
}

// postServer is CreateServerHandlerImpl: the server line through a
// transaction, then, outside an explicit transaction and without
// force_reload, `add server` on the runtime when the parent allows it
// (201, no reload), else (or when the runtime answers an error) a reload.
func (a *api) postServer(w http.ResponseWriter, r *http.Request) {
	p, ok := parseWriteParams(w, r)
	if !ok {
		return
	}
	sv, ok := decodeServer(w, r)
	if !ok {
		return
	}
	backend := r.PathValue("parent")
	var after *haproxyConfig
	err := a.change(p.tid, p.version, func(c *haproxyConfig) error {
		s := c.Sections["backend"][backend]
		if s == nil {
			return errf(400, "missing parent: backend %s does not exist", backend)
		}
		if ex, _, _ := findServer(c, backend, sv.Name); ex != nil {
			return errf(409, "object already exists: server %s already exists in %s backend", sv.Name, backend)
		}
		_, idx, err := backendServers(s)
		if err != nil {
			return err
		}
		line := renderServerLine(sv)
		at := len(s.Lines)
		if len(idx) > 0 {
			at = idx[len(idx)-1] + 1
		}
		s.Lines = append(s.Lines[:at], append([]cfgLine{line}, s.Lines[at:]...)...)
		after = c
		return nil
	})
	if err != nil {
		writeErr(w, err)
		return
	}
	noReload := false
	if p.tid == "" && !p.forceReload {
		rt := a.runtime()
		if rt != nil && !hasDefaultServer(after, backend) {
			v, verr := rt.GetVersion()
			var vp *haproxyVersion
			if verr == nil {
				vp = &v
			}
			if args, convertible := runtimeAddServerArgs(sv, vp); convertible {
				cmd := fmt.Sprintf("add server %s/%s%s", backend, sv.Name, args)
				if _, err := runtimeExecute(rt, cmd); err != nil {
					logWarnf("failed to add server through runtime: %v", err)
				} else {
					logInfof("backend %s: server %s added through runtime", backend, sv.Name)
					noReload = true
				}
			}
		}
	}
	a.finishWrite(w, p, noReload, 201, 201, sv)
}

// putServer is ReplaceServerHandlerImpl with changeThroughRuntimeAPI.
func (a *api) putServer(w http.ResponseWriter, r *http.Request) {
	p, ok := parseWriteParams(w, r)
	if !ok {
		return
	}
	sv, ok := decodeServer(w, r)
	if !ok {
		return
	}
	backend, name := r.PathValue("parent"), r.PathValue("name")
	c, err := a.readConfig(p.tid)
	if err != nil {
		writeErr(w, err)
		return
	}
	ondisk, _, err := findServer(c, backend, name)
	if err != nil {
		writeErr(w, err)
		return
	}
	err = a.change(p.tid, p.version, func(c *haproxyConfig) error {
		_, i, err := findServer(c, backend, name)
		if err != nil {
			return err
		}
		c.Sections["backend"][backend].Lines[i] = renderServerLine(sv)
		return nil
	})
	if err != nil {
		writeErr(w, err)
		return
	}
	noReload := false
	if p.tid == "" {
		noReload = !a.changeThroughRuntime(backend, *sv, *ondisk)
	}
	a.finishWrite(w, p, noReload, 200, 200, sv)
}

// changeThroughRuntime reports whether a reload is needed (dp handlers/runtime.go).
func (a *api) changeThroughRuntime(backend string, data, ondisk serverModel) (reload bool) {
	rt := a.runtime()
	if rt == nil {
		return true
	}
	diff := serverDiff(data, ondisk)
	if len(diff) == 0 {
		return false
	}
	cmds, ok := runtimeServerCommands(backend, data, diff)
	if !ok {
		return true
	}
	for _, cmd := range cmds {
		if _, err := runtimeExecute(rt, cmd); err != nil {
			logWarnf("runtime change failed, reloading: %v", err)
			return true
		}
		logInfof("runtime: %s", cmd)
	}
	return false
}

// deleteServer is DeleteServerHandlerImpl: always a reload (204 with force_reload).
func (a *api) deleteServer(w http.ResponseWriter, r *http.Request) {
	p, ok := parseWriteParams(w, r)
	if !ok {
		return
	}
	backend, name := r.PathValue("parent"), r.PathValue("name")
	err := a.change(p.tid, p.version, func(c *haproxyConfig) error {
		_, i, err := findServer(c, backend, name)
		if err != nil && i < 0 {
			return err
		}
		s := c.Sections["backend"][backend]
		s.Lines = append(s.Lines[:i], s.Lines[i+1:]...)
		return nil
	})
	if err != nil {
		writeErr(w, err)
		return
	}
	a.finishWrite(w, p, false, 204, 204, nil)
}

// ---------------------------------------------------------------- transactions

func (a *api) getTransactions(w http.ResponseWriter, r *http.Request) {
	st := r.URL.Query().Get("status")
	switch st {
	case "", "in_progress", "failed", "outdated", "success":
	default:
		writeJSON(w, 422, apiError{Code: 422, Message: "status in query should be one of [failed outdated in_progress success]"})
		return
	}
	a.cfgMu.Lock()
	ts, err := a.listTransactions(st)
	a.cfgMu.Unlock()
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, 200, ts)
}

func (a *api) postTransaction(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query().Get("version")
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		writeJSON(w, 422, apiError{Code: 422, Message: fmt.Sprintf("version in query must be of type int64: %q", v)})
		return
	}
	t, err := a.startTransaction(n)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, 201, t)
}

func (a *api) getTransactionH(w http.ResponseWriter, r *http.Request) {
	t, err := a.getTransaction(r.PathValue("id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, 200, t)
}

// putTransaction is CommitTransactionHandlerImpl: never the runtime; 202 +
// Reload-ID, or 200 after a forced reload.
func (a *api) putTransaction(w http.ResponseWriter, r *http.Request) {
	fr, err := parseBoolParam(r.URL.Query(), "force_reload")
	if err != nil {
		writeJSON(w, 422, apiError{Code: 422, Message: err.Error()})
		return
	}
	t, err := a.commitTransaction(r.PathValue("id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	a.finishWrite(w, &writeParams{forceReload: fr}, false, 200, 200, t)
}

func (a *api) deleteTransactionH(w http.ResponseWriter, r *http.Request) {
	if err := a.deleteTransaction(r.PathValue("id")); err != nil {
		writeErr(w, err)
		return
	}
	w.WriteHeader(204)
}

// ---------------------------------------------------------------- runtime servers

type runtimeServer struct {
	Address          string `json:"address,omitempty"`
	AdminState       string `json:"admin_state,omitempty"`
	ID               string `json:"id,omitempty"`
	Name             string `json:"name,omitempty"`
	OperationalState string `json:"operational_state,omitempty"`
	Port             *int64 `json:"port,omitempty"`
}

// parseServersState is client-native runtime/servers.go parseRuntimeServers
// over `show servers state <b>` (format version 1).
func parseServersState(out string) ([]*runtimeServer, error) {
	lines := strings.Split(out, "\n")
	if strings.TrimSpace(lines[0]) != "1" {
		return nil, errors.New("unsupported output format version, supporting format version 1")
	}
	res := []*runtimeServer{}
	for _, line := range lines[1:] {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "1" {
			continue
		}
		if s := parseServerStateLine(line); s != nil {
			res = append(res, s)
		}
	}
	return res, nil
}

func parseServerStateLine(line string) *runtimeServer {
	f := strings.Split(line, " ")
	if len(f) < 19 {
		return nil
	}
	var port *int64
	if p, err := strconv.ParseInt(f[18], 10, 64); err == nil {
		port = &p
	}
	adm := ""
	if v, err := strconv.ParseUint(f[6], 16, 64); err == nil {
		switch {
		case v&(1|2|32) != 0:
			adm = "maint"
		case v&(8|16) != 0:
			adm = "drain"
		default:
			adm = "ready"
		}
	}
	op := ""
	switch f[5] {
	case "0":
		op = "down"
	case "3":
		op = "stopping"
	case "1", "2":
		op = "up"
	}
	return &runtimeServer{Name: f[3], Address: f[4], Port: port, ID: f[2], AdminState: adm, OperationalState: op}
}

func (a *api) serversState(w http.ResponseWriter, backend string) ([]*runtimeServer, bool) {
	rt := a.runtime()
	if rt == nil {
		writeJSON(w, 500, apiError{Code: 500, Message: "no valid runtime found"})
		return nil, false
	}
	out, err := runtimeExecute(rt, "show servers state "+backend)
	if err != nil {
		writeJSON(w, 500, apiError{Code: 500, Message: err.Error()})
		return nil, false
	}
	list, err := parseServersState(out)
	if err != nil {
		writeJSON(w, 500, apiError{Code: 500, Message: err.Error()})
		return nil, false
	}
	return list, true
}

func (a *api) getRuntimeServers(w http.ResponseWriter, r *http.Request) {
	if list, ok := a.serversState(w, r.PathValue("parent")); ok {
		writeJSON(w, 200, list)
	}
}

func (a *api) getRuntimeServer(w http.ResponseWriter, r *http.Request) {
	backend, name := r.PathValue("parent"), r.PathValue("name")
	list, ok := a.serversState(w, backend)
	if !ok {
		return
	}
	for _, s := range list {
		if s.Name == name {
			writeJSON(w, 200, s)
			return
		}
	}
	writeJSON(w, 404, apiError{Code: 404, Message: fmt.Sprintf("server state for %s/%s: not found", backend, name)})
}

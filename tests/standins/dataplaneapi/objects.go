package main

// The backend and server models of the v3 API (client-native v6.2.0
// models/backend_base.go, server.go, server_params.go), for the subset of
// keywords the stand-in knows, and their rendering to and from
// configuration lines. Rendering follows client-native's serializers
// (configuration/server.go SerializeServerParams for the option order,
// misc/time.go SerializeTime with dataplaneapi's default "nearest" suffix for
// times). Keywords or JSON fields outside the subset are refused with a
// notModelled error (501) rather than dropped.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// notModelled is the error for a keyword or JSON field the stand-in does not know.
type notModelled struct{ what string }

func (e *notModelled) Error() string {
	return fmt.Sprintf("%s is not modelled by the dataplaneapi stand-in (tests/standins/dataplaneapi); see its README.md", e.what)
}

// serverParams is the subset of models.ServerParams the stand-in handles;
// field names are upstream's, JSON names and formats too.
type serverParams struct {
	AgentAddr          string  `json:"agent-addr,omitempty"`
	AgentCheck         string  `json:"agent-check,omitempty"`
	AgentInter         *int64  `json:"agent-inter,omitempty"`
	AgentPort          *int64  `json:"agent-port,omitempty"`
	AgentSend          string  `json:"agent-send,omitempty"`
	Backup             string  `json:"backup,omitempty"`
	Check              string  `json:"check,omitempty"`
	CheckSsl           string  `json:"check-ssl,omitempty"`
	Cookie             string  `json:"cookie,omitempty"`
	Downinter          *int64  `json:"downinter,omitempty"`
	Fall               *int64  `json:"fall,omitempty"`
	Fastinter          *int64  `json:"fastinter,omitempty"`
	HealthCheckAddress string  `json:"health_check_address,omitempty"`
	HealthCheckPort    *int64  `json:"health_check_port,omitempty"`
	InitAddr           *string `json:"init-addr,omitempty"`
	Inter              *int64  `json:"inter,omitempty"`
	Maintenance        string  `json:"maintenance,omitempty"`
	Maxconn            *int64  `json:"maxconn,omitempty"`
	Resolvers          string  `json:"resolvers,omitempty"`
	Rise               *int64  `json:"rise,omitempty"`
	SendProxy          string  `json:"send-proxy,omitempty"`
	Slowstart          *int64  `json:"slowstart,omitempty"`
	Sni                string  `json:"sni,omitempty"`
	Ssl                string  `json:"ssl,omitempty"`
	SslCafile          string  `json:"ssl_cafile,omitempty"`
	SslCertificate     string  `json:"ssl_certificate,omitempty"`
	Verify             string  `json:"verify,omitempty"`
	Verifyhost         string  `json:"verifyhost,omitempty"`
	Weight             *int64  `json:"weight,omitempty"`
}

// serverModel is models.Server: the params inline, plus name, address, port, id.
type serverModel struct {
	serverParams
	Address string `json:"address"`
	ID      *int64 `json:"id,omitempty"`
	Name    string `json:"name"`
	Port    *int64 `json:"port,omitempty"`
}

// MarshalJSON flattens the params as go-swagger's inline models do.
func (s serverModel) MarshalJSON() ([]byte, error) {
	type plain serverModel
	return json.Marshal(plain(s))
}

// optKind says how one server option is written.
type optKind int

const (
	optToggle optKind = iota // "enabled" → on word, "disabled" → off word
	optString
	optInt
	optTime
)

type serverOpt struct {
	field string // Go field of serverParams
	kind  optKind
	on    string // keyword (value options) or the "enabled" word (toggles)
	off   string // the "disabled" word of a toggle ("" when there is none)
}

// serverOpts in client-native's SerializeServerParams order (words first,
// then valued options); `id` is appended after them by SerializeServer.
var serverOpts = []serverOpt{
	{"AgentCheck", optToggle, "agent-check", "no-agent-check"},
	{"Backup", optToggle, "backup", "no-backup"},
	{"Check", optToggle, "check", "no-check"},
	{"CheckSsl", optToggle, "check-ssl", "no-check-ssl"},
	{"Maintenance", optToggle, "disabled", "enabled"},
	{"SendProxy", optToggle, "send-proxy", "no-send-proxy"},
	{"Ssl", optToggle, "ssl", "no-ssl"},
	{"AgentSend", optString, "agent-send", ""},
	{"AgentInter", optTime, "agent-inter", ""},
	{"AgentAddr", optString, "agent-addr", ""},
	{"AgentPort", optInt, "agent-port", ""},
	{"SslCafile", optString, "ca-file", ""},
	{"Cookie", optString, "cookie", ""},
	{"SslCertificate", optString, "crt", ""},
	{"Fall", optInt, "fall", ""},
	{"InitAddr", optString, "init-addr", ""},
	{"Inter", optTime, "inter", ""},
	{"Fastinter", optTime, "fastinter", ""},
	{"Downinter", optTime, "downinter", ""},
	{"Maxconn", optInt, "maxconn", ""},
	{"HealthCheckAddress", optString, "addr", ""},
	{"HealthCheckPort", optInt, "port", ""},
	{"Rise", optInt, "rise", ""},
	{"Resolvers", optString, "resolvers", ""},
	{"Slowstart", optTime, "slowstart", ""},
	{"Sni", optString, "sni", ""},
	{"Verify", optString, "verify", ""},
	{"Verifyhost", optString, "verifyhost", ""},
	{"Weight", optInt, "weight", ""},
}

// serializeTime is client-native misc.SerializeTime with the "nearest" suffix
// (dataplaneapi's default time-suffix): the largest unit that divides evenly.
func serializeTime(ms int64) string {
	for _, u := range []struct {
		n int64
		s string
	}{{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}} {
		if ms >= u.n && ms%u.n == 0 {
			return strconv.FormatInt(ms/u.n, 10) + u.s
		}
	}
	return strconv.FormatInt(ms, 10) + "ms"
}

// parseTimeout is client-native misc.ParseTimeout: milliseconds, suffixes us/ms/s/m/h/d.
func parseTimeout(t string) *int64 {
	n := len(t)
	if n == 0 {
		return nil
	}
	mult, trim := int64(1), 1
	micro := false
	switch t[n-1] {
	case 's':
		if n < 2 {
			return nil
		}
		switch t[n-2] {
		case 'u':
			micro, trim = true, 2
		case 'm':
			trim = 2
		default:
			mult = 1000
		}
	case 'm':
		mult = 60000
	case 'h':
		mult = 3600000
	case 'd':
		mult = 86400000
	default:
		trim = 0
	}
	v, err := strconv.ParseInt(t[:n-trim], 10, 64)
	if err != nil || v < 0 {
		return nil
	}
	if micro {
		if v >= 1000 {
			v /= 1000
		} else if v > 0 {
			v = 1
		}
	} else {
		v *= mult
	}
	return &v
}

func int64p(v int64) *int64 { return &v }

// parseServerOptions fills p from the words after a server's address (or a
// default-server line's keyword); id is returned apart.
func parseServerOptions(words []string, p *serverParams, allowID bool) (id *int64, err error) {
	pv := reflect.ValueOf(p).Elem()
	for i := 0; i < len(words); i++ {
		w := words[i]
		matched := false
		for _, o := range serverOpts {
			f := pv.FieldByName(o.field)
			if o.kind == optToggle {
				if w == o.on {
					f.SetString("enabled")
					matched = true
				} else if o.off != "" && w == o.off {
					f.SetString("disabled")
					matched = true
				}
				if matched {
					break
				}
				continue
			}
			if w != o.on {
				continue
			}
			if i+1 >= len(words) {
				return nil, fmt.Errorf("server option %s needs a value", w)
			}
			i++
			v := words[i]
			switch o.kind {
			case optString:
				if f.Kind() == reflect.Ptr {
					s := v
					f.Set(reflect.ValueOf(&s))
				} else {
					f.SetString(v)
				}
			case optInt:
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, &notModelled{what: fmt.Sprintf("server option value %q of %s", v, w)}
				}
				f.Set(reflect.ValueOf(int64p(n)))
			case optTime:
				t := parseTimeout(v)
				if t == nil {
					return nil, &notModelled{what: fmt.Sprintf("server option value %q of %s", v, w)}
				}
				f.Set(reflect.ValueOf(t))
			}
			matched = true
			break
		}
		if matched {
			continue
		}
		if allowID && w == "id" && i+1 < len(words) {
			n, err := strconv.ParseInt(words[i+1], 10, 64)
			if err == nil {
				id = &n
			}
			i++
			continue
		}
		return nil, &notModelled{what: fmt.Sprintf("server option %q", w)}
	}
	return id, nil
}

// renderServerOptions is SerializeServerParams for the subset.
func renderServerOptions(p serverParams) []string {
	var out []string
	pv := reflect.ValueOf(p)
	for _, o := range serverOpts {
		f := pv.FieldByName(o.field)
		switch o.kind {
		case optToggle:
			switch f.String() {
			case "enabled":
				out = append(out, o.on)
			case "disabled":
				if o.off != "" {
					out = append(out, o.off)
				}
			}
		case optString:
			v := ""
			if f.Kind() == reflect.Ptr {
				if !f.IsNil() {
					v = f.Elem().String()
				}
			} else {
				v = f.String()
			}
			if v != "" || (f.Kind() == reflect.Ptr && !f.IsNil()) {
				out = append(out, o.on, v)
			}
		case optInt:
			if !f.IsNil() {
				out = append(out, o.on, strconv.FormatInt(f.Elem().Int(), 10))
			}
		case optTime:
			if !f.IsNil() {
				out = append(out, o.on, serializeTime(f.Elem().Int()))
			}
		}
	}
	return out
}

// parseAddress is client-native ParseAddress for IPv4, names and bracketed IPv6.
func parseAddress(a string) (string, *int64) {
	if strings.HasPrefix(a, "[") && strings.ContainsRune(a, ']') {
		sp := strings.Split(a, "]")
		host := strings.TrimPrefix(sp[0], "[")
		if len(sp) == 2 {
			if p, err := strconv.ParseInt(strings.ReplaceAll(sp[1], ":", ""), 10, 64); err == nil {
				return host, &p
			}
		}
		return host, nil
	}
	switch strings.Count(a, ":") {
	case 0:
		return a, nil
	case 1:
		sp := strings.Split(a, ":")
		if p, err := strconv.ParseInt(sp[1], 10, 64); err == nil {
			return sp[0], &p
		}
		return sp[0], nil
	default:
		idx := strings.LastIndex(a, ":")
		if p, err := strconv.ParseInt(a[idx+1:], 10, 16); err == nil {
			return a[:idx], &p
		}
		return a, nil
	}
}

// parseServerLine reads a `server` line of a section.
func parseServerLine(l cfgLine) (*serverModel, error) {
	p := l.Parts
	if len(p) < 3 || p[0] != "server" {
		return nil, fmt.Errorf("not a server line: %s", l.Data())
	}
	if l.Comment != "" {
		return nil, &notModelled{what: fmt.Sprintf("the comment (server metadata) of server %s", p[1])}
	}
	s := &serverModel{Name: p[1]}
	s.Address, s.Port = parseAddress(p[2])
	id, err := parseServerOptions(p[3:], &s.serverParams, true)
	if err != nil {
		return nil, err
	}
	s.ID = id
	return s, nil
}

// renderServerLine is SerializeServer: name, address[:port], params, id.
func renderServerLine(s *serverModel) cfgLine {
	addr := s.Address
	if strings.Count(addr, ":") > 1 && !strings.HasPrefix(addr, "[") {
		addr = "[" + addr + "]"
	}
	if s.Port != nil {
		addr = fmt.Sprintf("%s:%d", addr, *s.Port)
	}
	parts := []string{"server", s.Name, addr}
	parts = append(parts, renderServerOptions(s.serverParams)...)
	if s.ID != nil {
		parts = append(parts, "id", strconv.FormatInt(*s.ID, 10))
	}
	return cfgLine{Parts: parts}
}

// decodeStrict decodes a JSON body into v, refusing fields the stand-in does not model.
func decodeStrict(body []byte, v interface{}, what string) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return fmt.Errorf("parsing body body from \"\" failed, because %v", err)
	}
	known := jsonFieldNames(reflect.TypeOf(v).Elem())
	var unknown []string
	for k := range raw {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return &notModelled{what: fmt.Sprintf("%s field(s) %s", what, strings.Join(unknown, ", "))}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	return dec.Decode(v)
}

func jsonFieldNames(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			for k := range jsonFieldNames(f.Type) {
				out[k] = true
			}
			continue
		}
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

// validateServer is the part of models.Server validation the stand-in does (422).
func validateServer(s *serverModel) error {
	if s.Name == "" || strings.ContainsAny(s.Name, " \t\n") {
		return fmt.Errorf("name in body should match '^[^\\s]+$'")
	}
	if s.Address == "" || strings.ContainsAny(s.Address, " \t\n") {
		return fmt.Errorf("address in body should match '^[^\\s]+$'")
	}
	if s.Port != nil && (*s.Port < 1 || *s.Port > 65535) {
		return fmt.Errorf("port in body should be between 1 and 65535")
	}
	pv := reflect.ValueOf(s.serverParams)
	for _, o := range serverOpts {
		if o.kind != optToggle {
			continue
		}
		v := pv.FieldByName(o.field).String()
		if v != "" && v != "enabled" && v != "disabled" {
			name := jsonName(reflect.TypeOf(s.serverParams), o.field)
			return fmt.Errorf("%s in body should be one of [enabled disabled]", name)
		}
	}
	switch s.Verify {
	case "", "none", "required":
	default:
		return fmt.Errorf("verify in body should be one of [none required]")
	}
	return nil
}

func jsonName(t reflect.Type, field string) string {
	f, _ := t.FieldByName(field)
	return strings.Split(f.Tag.Get("json"), ",")[0]
}

// serverDiff is dataplaneapi handlers/runtime.go compareObjects for the
// server model: the names of the scalar fields (recursing into the inline
// params) whose values differ; a nil and a set pointer differ.
func serverDiff(a, b serverModel) []string {
	var diff []string
	var walk func(x, y reflect.Value)
	walk = func(x, y reflect.Value) {
		for i := 0; i < x.NumField(); i++ {
			name := x.Type().Field(i).Name
			fx, fy := x.Field(i), y.Field(i)
			if fx.Kind() == reflect.Struct {
				walk(fx, fy)
				continue
			}
			if fx.Kind() == reflect.Ptr {
				if fx.IsNil() != fy.IsNil() {
					diff = append(diff, name)
					continue
				}
				if fx.IsNil() {
					continue
				}
				fx, fy = fx.Elem(), fy.Elem()
			}
			switch fx.Kind() {
			case reflect.String:
				if fx.String() != fy.String() {
					diff = append(diff, name)
				}
			case reflect.Int64:
				if fx.Int() != fy.Int() {
					diff = append(diff, name)
				}
			}
		}
	}
	walk(reflect.ValueOf(a), reflect.ValueOf(b))
	return diff
}

// runtimeServerFields are dataplaneapi handlers/runtime.go RuntimeSupportedFields["server"].
var runtimeServerFields = map[string]bool{
	"Weight": true, "Address": true, "Port": true, "Maintenance": true,
	"AgentCheck": true, "AgentAddr": true, "AgentSend": true, "HealthCheckPort": true,
}

// runtimeServerCommands turns a diff into the runtime commands
// changeThroughRuntimeAPI sends (cn runtime/servers.go); ok is false when a
// field outside runtimeServerFields changed (a reload is needed), or when a
// value would be refused before sending (cn ServerWeightValid/...).
func runtimeServerCommands(backend string, data serverModel, diff []string) (cmds []string, ok bool) {
	for _, f := range diff {
		if !runtimeServerFields[f] {
			return nil, false
		}
	}
	addrDone := false
	for _, f := range diff {
		switch f {
		case "Weight":
			if data.Weight == nil || *data.Weight < 0 || *data.Weight > 256 {
				return nil, false
			}
			cmds = append(cmds, fmt.Sprintf("set server %s/%s weight %d", backend, data.Name, *data.Weight))
		case "HealthCheckPort":
			if data.HealthCheckPort == nil || *data.HealthCheckPort < 1 || *data.HealthCheckPort > 65535 {
				return nil, false
			}
			cmds = append(cmds, fmt.Sprintf("set server %s/%s check-port %d", backend, data.Name, *data.HealthCheckPort))
		case "Address", "Port":
			if addrDone {
				continue
			}
			addrDone = true
			port := int64(0)
			if data.Port != nil {
				port = *data.Port
			}
			if port > 0 {
				cmds = append(cmds, fmt.Sprintf("set server %s/%s addr %s port %d", backend, data.Name, data.Address, port))
			} else {
				cmds = append(cmds, fmt.Sprintf("set server %s/%s addr %s", backend, data.Name, data.Address))
			}
		case "Maintenance":
			state := "ready"
			if data.Maintenance == "enabled" {
				state = "maint"
			}
			cmds = append(cmds, fmt.Sprintf("set server %s/%s state %s", backend, data.Name, state))
		case "AgentCheck":
			switch data.AgentCheck {
			case "enabled":
				cmds = append(cmds, fmt.Sprintf("enable agent %s/%s", backend, data.Name))
			case "disabled":
				cmds = append(cmds, fmt.Sprintf("disable agent %s/%s", backend, data.Name))
			}
		case "AgentAddr":
			cmds = append(cmds, fmt.Sprintf("set server %s/%s agent-addr %s", backend, data.Name, data.AgentAddr))
		case "AgentSend":
			cmds = append(cmds, fmt.Sprintf("set server %s/%s agent-send %s", backend, data.Name, data.AgentSend))
		}
	}
	return cmds, true
}

// runtimeAddServerArgs is dataplaneapi handlers/runtime_server.go
// SerializeRuntimeAddServer for the subset (its order, times as plain
// milliseconds); `enabled` only for HAProxy < 3.0. ok is false where
// misc.ConvertStruct into RuntimeAddServer fails: its id is a string, so a
// numeric id does not convert and the handler falls back to a reload.
func runtimeAddServerArgs(s *serverModel, v *haproxyVersion) (string, bool) {
	if s.ID != nil {
		return "", false
	}
	var b strings.Builder
	push := func(w ...string) {
		for _, x := range w {
			b.WriteByte(' ')
			b.WriteString(x)
		}
	}
	pushi := func(k string, p *int64) {
		if p != nil {
			push(k, strconv.FormatInt(*p, 10))
		}
	}
	addr := s.Address
	if s.Port != nil {
		addr += fmt.Sprintf(":%d", *s.Port)
	}
	push(addr)
	if s.AgentCheck == "enabled" {
		push("agent-check")
	}
	if s.AgentAddr != "" {
		push("agent-addr", s.AgentAddr)
	}
	pushi("agent-port", s.AgentPort)
	pushi("agent-inter", s.AgentInter)
	if s.AgentSend != "" {
		push("agent-send", s.AgentSend)
	}
	if s.Backup == "enabled" {
		push("backup")
	}
	if s.SslCafile != "" {
		push("ca-file", s.SslCafile)
	}
	if s.Check == "enabled" {
		push("check")
	}
	if s.HealthCheckAddress != "" {
		push("addr", s.HealthCheckAddress)
	}
	pushi("port", s.HealthCheckPort)
	if s.CheckSsl == "enabled" {
		push("check-ssl")
	}
	if s.SslCertificate != "" {
		push("crt", s.SslCertificate)
	}
	if s.Maintenance == "enabled" {
		push("disabled")
	}
	pushi("downinter", s.Downinter)
	if s.Maintenance == "disabled" && !v.atLeast(3, 0, 0) {
		push("enabled")
	}
	pushi("fall", s.Fall)
	pushi("fastinter", s.Fastinter)
	pushi("inter", s.Inter)
	pushi("maxconn", s.Maxconn)
	pushi("rise", s.Rise)
	if s.SendProxy == "enabled" {
		push("send-proxy")
	}
	pushi("slowstart", s.Slowstart)
	if s.Sni != "" {
		push("sni", s.Sni)
	}
	if s.Ssl == "enabled" {
		push("ssl")
	}
	if s.Verify != "" {
		push("verify", s.Verify)
	}
	if s.Verifyhost != "" {
		push("verifyhost", s.Verifyhost)
	}
	pushi("weight", s.Weight)
	return b.String(), true
}

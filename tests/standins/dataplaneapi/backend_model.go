package main

// The backend model (client-native v6.2.0 models/backend_base.go) for the
// subset of keywords the stand-in knows, read from and written to a
// backend section. A PUT sets every field of the model, deleting the
// directive of each field the body leaves out (cn configuration.go
// CreateEditSection), and keeps child objects (servers, log targets, rules).

import (
	"fmt"
	"strconv"
	"strings"
)

type balanceModel struct {
	Algorithm string `json:"algorithm"`
}

type httpchkParams struct {
	Host    string `json:"host,omitempty"`
	Method  string `json:"method,omitempty"`
	URI     string `json:"uri,omitempty"`
	Version string `json:"version,omitempty"`
}

type errorfileModel struct {
	Code int64  `json:"code,omitempty"`
	File string `json:"file,omitempty"`
}

type defaultServerModel struct {
	serverParams
}

type backendModel struct {
	AdvCheck             string              `json:"adv_check,omitempty"`
	Balance              *balanceModel       `json:"balance,omitempty"`
	CheckTimeout         *int64              `json:"check_timeout,omitempty"`
	ConnectTimeout       *int64              `json:"connect_timeout,omitempty"`
	DefaultServer        *defaultServerModel `json:"default_server,omitempty"`
	Description          string              `json:"description,omitempty"`
	ErrorFiles           []*errorfileModel   `json:"error_files,omitempty"`
	From                 string              `json:"from,omitempty"`
	HTTPKeepAliveTimeout *int64              `json:"http_keep_alive_timeout,omitempty"`
	HTTPRequestTimeout   *int64              `json:"http_request_timeout,omitempty"`
	HttpchkParams        *httpchkParams      `json:"httpchk_params,omitempty"`
	ID                   *int64              `json:"id,omitempty"`
	Mode                 string              `json:"mode,omitempty"`
	Name                 string              `json:"name"`
	QueueTimeout         *int64              `json:"queue_timeout,omitempty"`
	Retries              *int64              `json:"retries,omitempty"`
	ServerTimeout        *int64              `json:"server_timeout,omitempty"`
	TunnelTimeout        *int64              `json:"tunnel_timeout,omitempty"`
}

// backendChildKeywords start lines that belong to child objects of a
// backend (servers, log targets, ACLs, rules, checks, ...) or that
// config-parser does not parse in a backend (kept as they are); a PUT of
// the backend keeps them.
var backendChildKeywords = map[string]bool{
	"server": true, "server-template": true, "log": true, "acl": true,
	"http-request": true, "http-response": true, "http-after-response": true,
	"tcp-request": true, "tcp-response": true, "use-server": true,
	"http-check": true, "tcp-check": true, "stick": true, "http-error": true,
	"filter": true,
}

// backendKeptOptions are `option` lines config-parser has no backend parser
// for (Debian's stock defaults carry them): unprocessed lines, kept by a PUT.
var backendKeptOptions = map[string]bool{"httplog": true, "dontlognull": true}

// backendTimeouts: `timeout <name>` ↔ field, in config-parser's backend sequence.
var backendTimeouts = []struct {
	name  string
	field func(b *backendModel) **int64
}{
	{"http-request", func(b *backendModel) **int64 { return &b.HTTPRequestTimeout }},
	{"queue", func(b *backendModel) **int64 { return &b.QueueTimeout }},
	{"http-keep-alive", func(b *backendModel) **int64 { return &b.HTTPKeepAliveTimeout }},
	{"check", func(b *backendModel) **int64 { return &b.CheckTimeout }},
	{"tunnel", func(b *backendModel) **int64 { return &b.TunnelTimeout }},
	{"server", func(b *backendModel) **int64 { return &b.ServerTimeout }},
	{"connect", func(b *backendModel) **int64 { return &b.ConnectTimeout }},
}

// isBackendChildLine says whether a line is kept by a PUT of its backend.
func isBackendChildLine(l cfgLine) bool {
	if len(l.Parts) == 0 {
		return true
	}
	if strings.HasPrefix(l.Parts[0], "#") {
		return true
	}
	if backendChildKeywords[l.Parts[0]] {
		return true
	}
	return l.Parts[0] == "option" && len(l.Parts) == 2 && backendKeptOptions[l.Parts[1]]
}

var balanceAlgorithms = map[string]bool{
	"roundrobin": true, "static-rr": true, "leastconn": true, "first": true, "source": true, "random": true,
}

// parseBackend reads the model fields of a backend section.
func parseBackend(s *cfgSection) (*backendModel, error) {
	b := &backendModel{Name: s.Name, From: s.From}
	if s.Comment != "" {
		return nil, &notModelled{what: fmt.Sprintf("the comment (metadata) of backend %s", s.Name)}
	}
	for _, l := range s.Lines {
		if isBackendChildLine(l) {
			continue
		}
		p := l.Parts
		bad := &notModelled{what: fmt.Sprintf("the backend line %q", l.Data())}
		if l.Comment != "" {
			return nil, &notModelled{what: fmt.Sprintf("the comment on backend line %q", l.Data())}
		}
		switch p[0] {
		case "mode":
			if len(p) != 2 {
				return nil, bad
			}
			b.Mode = p[1]
		case "balance":
			if len(p) != 2 || !balanceAlgorithms[p[1]] {
				return nil, bad
			}
			b.Balance = &balanceModel{Algorithm: p[1]}
		case "description":
			b.Description = strings.Join(p[1:], " ")
		case "id":
			n, err := strconv.ParseInt(strings.Join(p[1:], ""), 10, 64)
			if err != nil || len(p) != 2 {
				return nil, bad
			}
			b.ID = &n
		case "retries":
			n, err := strconv.ParseInt(strings.Join(p[1:], ""), 10, 64)
			if err != nil || len(p) != 2 {
				return nil, bad
			}
			b.Retries = &n
		case "option":
			if len(p) < 2 {
				return nil, bad
			}
			switch p[1] {
			case "httpchk":
				hp := &httpchkParams{}
				switch len(p) {
				case 2:
				case 3:
					hp.URI = p[2]
				case 4:
					hp.Method, hp.URI = p[2], p[3]
				case 5:
					hp.Method, hp.URI, hp.Version = p[2], p[3], p[4]
				case 6:
					hp.Method, hp.URI, hp.Version, hp.Host = p[2], p[3], p[4], p[5]
				default:
					return nil, bad
				}
				b.AdvCheck = "httpchk"
				b.HttpchkParams = hp
			case "tcp-check", "ssl-hello-chk", "ldap-check", "redis-check":
				if len(p) != 2 {
					return nil, bad
				}
				b.AdvCheck = p[1]
			default:
				return nil, bad
			}
		case "timeout":
			if len(p) != 3 {
				return nil, bad
			}
			found := false
			for _, t := range backendTimeouts {
				if t.name == p[1] {
					v := parseTimeout(p[2])
					if v == nil {
						return nil, bad
					}
					*t.field(b) = v
					found = true
				}
			}
			if !found {
				return nil, bad
			}
		case "default-server":
			ds := &defaultServerModel{}
			id, err := parseServerOptions(p[1:], &ds.serverParams, false)
			if err != nil || id != nil {
				return nil, bad
			}
			b.DefaultServer = ds
		case "errorfile":
			if len(p) != 3 {
				return nil, bad
			}
			c, err := strconv.ParseInt(p[1], 10, 64)
			if err != nil {
				return nil, bad
			}
			b.ErrorFiles = append(b.ErrorFiles, &errorfileModel{Code: c, File: p[2]})
		default:
			return nil, bad
		}
	}
	return b, nil
}

// renderBackendFields writes the model's directives in config-parser's
// backend sequence (id, description, mode, balance, the check options,
// timeouts, default-server, errorfile, retries).
func renderBackendFields(b *backendModel) ([]cfgLine, error) {
	var out []cfgLine
	add := func(parts ...string) { out = append(out, cfgLine{Parts: parts}) }
	if b.ID != nil {
		add("id", strconv.FormatInt(*b.ID, 10))
	}
	if b.Description != "" {
		add(append([]string{"description"}, strings.Fields(b.Description)...)...)
	}
	if b.Mode != "" {
		add("mode", b.Mode)
	}
	if b.Balance != nil && b.Balance.Algorithm != "" {
		add("balance", b.Balance.Algorithm)
	}
	switch b.AdvCheck {
	case "":
	case "ssl-hello-chk", "ldap-check", "redis-check", "tcp-check":
		add("option", b.AdvCheck)
	case "httpchk":
		parts := []string{"option", "httpchk"}
		if hp := b.HttpchkParams; hp != nil {
			for _, w := range []string{hp.Method, hp.URI, hp.Version, hp.Host} {
				if w != "" {
					parts = append(parts, w)
				}
			}
		}
		add(parts...)
	}
	for _, t := range backendTimeouts {
		if v := *t.field(b); v != nil {
			add("timeout", t.name, serializeTime(*v))
		}
	}
	if b.DefaultServer != nil {
		if opts := renderServerOptions(b.DefaultServer.serverParams); len(opts) > 0 {
			add(append([]string{"default-server"}, opts...)...)
		}
	}
	for _, e := range b.ErrorFiles {
		if e != nil {
			add("errorfile", strconv.FormatInt(e.Code, 10), e.File)
		}
	}
	if b.Retries != nil {
		add("retries", strconv.FormatInt(*b.Retries, 10))
	}
	return out, nil
}

// validateBackend is the part of models.Backend validation the stand-in does (422).
func validateBackend(b *backendModel) error {
	if b.Name == "" || strings.ContainsAny(b.Name, " \t\n") {
		return fmt.Errorf("name in body should match '^[A-Za-z0-9-_.:]+$'")
	}
	switch b.Mode {
	case "", "http", "tcp", "log":
	default:
		return fmt.Errorf("mode in body should be one of [http tcp log]")
	}
	switch b.AdvCheck {
	case "", "httpchk", "ssl-hello-chk", "ldap-check", "redis-check", "tcp-check":
	case "smtpchk", "mysql-check", "pgsql-check":
		return &notModelled{what: "adv_check " + b.AdvCheck}
	default:
		return fmt.Errorf("adv_check in body should be one of [httpchk ldap-check mysql-check pgsql-check redis-check smtpchk ssl-hello-chk tcp-check]")
	}
	if b.HttpchkParams != nil {
		switch b.HttpchkParams.Method {
		case "", "HEAD", "PUT", "POST", "GET", "TRACE", "PATCH", "DELETE", "CONNECT", "OPTIONS":
		default:
			return fmt.Errorf("httpchk_params.method in body should be one of [HEAD PUT POST GET TRACE PATCH DELETE CONNECT OPTIONS]")
		}
	}
	if b.Balance != nil && !balanceAlgorithms[b.Balance.Algorithm] {
		if b.Balance.Algorithm == "" {
			return fmt.Errorf("balance.algorithm in body is required")
		}
		return &notModelled{what: "balance algorithm " + b.Balance.Algorithm}
	}
	if b.DefaultServer != nil {
		tmp := serverModel{serverParams: b.DefaultServer.serverParams, Name: "x", Address: "x"}
		if err := validateServer(&tmp); err != nil {
			return fmt.Errorf("default_server.%s", err.Error())
		}
	}
	return nil
}

// replaceBackend is EditBackend on a section: every model directive goes,
// the body's are written (before the kept lines), the kept lines stay in
// their order; `from` is the header's.
func replaceBackend(s *cfgSection, b *backendModel) error {
	fields, err := renderBackendFields(b)
	if err != nil {
		return err
	}
	var kept []cfgLine
	for _, l := range s.Lines {
		if isBackendChildLine(l) {
			kept = append(kept, l)
		}
	}
	s.Lines = append(fields, kept...)
	s.From = b.From
	return nil
}

// backendServers returns the servers of a backend section with their line indices.
func backendServers(s *cfgSection) ([]*serverModel, []int, error) {
	var out []*serverModel
	var idx []int
	for i, l := range s.Lines {
		if len(l.Parts) > 0 && l.Parts[0] == "server" {
			sv, err := parseServerLine(l)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, sv)
			idx = append(idx, i)
		}
	}
	return out, idx, nil
}

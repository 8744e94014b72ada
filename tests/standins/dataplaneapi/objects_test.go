package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, text string) *haproxyConfig {
	t.Helper()
	c, err := parseHaproxyConfig(strings.NewReader(text), parseOptions{namedDefaultsFrom: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestServerLineRoundTrip(t *testing.T) {
	for _, tc := range []struct{ in, json, out string }{
		{"server web1 127.0.0.1:8081 weight 100", `{"weight":100,"address":"127.0.0.1","name":"web1","port":8081}`, "server web1 127.0.0.1:8081 weight 100"},
		// the program's line (components/haproxy/sections.ts); cn writes ca-file before verify
		{"server dataplane 127.0.0.1:5555 check ssl verify required ca-file /etc/haproxy-dataplane/tls/ca.crt verifyhost h1",
			`{"check":"enabled","ssl":"enabled","ssl_cafile":"/etc/haproxy-dataplane/tls/ca.crt","verify":"required","verifyhost":"h1","address":"127.0.0.1","name":"dataplane","port":5555}`,
			"server dataplane 127.0.0.1:5555 check ssl ca-file /etc/haproxy-dataplane/tls/ca.crt verify required verifyhost h1"},
		{"server o1 127.0.0.1:9 disabled", `{"maintenance":"enabled","address":"127.0.0.1","name":"o1","port":9}`, "server o1 127.0.0.1:9 disabled"},
		{"server s 10.0.0.1:80 inter 5000 rise 2 fall 3 backup id 7 no-check", `{"backup":"enabled","check":"disabled","fall":3,"inter":5000,"rise":2,"address":"10.0.0.1","id":7,"name":"s","port":80}`,
			"server s 10.0.0.1:80 backup no-check fall 3 inter 5s rise 2 id 7"},
	} {
		parts, _ := splitLine(tc.in)
		s, err := parseServerLine(cfgLine{Parts: parts})
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		b, _ := json.Marshal(s)
		if string(b) != tc.json {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, b, tc.json)
		}
		if got := renderServerLine(s).Data(); got != tc.out {
			t.Errorf("render: got %q want %q", got, tc.out)
		}
		var back serverModel
		if err := decodeStrict(b, &back, "server"); err != nil {
			t.Fatal(err)
		}
		if len(serverDiff(back, *s)) != 0 {
			t.Errorf("JSON round trip differs: %v", serverDiff(back, *s))
		}
	}
}

func TestNotModelledIsRefused(t *testing.T) {
	parts, _ := splitLine("server x 1.2.3.4:80 check proto h2")
	if _, err := parseServerLine(cfgLine{Parts: parts}); err == nil || !strings.Contains(err.Error(), `"proto" is not modelled`) {
		t.Errorf("got %v", err)
	}
	var s serverModel
	err := decodeStrict([]byte(`{"name":"a","address":"b","proto":"h2"}`), &s, "server")
	if _, ok := err.(*notModelled); !ok || !strings.Contains(err.Error(), "server field(s) proto") {
		t.Errorf("got %v", err)
	}
	c := mustParse(t, "backend b\n  option redispatch\n")
	if _, err := parseBackend(c.Sections["backend"]["b"]); err == nil || !strings.Contains(err.Error(), `"option redispatch" is not modelled`) {
		t.Errorf("got %v", err)
	}
}

const debianDefaults = "defaults\n\tlog\tglobal\n\tmode\thttp\n\toption\thttplog\n\toption\tdontlognull\n        timeout connect 5000\n        timeout client  50000\n        timeout server  50000\n" +
	"\terrorfile 400 /etc/haproxy/errors/400.http\n\terrorfile 503 /etc/haproxy/errors/503.http\n"

func TestBackendParseAndRender(t *testing.T) {
	// Debian's stock defaults lines, as a backend would carry them
	c := mustParse(t, strings.Replace(debianDefaults, "defaults", "backend d", 1))
	if _, err := parseBackend(c.Sections["backend"]["d"]); err == nil || !strings.Contains(err.Error(), "timeout client") {
		t.Errorf("timeout client is a frontend keyword: %v", err)
	}
	c = mustParse(t, strings.Replace(strings.Replace(debianDefaults, "defaults", "backend d", 1), "        timeout client  50000\n", "", 1))
	b, err := parseBackend(c.Sections["backend"]["d"])
	if err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(b)
	want := `{"connect_timeout":5000,"error_files":[{"code":400,"file":"/etc/haproxy/errors/400.http"},{"code":503,"file":"/etc/haproxy/errors/503.http"}],"mode":"http","name":"d","server_timeout":50000}`
	if string(j) != want {
		t.Errorf("got  %s\nwant %s", j, want)
	}
	lines, _ := renderBackendFields(b)
	var got []string
	for _, l := range lines {
		got = append(got, l.Data())
	}
	if w := "mode http|timeout server 50s|timeout connect 5s|errorfile 400 /etc/haproxy/errors/400.http|errorfile 503 /etc/haproxy/errors/503.http"; strings.Join(got, "|") != w {
		t.Errorf("got %q", strings.Join(got, "|"))
	}
}

// The lab's backend web and the health-check change of the e2e scenario.
func TestPutBackendDeletesOmittedFieldsKeepsServers(t *testing.T) {
	c := mustParse(t, "defaults\n  mode http\n\nbackend web\n    balance roundrobin\n    timeout check 2s\n    server web1 127.0.0.1:8081 weight 100\n    log global\n")
	s := c.Sections["backend"]["web"]
	b, err := parseBackend(s)
	if err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(b)
	if string(j) != `{"balance":{"algorithm":"roundrobin"},"check_timeout":2000,"from":"unnamed_defaults_1","name":"web"}` {
		t.Errorf("GET: %s", j)
	}
	var body backendModel
	if err := decodeStrict([]byte(`{"name":"web","from":"unnamed_defaults_1","balance":{"algorithm":"roundrobin"},"adv_check":"httpchk","httpchk_params":{"method":"GET","uri":"/health"}}`), &body, "backend"); err != nil {
		t.Fatal(err)
	}
	if err := validateBackend(&body); err != nil {
		t.Fatal(err)
	}
	if err := replaceBackend(s, &body); err != nil {
		t.Fatal(err)
	}
	out := c.String()
	want := "\nbackend web from unnamed_defaults_1\n  balance roundrobin\n  option httpchk GET /health\n  server web1 127.0.0.1:8081 weight 100\n  log global\n"
	if !strings.HasSuffix(out, want) {
		t.Errorf("got:\n%s", out)
	}
}

func TestServerDiffAndRuntimeDecision(t *testing.T) {
	base := serverModel{Name: "web1", Address: "127.0.0.1", Port: int64p(8081), serverParams: serverParams{Weight: int64p(100)}}
	w150 := base
	w150.Weight = int64p(150)
	d := serverDiff(w150, base)
	if !reflect.DeepEqual(d, []string{"Weight"}) {
		t.Fatalf("diff %v", d)
	}
	cmds, ok := runtimeServerCommands("web", w150, d)
	if !ok || !reflect.DeepEqual(cmds, []string{"set server web/web1 weight 150"}) {
		t.Errorf("cmds %v %v", cmds, ok)
	}
	// address and port: one command
	moved := base
	moved.Address, moved.Port = "127.0.0.2", int64p(8082)
	cmds, ok = runtimeServerCommands("web", moved, serverDiff(moved, base))
	if !ok || !reflect.DeepEqual(cmds, []string{"set server web/web1 addr 127.0.0.2 port 8082"}) {
		t.Errorf("cmds %v", cmds)
	}
	maint := base
	maint.Maintenance = "enabled"
	cmds, _ = runtimeServerCommands("web", maint, serverDiff(maint, base))
	if !reflect.DeepEqual(cmds, []string{"set server web/web1 state maint"}) {
		t.Errorf("cmds %v", cmds)
	}
	hp := base
	hp.HealthCheckPort = int64p(9000)
	cmds, _ = runtimeServerCommands("web", hp, serverDiff(hp, base))
	if !reflect.DeepEqual(cmds, []string{"set server web/web1 check-port 9000"}) {
		t.Errorf("cmds %v", cmds)
	}
	// another difference: a reload; a body omitting weight differs too
	chk := w150
	chk.Check = "enabled"
	if _, ok := runtimeServerCommands("web", chk, serverDiff(chk, base)); ok {
		t.Error("check is not a runtime field")
	}
	noWeight := base
	noWeight.Weight = nil
	if d := serverDiff(noWeight, base); !reflect.DeepEqual(d, []string{"Weight"}) {
		t.Errorf("diff %v", d)
	}
	if _, ok := runtimeServerCommands("web", noWeight, []string{"Weight"}); ok {
		t.Error("no weight cannot be set at run time")
	}
	if d := serverDiff(base, base); len(d) != 0 {
		t.Errorf("same: %v", d)
	}
}

func TestRuntimeAddServerCommand(t *testing.T) {
	s := &serverModel{Name: "web2", Address: "127.0.0.1", Port: int64p(8082), serverParams: serverParams{Check: "enabled", Inter: int64p(5000)}}
	v26 := &haproxyVersion{Major: 2, Minor: 6, Patch: 12}
	v30 := &haproxyVersion{Major: 3, Minor: 0, Patch: 11}
	if a, ok := runtimeAddServerArgs(s, v30); !ok || a != " 127.0.0.1:8082 check inter 5000" {
		t.Errorf("got %q", a)
	}
	s.Maintenance = "disabled"
	if a, _ := runtimeAddServerArgs(s, v26); a != " 127.0.0.1:8082 check enabled inter 5000" {
		t.Errorf("2.6: got %q", a)
	}
	if a, _ := runtimeAddServerArgs(s, v30); a != " 127.0.0.1:8082 check inter 5000" {
		t.Errorf("3.0 refuses enabled: got %q", a)
	}
	s.ID = int64p(3)
	if _, ok := runtimeAddServerArgs(s, v30); ok {
		t.Error("a numeric id does not convert into RuntimeAddServer (its id is a string)")
	}
	if l := renderServerLine(&serverModel{Name: "web2", Address: "127.0.0.1", Port: int64p(8082), serverParams: serverParams{Check: "enabled", Inter: int64p(5000)}}).Data(); l != "server web2 127.0.0.1:8082 check inter 5s" {
		t.Errorf("file line %q", l)
	}
}

func TestParseServersState(t *testing.T) {
	out := "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n" +
		"3 web 1 web1 127.0.0.1 2 0 100 100 12 1 0 0 0 0 0 0 - 8081 - 0 0 - - 0\n" +
		"3 web 2 web2 127.0.0.1 0 20 1 1 3 1 0 0 0 0 0 0 - 8082 - 0 0 - - 0"
	l, err := parseServersState(out)
	if err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(l)
	want := `[{"address":"127.0.0.1","admin_state":"ready","id":"1","name":"web1","operational_state":"up","port":8081},{"address":"127.0.0.1","admin_state":"maint","id":"2","name":"web2","operational_state":"down","port":8082}]`
	if string(j) != want {
		t.Errorf("got %s", j)
	}
}

func TestTransactionFilesAndOutdated(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "haproxy.cfg")
	tdir := filepath.Join(dir, "tx")
	os.WriteFile(cfg, []byte("# _version=3\nglobal\n  daemon\n"), 0o644)
	a := &api{s: &settings{ConfigFile: cfg, TransactionDir: tdir}}
	a.main = mustParse(t, "# _version=3\nglobal\n  daemon\n")
	if _, err := a.startTransaction(2); err == nil || err.(*confError).code != 409 {
		t.Fatalf("stale version: %v", err)
	}
	t1, err := a.startTransaction(3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(tdir, "haproxy.cfg."+t1.ID)); err != nil {
		t.Fatalf("transaction file: %v", err)
	}
	if transactionIDFromFile("haproxy.cfg."+t1.ID) != t1.ID {
		t.Error("id from file name")
	}
	ts, _ := a.listTransactions("")
	if len(ts) != 1 || ts[0].Version != 3 || ts[0].Status != "in_progress" {
		t.Errorf("list %+v", ts)
	}
	// a change in the transaction touches only its file
	if err := a.change(t1.ID, 0, func(c *haproxyConfig) error {
		c.add(&cfgSection{Kind: "backend", Name: "b"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(cfg); strings.Contains(string(b), "backend") {
		t.Error("haproxy.cfg changed")
	}
	// moved to outdated/: listed as such, not committable
	moveTransaction(filepath.Join(tdir, "haproxy.cfg."+t1.ID), "outdated")
	got, err := a.getTransaction(t1.ID)
	if err != nil || got.Status != "outdated" {
		t.Errorf("%+v %v", got, err)
	}
	if _, err := a.commitTransaction(t1.ID); err == nil || err.(*confError).code != 406 {
		t.Errorf("commit outdated: %v", err)
	}
	if err := a.deleteTransaction(t1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.getTransaction(t1.ID); err == nil || err.(*confError).code != 404 {
		t.Errorf("deleted: %v", err)
	}
	// a transaction of an older version cannot be committed: outdated/, 409
	t2, _ := a.startTransaction(3)
	a.main.Version = 4
	if _, err := a.commitTransaction(t2.ID); err == nil || err.(*confError).code != 409 {
		t.Errorf("commit stale: %v", err)
	}
	if _, err := os.Stat(filepath.Join(tdir, "outdated", "haproxy.cfg."+t2.ID)); err != nil {
		t.Errorf("not in outdated/: %v", err)
	}
	// start: an unreadable in-progress file is fatal
	if err := a.loadTransactionsAtStart(); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(tdir, "haproxy.cfg.dir"), 0o755)
	os.WriteFile(filepath.Join(tdir, "haproxy.cfg.x"), nil, 0o000)
	if os.Geteuid() != 0 {
		if err := a.loadTransactionsAtStart(); err == nil {
			t.Error("unreadable transaction accepted")
		}
	}
}

func TestSSLStorageHelpers(t *testing.T) {
	for in, want := range map[string]string{"my cert.pem": "my_cert.pem", "../../etc/passwd": "_etc_passwd", "a.b.pem": "a_b.pem", ".pem": "_pem", "x": "x"} {
		if got := sanitizeFilename(in); got != want {
			t.Errorf("sanitize %q: got %q want %q", in, got, want)
		}
	}
	cmds := runtimeCertCommands("/etc/haproxy/ssl/a.pem", "PEM\n")
	if strings.Join(cmds, "|") != "new ssl cert /etc/haproxy/ssl/a.pem|set ssl cert /etc/haproxy/ssl/a.pem <<\nPEM\n\n|commit ssl cert /etc/haproxy/ssl/a.pem" {
		t.Errorf("%q", cmds)
	}
	if !certReplyOK(0, "New empty certificate store '/etc/haproxy/ssl/a.pem'!") || !certReplyOK(1, "Transaction created for certificate /etc/haproxy/ssl/a.pem!") ||
		!certReplyOK(2, "Committing /etc/haproxy/ssl/a.pem\nSuccess!") || certReplyOK(2, "[3]: error") {
		t.Error("reply judgement")
	}
	if err := validatePEM([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")); err == nil {
		t.Error("no certificate that parses")
	}
}

package main

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"
)

// The Debian 12 stock haproxy.cfg head, with the program's userlist and backend appended.
const stockCfg = `global
	log /dev/log	local0
	log /dev/log	local1 notice
	chroot /var/lib/haproxy
	stats socket /run/haproxy/admin.sock mode 660 level admin
	stats timeout 30s
	user haproxy
	group haproxy
	daemon

	# Default SSL material locations
	ca-base /etc/ssl/certs

defaults
	log	global
	mode	http
	option	httplog
        timeout connect 5000

frontend web
    bind :80 # the application
    default_backend web1

backend web1
    server app1 127.0.0.1:8080 check

userlist controller
    user dpadmin password $6$salt$hash

backend haproxy-dataplane-api
    server dataplane 127.0.0.1:5555 check
`

func parse(t *testing.T, text string, named bool) *haproxyConfig {
	t.Helper()
	c, err := parseHaproxyConfig(strings.NewReader(text), parseOptions{namedDefaultsFrom: named})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWriterFormat(t *testing.T) {
	c := parse(t, stockCfg, true)
	c.AddDisclaimer()
	c.Version = 7
	got := c.String()
	want := `# _version=7
# Dataplaneapi managed File
# changing file directly can cause a conflict if dataplaneapi is running

global
  log /dev/log local0
  log /dev/log local1 notice
  chroot /var/lib/haproxy
  stats socket /run/haproxy/admin.sock mode 660 level admin
  stats timeout 30s
  user haproxy
  group haproxy
  daemon
  ca-base /etc/ssl/certs

# Default SSL material locations
defaults unnamed_defaults_1
  log global
  mode http
  option httplog
  timeout connect 5000

userlist controller
  user dpadmin password $6$salt$hash

frontend web from unnamed_defaults_1
  bind :80 # the application
  default_backend web1

backend haproxy-dataplane-api from unnamed_defaults_1
  server dataplane 127.0.0.1:5555 check

backend web1 from unnamed_defaults_1
  server app1 127.0.0.1:8080 check
`
	if got != want {
		t.Fatalf("writer output differs:\n--- got\n%s\n--- want\n%s", got, want)
	}
}

func TestTransactionParserHasNoImplicitFrom(t *testing.T) {
	c := parse(t, stockCfg, false)
	out := c.String()
	if strings.Contains(out, " from ") {
		t.Fatalf("a transaction parser must not add `from`:\n%s", out)
	}
	if !strings.Contains(out, "\ndefaults unnamed_defaults_1\n") {
		t.Fatalf("unnamed defaults must be named:\n%s", out)
	}
}

func TestHashRoundTrip(t *testing.T) {
	c := parse(t, stockCfg, true)
	c.Version = 3
	file := c.StringWithHash()
	first := strings.SplitN(file, "\n", 2)
	sum := md5.Sum([]byte(first[1]))
	if first[0] != "# _md5hash="+hex.EncodeToString(sum[:]) {
		t.Fatalf("first line %q is not the md5 of the rest", first[0])
	}
	if !hashIsValid(file) {
		t.Fatal("own write must have a valid hash")
	}
	if hashIsValid(file + "# edited\n") {
		t.Fatal("an edited file must not have a valid hash")
	}
	if hashIsValid(stockCfg) {
		t.Fatal("a file without a hash line is an outside edit")
	}
	// Parsing the API's own file gives the same file again (idempotent).
	again := parse(t, file, true)
	if again.Version != 3 {
		t.Fatalf("version %d, want 3", again.Version)
	}
	if again.StringWithHash() != file {
		t.Fatalf("re-writing the API's own file changed it:\n%s\n---\n%s", again.StringWithHash(), file)
	}
	v, h := fileMetadata(file)
	if v != 3 || h == "" {
		t.Fatalf("metadata %d %q", v, h)
	}
}

func TestSectionOrderAndSorting(t *testing.T) {
	in := "backend b\n  server s 1.2.3.4:80\nfrontend z\n  bind :1\nfrontend a\n  bind :2\nglobal\n  daemon\n" +
		"userlist u\n  user x insecure-password y\ndefaults d2 from d1\n  mode http\ndefaults d1\n  mode tcp\n" +
		"resolvers r\n  nameserver n 1.1.1.1:53\nglobal\n  maxconn 10\n"
	c := parse(t, in, false)
	var headers []string
	for _, l := range strings.Split(c.String(), "\n") {
		if l != "" && !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "#") {
			headers = append(headers, l)
		}
	}
	want := []string{"global", "defaults d1", "defaults d2 from d1", "userlist u", "resolvers r", "frontend a", "frontend z", "backend b"}
	if strings.Join(headers, "|") != strings.Join(want, "|") {
		t.Fatalf("headers %q, want %q", headers, want)
	}
	// The two global sections are one.
	if !strings.Contains(c.String(), "global\n  daemon\n  maxconn 10\n") {
		t.Fatalf("globals not merged:\n%s", c.String())
	}
}

func TestCommentsPlacement(t *testing.T) {
	in := "# top comment\n\n# before global\nglobal # lost\n  # about daemon\n  daemon\n  # trailing\n" +
		"backend b # header comment\n  server s 1.2.3.4:80 # inline\n"
	c := parse(t, in, false)
	want := "# top comment\n\n# before global\nglobal\n  # about daemon\n  daemon\n  # trailing\n\nbackend b # header comment\n  server s 1.2.3.4:80 # inline\n"
	if got := c.String(); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestSplitLine(t *testing.T) {
	cases := []struct {
		in      string
		parts   []string
		comment string
	}{
		{"\tlog /dev/log\tlocal0", []string{"log", "/dev/log", "local0"}, ""},
		{`  http-request set-header X "a b" # c`, []string{"http-request", "set-header", "X", `"a b"`}, "c"},
		{`  acl x path_beg /a\ b`, []string{"acl", "x", "path_beg", `/a\ b`}, ""},
		{"# only comment", []string{}, "only comment"},
	}
	for _, tc := range cases {
		p, c := splitLine(tc.in)
		if strings.Join(p, "|") != strings.Join(tc.parts, "|") || c != tc.comment {
			t.Errorf("splitLine(%q) = %q, %q", tc.in, p, c)
		}
	}
}

func TestUserlistAndSockets(t *testing.T) {
	c := parse(t, stockCfg, true)
	users, ok := c.Userlist("controller")
	if !ok || len(users) != 1 || users[0].Name != "dpadmin" || users[0].Password != "$6$salt$hash" || users[0].Insecure {
		t.Fatalf("users %+v %v", users, ok)
	}
	if _, ok := c.Userlist("other"); ok {
		t.Fatal("no such userlist")
	}
	if s := c.StatsSockets(); len(s) != 1 || s[0] != "/run/haproxy/admin.sock" {
		t.Fatalf("sockets %q", s)
	}
	if isUnixSocketAddr("ipv4@127.0.0.1:9999") || !isUnixSocketAddr("/run/haproxy/admin.sock") {
		t.Fatal("isUnixSocketAddr")
	}
}

func TestDropVersionLines(t *testing.T) {
	if got := dropVersionLines("# _version=4\nglobal\n  daemon"); got != "global\n  daemon\n" {
		t.Fatalf("%q", got)
	}
}

func TestParseCheckError(t *testing.T) {
	// HAProxy 2.6 writes "[ALERT]    (pid) : config : parsing [...] : msg": the
	// second " : " field is "config", so client-native's parser (written for
	// an older layout) keeps every ALERT line as a plain msg="...".
	out := "[NOTICE]   (1) : haproxy version is 2.6.12\n[ALERT]    (1) : config : parsing [/tmp/x.cfg:12] : unknown keyword 'bogus' in 'backend' section\n[ALERT]    (1) : config : Error(s) found in configuration file : /tmp/x.cfg\n"
	got := parseCheckError(out, "tid")
	want := "err transactionId=tid \nmsg=\"config parsing [/tmp/x.cfg:12] unknown keyword 'bogus' in 'backend' section\"\nmsg=\"config Error(s) found in configuration file /tmp/x.cfg\""
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	old := "[ALERT] 123/456 (1) : parsing [/tmp/x.cfg:12] : unknown keyword 'bogus'\n"
	if got := parseCheckError(old); got != "line=12 msg=\"unknown keyword 'bogus'\"" {
		t.Fatalf("older layout: %q", got)
	}
}

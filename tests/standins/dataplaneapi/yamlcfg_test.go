package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const renderedYAML = `# Managed by haproxy-dataplane-deploy (Pulumi).
config_version: 2
name: lb1
mode: single
dataplaneapi:
  host: 0.0.0.0
  port: 5555
  scheme:
    - https
  tls:
    tls_host: 0.0.0.0
    tls_port: 5555
    tls_certificate: /etc/x/server.crt
    tls_key: /etc/x/server.key
  userlist:
    userlist: controller
  transaction:
    transaction_dir: /etc/haproxy/transactions
    backups_number: 10
    backups_dir: /etc/haproxy/backups
  advertised:
    api_address: 10.0.0.1
    api_port: 5555
haproxy:
  config_file: /etc/haproxy/haproxy.cfg
  haproxy_bin: /usr/sbin/haproxy
  master_runtime: /run/haproxy-master.sock
  master_worker_mode: true
  reload:
    reload_delay: 2
    reload_cmd: /usr/local/lib/x/reload-haproxy
    restart_cmd: /usr/local/lib/x/reload-haproxy
    reload_strategy: custom
log_targets:
  - log_to: stdout
    log_level: info
    log_format: text
    log_types:
      - access
      - app
`

func writeTemp(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "dataplaneapi.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestYAMLLoadAndRewrite(t *testing.T) {
	y, exists, err := loadYAML(writeTemp(t, renderedYAML))
	if err != nil || !exists {
		t.Fatalf("load: %v %v", err, exists)
	}
	s := defaultSettings()
	y.apply(s, nil)
	if err := s.validateReload(); err != nil {
		t.Fatal(err)
	}
	if s.Port != 5555 || s.TLSPort != 5555 || s.Schemes[0] != "https" || s.BackupsNumber != 10 || s.ReloadDelay != 2 || !s.MasterWorkerMode {
		t.Fatalf("settings %+v", s)
	}
	out, err := y.saveDocument(s)
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, gone := range []string{"#", "mode: single"} {
		if strings.Contains(text, gone) {
			t.Errorf("rewrite keeps %q:\n%s", gone, text)
		}
	}
	if !strings.HasPrefix(text, "config_version: 2\nname: lb1\ndataplaneapi:\n") {
		t.Errorf("rewrite order:\n%s", text)
	}
	if !strings.Contains(text, "  userlist:\n    userlist: controller\n    userlist_file: \"\"\n") {
		t.Errorf("userlist_file is written empty by the real API:\n%s", text)
	}
	// The rewritten file loads again, and rewriting it again changes nothing.
	y2, _, err := loadYAML(writeTemp(t, text))
	if err != nil {
		t.Fatalf("reload of the rewrite: %v", err)
	}
	s2 := defaultSettings()
	y2.apply(s2, nil)
	out2, _ := y2.saveDocument(s2)
	if string(out2) != text {
		t.Errorf("second rewrite differs:\n%s\n---\n%s", out2, text)
	}
}

func TestYAMLStrictness(t *testing.T) {
	for key, text := range map[string]string{
		"dataplaneapi.tls.tls_certfile": strings.Replace(renderedYAML, "tls_certificate:", "tls_certfile:", 1),
		"haproxy.reload.reload_command": strings.Replace(renderedYAML, "reload_cmd:", "reload_command:", 1),
		"log_targets[0].level":          strings.Replace(renderedYAML, "log_level:", "level:", 1),
		"extra":                         renderedYAML + "extra: 1\n",
	} {
		_, _, err := loadYAML(writeTemp(t, text))
		if err == nil || !strings.Contains(err.Error(), "unknown key "+key) {
			t.Errorf("%s: error %v", key, err)
		}
	}
}

func TestYAMLReloadCommandsRequired(t *testing.T) {
	text := strings.Replace(renderedYAML, "    restart_cmd: /usr/local/lib/x/reload-haproxy\n", "", 1)
	y, _, err := loadYAML(writeTemp(t, text))
	if err != nil {
		t.Fatal(err)
	}
	s := defaultSettings()
	y.apply(s, nil)
	if err := s.validateReload(); err == nil || !strings.Contains(err.Error(), "ReloadCmd, RestartCmd") {
		t.Fatalf("want the custom strategy error, got %v", err)
	}
}

func TestYAMLMissingFileIsDefaults(t *testing.T) {
	y, exists, err := loadYAML(filepath.Join(t.TempDir(), "none.yaml"))
	if err != nil || exists {
		t.Fatalf("%v %v", err, exists)
	}
	s := defaultSettings()
	y.apply(s, nil)
	if s.ConfigFile != "/etc/haproxy/haproxy.cfg" || s.Userlist != "controller" || s.ReloadDelay != 5 {
		t.Fatalf("defaults %+v", s)
	}
}

package main

// The API's own YAML file (config_version 2). The key names, their nesting
// and their order follow dataplaneapi v3.2.1
// configuration/configuration_storage.go (StorageDataplaneAPIConfiguration),
// so that yaml.v2 writes the file back in the same shape as the real API.
// Unlike the real API (yaml.v2 Unmarshal, not strict), unknown keys are
// refused, naming the key.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v2"
)

type yTLS struct {
	TLSHost           *string `yaml:"tls_host,omitempty"`
	TLSPort           *int    `yaml:"tls_port,omitempty"`
	TLSCertificate    *string `yaml:"tls_certificate,omitempty"`
	TLSCertificateKey *string `yaml:"tls_key,omitempty"`
	TLSCACertificate  *string `yaml:"tls_ca,omitempty"`
	TLSListenLimit    *int    `yaml:"tls_listen_limit,omitempty"`
	TLSKeepAlive      *string `yaml:"tls_keep_alive,omitempty"`
	TLSReadTimeout    *string `yaml:"tls_read_timeout,omitempty"`
	TLSWriteTimeout   *string `yaml:"tls_write_timeout,omitempty"`
}

type yUserlist struct {
	Userlist     *string `yaml:"userlist,omitempty"`
	UserListFile *string `yaml:"userlist_file,omitempty"`
}

type yTransaction struct {
	TransactionDir      *string `yaml:"transaction_dir,omitempty"`
	BackupsNumber       *int    `yaml:"backups_number,omitempty"`
	BackupsDir          *string `yaml:"backups_dir,omitempty"`
	MaxOpenTransactions *int64  `yaml:"max_open_transactions,omitempty"`
}

type yResources struct {
	MapsDir              *string `yaml:"maps_dir,omitempty"`
	SSLCertsDir          *string `yaml:"ssl_certs_dir,omitempty"`
	GeneralStorageDir    *string `yaml:"general_storage_dir,omitempty"`
	DataplaneStorageDir  *string `yaml:"dataplane_storage_dir,omitempty"`
	UpdateMapFiles       *bool   `yaml:"update_map_files,omitempty"`
	UpdateMapFilesPeriod *int64  `yaml:"update_map_files_period,omitempty"`
	SpoeDir              *string `yaml:"spoe_dir,omitempty"`
	SpoeTransactionDir   *string `yaml:"spoe_transaction_dir,omitempty"`
}

type yAdvertised struct {
	APIAddress *string `yaml:"api_address,omitempty"`
	APIPort    *int64  `yaml:"api_port,omitempty"`
}

type yUser struct {
	Name     string  `yaml:"name"`
	Insecure *bool   `yaml:"insecure,omitempty"`
	Password *string `yaml:"password,omitempty"`
}

type yDataplaneapi struct {
	WriteTimeout     *string       `yaml:"write_timeout,omitempty"`
	GracefulTimeout  *string       `yaml:"graceful_timeout,omitempty"`
	ShowSystemInfo   *bool         `yaml:"show_system_info,omitempty"`
	MaxHeaderSize    *string       `yaml:"max_header_size,omitempty"`
	SocketPath       *string       `yaml:"socket_path,omitempty"`
	DebugSocketPath  *string       `yaml:"debug_socket_path,omitempty"`
	Host             *string       `yaml:"host,omitempty"`
	Port             *int          `yaml:"port,omitempty"`
	ListenLimit      *int          `yaml:"listen_limit,omitempty"`
	DisableInotify   *bool         `yaml:"disable_inotify,omitempty"`
	ReadTimeout      *string       `yaml:"read_timeout,omitempty"`
	Advertised       *yAdvertised  `yaml:"advertised,omitempty"`
	CleanupTimeout   *string       `yaml:"cleanup_timeout,omitempty"`
	KeepAlive        *string       `yaml:"keep_alive,omitempty"`
	PIDFile          *string       `yaml:"pid_file,omitempty"`
	UID              *int          `yaml:"uid,omitempty"`
	GID              *int          `yaml:"gid,omitempty"`
	TLS              *yTLS         `yaml:"tls,omitempty"`
	EnabledListeners *[]string     `yaml:"scheme,omitempty"`
	Userlist         *yUserlist    `yaml:"userlist,omitempty"`
	Transaction      *yTransaction `yaml:"transaction,omitempty"`
	Resources        *yResources   `yaml:"resources,omitempty"`
	Users            []yUser       `yaml:"user,omitempty"`
}

type yReload struct {
	ReloadDelay     *int    `yaml:"reload_delay,omitempty"`
	ReloadCmd       *string `yaml:"reload_cmd,omitempty"`
	RestartCmd      *string `yaml:"restart_cmd,omitempty"`
	StatusCmd       *string `yaml:"status_cmd,omitempty"`
	ServiceName     *string `yaml:"service_name,omitempty"`
	ReloadRetention *int    `yaml:"reload_retention,omitempty"`
	ReloadStrategy  *string `yaml:"reload_strategy,omitempty"`
	ValidateCmd     *string `yaml:"validate_cmd,omitempty"`
}

type yHaproxy struct {
	ConfigFile       *string  `yaml:"config_file,omitempty"`
	HAProxy          *string  `yaml:"haproxy_bin,omitempty"`
	MasterRuntime    *string  `yaml:"master_runtime,omitempty"`
	NodeIDFile       *string  `yaml:"fid,omitempty"`
	MasterWorkerMode *bool    `yaml:"master_worker_mode,omitempty"`
	Reload           *yReload `yaml:"reload,omitempty"`
	DelayedStartMax  *string  `yaml:"delayed_start_max,omitempty"`
	DelayedStartTick *string  `yaml:"delayed_start_tick,omitempty"`
}

type ySyslog struct {
	SyslogAddr     *string `yaml:"syslog_address,omitempty"`
	SyslogProto    *string `yaml:"syslog_protocol,omitempty"`
	SyslogTag      *string `yaml:"syslog_tag,omitempty"`
	SyslogLevel    *string `yaml:"syslog_level,omitempty"`
	SyslogFacility *string `yaml:"syslog_facility,omitempty"`
}

type yLog struct {
	LogTo     *string  `yaml:"log_to,omitempty"`
	LogFile   *string  `yaml:"log_file,omitempty"`
	LogLevel  *string  `yaml:"log_level,omitempty"`
	LogFormat *string  `yaml:"log_format,omitempty"`
	ACLFormat *string  `yaml:"apache_common_log_format,omitempty"`
	Syslog    *ySyslog `yaml:"syslog,omitempty"`
}

type yLogTarget struct {
	LogTo          string   `yaml:"log_to,omitempty"`
	LogFile        string   `yaml:"log_file,omitempty"`
	LogLevel       string   `yaml:"log_level,omitempty"`
	LogFormat      string   `yaml:"log_format,omitempty"`
	ACLFormat      string   `yaml:"acl_format,omitempty"`
	SyslogAddr     string   `yaml:"syslog_address,omitempty"`
	SyslogProto    string   `yaml:"syslog_protocol,omitempty"`
	SyslogTag      string   `yaml:"syslog_tag,omitempty"`
	SyslogLevel    string   `yaml:"syslog_level,omitempty"`
	SyslogFacility string   `yaml:"syslog_facility,omitempty"`
	LogTypes       []string `yaml:"log_types,omitempty"`
}

// yConfig is the whole file. Deprecated parts (mode, status, bootstrap_key,
// cluster, service_discovery) are read and dropped when the file is saved.
type yConfig struct {
	Version                    *int                   `yaml:"config_version,omitempty"`
	Name                       *string                `yaml:"name,omitempty"`
	DeprecatedMode             *string                `yaml:"mode,omitempty"`
	DeprecatedBootstrapKey     *string                `yaml:"bootstrap_key,omitempty"`
	DeprecatedStatus           *string                `yaml:"status,omitempty"`
	Dataplaneapi               *yDataplaneapi         `yaml:"dataplaneapi,omitempty"`
	Haproxy                    *yHaproxy              `yaml:"haproxy,omitempty"`
	DeprecatedCluster          map[string]interface{} `yaml:"cluster,omitempty" anykeys:"true"`
	DeprecatedServiceDiscovery map[string]interface{} `yaml:"service_discovery,omitempty" anykeys:"true"`
	Log                        *yLog                  `yaml:"log,omitempty"`
	LogTargets                 *[]yLogTarget          `yaml:"log_targets,omitempty"`
}

// settings is the effective configuration, defaults applied (defaults from
// dataplaneapi configuration/configuration.go HAProxyConfiguration tags).
type settings struct {
	Name                string
	Host                string
	Port                int
	Schemes             []string
	TLSHost             string
	TLSPort             int
	TLSCert, TLSKey     string
	TLSCA               string
	Userlist            string
	UserlistFile        string
	Users               []userEntry
	HasFileUsers        bool
	TransactionDir      string
	BackupsNumber       int
	BackupsDir          string
	MapsDir             string
	SSLCertsDir         string
	GeneralStorageDir   string
	DataplaneStorageDir string
	SpoeDir             string
	SpoeTransactionDir  string
	APIAddress          string
	APIPort             int64
	UID, GID            int
	ConfigFile          string
	HAProxyBin          string
	MasterRuntime       string
	MasterWorkerMode    bool
	ReloadDelay         int
	ReloadCmd           string
	RestartCmd          string
	StatusCmd           string
	ServiceName         string
	ReloadStrategy      string
	ValidateCmd         string
	DelayedStartMax     time.Duration
	DelayedStartTick    time.Duration
	DisableInotify      bool
	LogTargets          []yLogTarget
}

func defaultSettings() *settings {
	return &settings{
		Host:                "localhost",
		Schemes:             []string{"http"},
		Userlist:            "controller",
		TransactionDir:      "/tmp/haproxy",
		MapsDir:             "/etc/haproxy/maps",
		SSLCertsDir:         "/etc/haproxy/ssl",
		GeneralStorageDir:   "/etc/haproxy/general",
		DataplaneStorageDir: "/etc/haproxy/dataplane",
		SpoeDir:             "/etc/haproxy/spoe",
		SpoeTransactionDir:  "/tmp/spoe-haproxy",
		ConfigFile:          "/etc/haproxy/haproxy.cfg",
		HAProxyBin:          "haproxy",
		ReloadDelay:         5,
		ReloadStrategy:      "custom",
		DelayedStartMax:     30 * time.Second,
		DelayedStartTick:    500 * time.Millisecond,
	}
}

// checkKnownKeys walks the YAML document and returns an error naming the
// first key (as a dotted path, with its line) that the file format has no
// place for.
func checkKnownKeys(data []byte) error {
	var doc yaml.MapSlice
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	var unknown []string
	walkKeys(doc, reflect.TypeOf(yConfig{}), "", &unknown)
	if len(unknown) > 0 {
		return fmt.Errorf("unknown key %s (the stand-in refuses keys that dataplaneapi 3.2.1 would silently ignore)", strings.Join(unknown, ", unknown key "))
	}
	return nil
}

func walkKeys(node interface{}, t reflect.Type, path string, unknown *[]string) {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		ms, ok := node.(yaml.MapSlice)
		if !ok {
			return // a type mismatch is reported by the typed unmarshal
		}
		fields := map[string]reflect.StructField{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if name != "" && name != "-" {
				fields[name] = f
			}
		}
		for _, item := range ms {
			key := fmt.Sprint(item.Key)
			p := key
			if path != "" {
				p = path + "." + key
			}
			f, ok := fields[key]
			if !ok {
				*unknown = append(*unknown, p)
				continue
			}
			if f.Tag.Get("anykeys") == "true" {
				continue
			}
			walkKeys(item.Value, f.Type, p, unknown)
		}
	case reflect.Slice:
		items, ok := node.([]interface{})
		if !ok {
			return
		}
		for i, it := range items {
			walkKeys(it, t.Elem(), fmt.Sprintf("%s[%d]", path, i), unknown)
		}
	}
}

// loadYAML reads the API's YAML file. A missing file means defaults (and is
// created by the save that follows, as the real API does).
func loadYAML(path string) (*yConfig, bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &yConfig{}, false, nil
		}
		return nil, false, err
	}
	if err := checkKnownKeys(data); err != nil {
		return nil, true, err
	}
	cfg := &yConfig{}
	if err := yaml.UnmarshalStrict(data, cfg); err != nil {
		return nil, true, err
	}
	return cfg, true, nil
}

// apply copies the file's values over the defaults, as
// configuration_storage.go copyToConfiguration does; flags given on the
// command line (cli) win over the file.
func (y *yConfig) apply(s *settings, cli map[string]bool) {
	str := func(dst *string, src *string, flag string) {
		if src != nil && !cli[flag] {
			*dst = *src
		}
	}
	if y.Name != nil {
		s.Name = *y.Name
	}
	if d := y.Dataplaneapi; d != nil {
		str(&s.Host, d.Host, "host")
		if d.Port != nil {
			s.Port = *d.Port
		}
		if d.EnabledListeners != nil {
			s.Schemes = *d.EnabledListeners
		}
		if t := d.TLS; t != nil {
			str(&s.TLSHost, t.TLSHost, "tls-host")
			if t.TLSPort != nil {
				s.TLSPort = *t.TLSPort
			}
			str(&s.TLSCert, t.TLSCertificate, "tls-certificate")
			str(&s.TLSKey, t.TLSCertificateKey, "tls-key")
			str(&s.TLSCA, t.TLSCACertificate, "tls-ca")
		}
		if d.DisableInotify != nil {
			s.DisableInotify = *d.DisableInotify
		}
		if d.UID != nil {
			s.UID = *d.UID
		}
		if d.GID != nil {
			s.GID = *d.GID
		}
		if d.Users != nil {
			s.HasFileUsers = len(d.Users) > 0
			for _, u := range d.Users {
				e := userEntry{Name: u.Name}
				if u.Password != nil {
					e.Password = *u.Password
				}
				if u.Insecure != nil {
					e.Insecure = *u.Insecure
				}
				s.Users = append(s.Users, e)
			}
		}
		if u := d.Userlist; u != nil {
			str(&s.Userlist, u.Userlist, "userlist")
			str(&s.UserlistFile, u.UserListFile, "userlist-file")
		}
		if t := d.Transaction; t != nil {
			str(&s.TransactionDir, t.TransactionDir, "transaction-dir")
			if t.BackupsNumber != nil {
				s.BackupsNumber = *t.BackupsNumber
			}
			str(&s.BackupsDir, t.BackupsDir, "backups-dir")
		}
		if r := d.Resources; r != nil {
			str(&s.MapsDir, r.MapsDir, "maps-dir")
			str(&s.SSLCertsDir, r.SSLCertsDir, "ssl-certs-dir")
			str(&s.GeneralStorageDir, r.GeneralStorageDir, "general-storage-dir")
			str(&s.DataplaneStorageDir, r.DataplaneStorageDir, "dataplane-storage-dir")
			str(&s.SpoeDir, r.SpoeDir, "spoe-dir")
			str(&s.SpoeTransactionDir, r.SpoeTransactionDir, "spoe-transaction-dir")
		}
		if a := d.Advertised; a != nil {
			str(&s.APIAddress, a.APIAddress, "api-address")
			if a.APIPort != nil {
				s.APIPort = *a.APIPort
			}
		}
	}
	if h := y.Haproxy; h != nil {
		str(&s.ConfigFile, h.ConfigFile, "config-file")
		str(&s.HAProxyBin, h.HAProxy, "haproxy-bin")
		str(&s.MasterRuntime, h.MasterRuntime, "master-runtime")
		if h.MasterWorkerMode != nil {
			s.MasterWorkerMode = *h.MasterWorkerMode
		}
		if r := h.Reload; r != nil {
			if r.ReloadDelay != nil {
				s.ReloadDelay = *r.ReloadDelay
			}
			str(&s.ReloadCmd, r.ReloadCmd, "reload-cmd")
			str(&s.RestartCmd, r.RestartCmd, "restart-cmd")
			str(&s.StatusCmd, r.StatusCmd, "status-cmd")
			str(&s.ServiceName, r.ServiceName, "service")
			str(&s.ReloadStrategy, r.ReloadStrategy, "reload-strategy")
			str(&s.ValidateCmd, r.ValidateCmd, "validate-cmd")
		}
		if h.DelayedStartMax != nil {
			if d, err := time.ParseDuration(*h.DelayedStartMax); err == nil {
				s.DelayedStartMax = d
			}
		}
		if h.DelayedStartTick != nil {
			if d, err := time.ParseDuration(*h.DelayedStartTick); err == nil {
				s.DelayedStartTick = d
			}
		}
	}
	if y.LogTargets != nil {
		s.LogTargets = *y.LogTargets
	}
}

// validateReload is configuration/reload-strategy.go validateReloadConfiguration.
func (s *settings) validateReload() error {
	if s.ReloadStrategy == "" {
		s.ReloadStrategy = "custom"
	}
	setDefault := func(opt *string, cmd, svc string) {
		if *opt == "" {
			*opt = cmd + " " + svc
		}
	}
	switch s.ReloadStrategy {
	case "custom":
		if s.ReloadCmd == "" || s.RestartCmd == "" {
			return errors.New("the custom reload strategy requires these options to be set: ReloadCmd, RestartCmd")
		}
	case "s6":
		svc := "/var/run/service/haproxy"
		if s.ServiceName != "" {
			svc = s.ServiceName
		}
		setDefault(&s.ReloadCmd, "s6-svc -2", svc)
		setDefault(&s.RestartCmd, "s6-svc -r", svc)
		setDefault(&s.StatusCmd, "s6-svstat -u", svc)
	case "systemd":
		svc := "haproxy.service"
		if s.ServiceName != "" {
			svc = s.ServiceName
		}
		setDefault(&s.ReloadCmd, "sudo -n systemctl reload", svc)
		setDefault(&s.RestartCmd, "sudo -n systemctl restart", svc)
		setDefault(&s.StatusCmd, "systemctl --quiet is-active", svc)
	default:
		return fmt.Errorf("invalid reload strategy: '%s'", s.ReloadStrategy)
	}
	return nil
}

// saveDocument prepares the file for saving as copyConfigurationToStorage,
// Save and emptyDeprecatedSections do, and marshals it with yaml.v2.
func (y *yConfig) saveDocument(s *settings) ([]byte, error) {
	v := 2
	y.Version = &v
	name := s.Name
	y.Name = &name
	if y.Dataplaneapi == nil {
		y.Dataplaneapi = &yDataplaneapi{}
	}
	if y.Dataplaneapi.Advertised == nil {
		y.Dataplaneapi.Advertised = &yAdvertised{}
	}
	addr, port := s.APIAddress, s.APIPort
	y.Dataplaneapi.Advertised.APIAddress = &addr
	y.Dataplaneapi.Advertised.APIPort = &port
	if y.Dataplaneapi.Userlist == nil {
		y.Dataplaneapi.Userlist = &yUserlist{}
	}
	ul, ulf := s.Userlist, s.UserlistFile
	y.Dataplaneapi.Userlist.Userlist = &ul
	y.Dataplaneapi.Userlist.UserListFile = &ulf
	if y.Haproxy == nil {
		y.Haproxy = &yHaproxy{}
	}
	if y.Haproxy.Reload == nil {
		// The real API dereferences a missing reload section here and
		// panics; the stand-in creates it instead.
		y.Haproxy.Reload = &yReload{}
	}
	strategy := s.ReloadStrategy
	y.Haproxy.Reload.ReloadStrategy = &strategy
	if len(s.LogTargets) == 0 {
		y.LogTargets = nil
	} else {
		lt := s.LogTargets
		y.LogTargets = &lt
	}
	// emptyDeprecatedSections: cluster users (dpapi-c-*) leave the file too.
	var users []yUser
	for _, u := range y.Dataplaneapi.Users {
		if !strings.HasPrefix(u.Name, "dpapi-c-") {
			users = append(users, u)
		}
	}
	y.Dataplaneapi.Users = users
	y.DeprecatedBootstrapKey = nil
	y.DeprecatedCluster = nil
	y.DeprecatedStatus = nil
	y.DeprecatedMode = nil
	y.DeprecatedServiceDiscovery = nil
	return yaml.Marshal(y)
}

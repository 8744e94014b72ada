package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeSocket answers every connection with answer(request).
func fakeSocket(t *testing.T, answer func(string) string) (string, *[]string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var got []string
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			var req strings.Builder
			for !strings.HasSuffix(req.String(), "\n") && !strings.HasSuffix(req.String(), ";quit") {
				_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
				n, err := c.Read(buf)
				if err != nil {
					break
				}
				req.Write(buf[:n])
			}
			got = append(got, req.String())
			_, _ = c.Write([]byte(answer(req.String())))
			c.Close()
		}
	}()
	return path, &got
}

// forgetVersion empties the process-global version cache for one test.
func forgetVersion(t *testing.T) {
	t.Helper()
	reset := func() {
		versionMu.Lock()
		cachedVersion = nil
		versionMu.Unlock()
	}
	reset()
	t.Cleanup(reset)
}

// What Debian 13's HAProxy 3.0.11 (built with +SHM_OPEN) answered to
// `reload;quit` on its master socket, byte for byte, measured on a test host:
// a reload that worked, and one whose new master could not bind a port.
const (
	debian13ReloadSucceeded = "Success=1\n--\n[NOTICE]   (48) : New worker (147) forked\n[NOTICE]   (48) : Loading success.\n" +
		"[NOTICE]   (48) : haproxy version is 3.0.11-1+deb13u4\n[NOTICE]   (48) : path to executable is /usr/sbin/haproxy\n" +
		"[WARNING]  (48) : Former worker (66) exited with code 0 (Exit)\n\n"
	debian13ReloadFailed = "Success=0\n--\n[NOTICE]   (48) : haproxy version is 3.0.11-1+deb13u4\n" +
		"[NOTICE]   (48) : path to executable is /usr/sbin/haproxy\n" +
		"[ALERT]    (48) : Binding [/etc/haproxy/haproxy.cfg:45] for frontend clash: protocol tcpv4: cannot bind socket (Address already in use) for [127.0.0.1:22].\n" +
		"[ALERT]    (48) : [/usr/sbin/haproxy.main()] Some protocols failed to start their listeners! Exiting.\n" +
		"[WARNING]  (48) : Loading failure!\n\n"
	debian13ShowInfo = "Name: HAProxy\nVersion: 3.0.11-1+deb13u4\nRelease_date: 2026/10/15\nNbthread: 2\nNbproc: 1\nProcess_num: 1\nPid: 147\n"
)

func TestMasterReloadJudgement(t *testing.T) {
	for _, tc := range []struct {
		answer string
		logs   string
		err    string
	}{
		{debian13ReloadSucceeded, strings.TrimSpace(strings.SplitN(debian13ReloadSucceeded, "\n--\n", 2)[1]), ""},
		{debian13ReloadFailed, strings.TrimSpace(strings.SplitN(debian13ReloadFailed, "\n--\n", 2)[1]), "failed to reload configuration"},
		// HAProxy 2.6 answers nothing.
		{"", "", "reload: unknown status: "},
		// Without USE_SHM_OPEN HAProxy answers "Success=1\n\n"; trimmed to
		// "Success=1", client-native still cuts the last character.
		{"Success=1\n\n", "", "reload: unknown status: Success="},
	} {
		forgetVersion(t)
		path, got := fakeSocket(t, func(req string) string {
			if strings.Contains(req, "show info") {
				return debian13ShowInfo
			}
			return tc.answer
		})
		rt, err := connectRuntime(path, true, time.Second, 10*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if v := knownVersion(); v == nil || v.Major != 3 || v.Minor != 0 || v.Patch != 11 || rt.pid != "147" {
			t.Fatalf("show info not parsed: %+v %+v", v, rt)
		}
		logs, err := rt.MasterReload()
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || err.Error() != tc.err) {
			t.Errorf("answer %q: err %v, want %q", tc.answer, err, tc.err)
		}
		if logs != tc.logs {
			t.Errorf("answer %q: logs %q, want %q", tc.answer, logs, tc.logs)
		}
		last := (*got)[len(*got)-1]
		if last != "reload;quit" {
			t.Errorf("sent %q, want %q", last, "reload;quit")
		}
		if !strings.HasPrefix((*got)[0], "set severity-output number;@1 help;quit\n") {
			t.Errorf("connect probe %q", (*got)[0])
		}
	}
}

func TestMasterReloadRefusedBefore27(t *testing.T) {
	forgetVersion(t)
	path, got := fakeSocket(t, func(req string) string { return "Name: HAProxy\nVersion: 2.6.12-1+deb12u1\n" })
	rt, err := connectRuntime(path, true, time.Second, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rt.MasterReload()
	// %v of upstream's *HAProxyVersion, fields Commit, Version, Major, Minor, Patch.
	want := "cannot reload: requires HAProxy 2.7 or later but current version is &{1+deb12u1 2.6.12-1+deb12u1 2 6 12}"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	for _, req := range *got {
		if strings.HasPrefix(req, "reload") {
			t.Fatalf("a reload was sent: %q", req)
		}
	}
}

func TestParseHAProxyVersion(t *testing.T) {
	for _, tc := range []struct {
		in                  string
		ok                  bool
		commit              string
		major, minor, patch int
	}{
		{"3.0.11-1+deb13u4", true, "1+deb13u4", 3, 0, 11},
		{"2.6.12-1+deb12u1", true, "1+deb12u1", 2, 6, 12},
		{"2.8.5-1ubuntu3", true, "1ubuntu3", 2, 8, 5},
		// A development build: the commit is the second-last field after the first "-".
		{"3.2-dev1-1a2b3c4-12", true, "1a2b3c4", 3, 2, 0},
		// Without a "-" the version is refused, although its numbers were read.
		{"3.0.11", false, "", 3, 0, 11},
		{"3.1", false, "", 3, 1, 0},
		{"x.y-1", true, "1", 0, 0, 0},
	} {
		v := &haproxyVersion{}
		err := v.parse(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err %v", tc.in, err)
		}
		if !tc.ok && (err == nil || err.Error() != "version is not in correct format ["+tc.in+"]") {
			t.Errorf("%q: error text %v", tc.in, err)
		}
		if v.Version != tc.in || v.Commit != tc.commit || v.Major != tc.major || v.Minor != tc.minor || v.Patch != tc.patch {
			t.Errorf("%q: got %+v", tc.in, v)
		}
	}
	for _, tc := range []struct {
		v    string
		want bool
	}{{"2.6.12-1", false}, {"2.7.0-1", true}, {"2.7-dev7-abc-1", true}, {"3.0.11-1+deb13u4", true}, {"1.9.9-1", false}, {"10.0.0-1", true}} {
		v := &haproxyVersion{}
		_ = v.parse(tc.v)
		if v.atLeast(2, 7, 0) != tc.want {
			t.Errorf("%s >= 2.7: want %v", tc.v, tc.want)
		}
	}
	if (*haproxyVersion)(nil).atLeast(2, 7, 0) {
		t.Error("no version is not >= 2.7")
	}
}

func TestVersionFromShowInfo(t *testing.T) {
	for _, tc := range []struct {
		out, version, err string
	}{
		{debian13ShowInfo, "3.0.11-1+deb13u4", ""},
		// The first Version line decides, even when it does not parse.
		{"Name: HAProxy\nVersion: 3.0.11\nVersion: 3.0.11-1\n", "", "version is not in correct format [3.0.11]"},
		// A bare line starting with 3..9 is taken too (upstream's fallback for 3.0+).
		{"Name: HAProxy\n3.1.2-1\n", "3.1.2-1", ""},
		{"Name: HAProxy\n2.6.12-1\nPid: 4\n", "", "version data not found"},
		// The fallback line is taken before a later Version line.
		{"3 things\nVersion: 3.0.11-1\n", "", "version is not in correct format [3 things]"},
	} {
		v, err := versionFromShowInfo(tc.out)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || v != nil {
				t.Errorf("%q: got %+v, %v; want error %q", tc.out, v, err, tc.err)
			}
			continue
		}
		if err != nil || v.Version != tc.version {
			t.Errorf("%q: got %+v, %v", tc.out, v, err)
		}
	}
}

// The version is one value for the process: a version that does not parse
// is not kept (and then the agent does not reload through the master socket,
// and a master reload is refused), it is asked again while none is known,
// and once known it is never asked again.
func TestVersionCacheGlobalNeverRefreshed(t *testing.T) {
	forgetVersion(t)
	s := &settings{MasterWorkerMode: true, MasterRuntime: "/run/haproxy-master.sock"}
	answer := "Name: HAProxy\nVersion: 3.0.11\n" // no "-": refused
	asked := 0
	path, _ := fakeSocket(t, func(req string) string {
		if strings.Contains(req, "show info") {
			asked++
			return answer
		}
		return "Success=1\n--\nok\n\n"
	})
	rt, err := connectRuntime(path, true, time.Second, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if knownVersion() != nil || canUseMasterSocketReload(s, rt) {
		t.Fatalf("a version without '-' must not count: %+v", knownVersion())
	}
	if _, err := rt.MasterReload(); err == nil || err.Error() != "cannot reload: requires HAProxy 2.7 or later but current version is <nil>" {
		t.Fatalf("got %v", err)
	}
	answer = "Name: HAProxy\nVersion: 3.0.11-1+deb13u4\n"
	if !canUseMasterSocketReload(s, rt) {
		t.Fatal("the version is asked again while none is known")
	}
	before := asked
	answer = "Name: HAProxy\nVersion: 2.6.12-1+deb12u1\n"
	other, err := connectRuntime(path, false, time.Second, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := other.GetVersion(); err != nil || v.Version != "3.0.11-1+deb13u4" {
		t.Fatalf("a new client keeps the known version: %+v %v", v, err)
	}
	// connectRuntime's own `show info` (the stand-in's PID log) is the only one.
	if asked != before+1 {
		t.Fatalf("show info asked %d times after the version was known", asked-before)
	}
	// A stats-socket client counts too (nothing checks the socket kind), and then fails every reload.
	if !canUseMasterSocketReload(s, other) {
		t.Fatal("the decision does not look at the socket kind")
	}
	if _, err := other.MasterReload(); err == nil || err.Error() != "cannot reload: not connected to a master socket" {
		t.Fatalf("got %v", err)
	}
	if canUseMasterSocketReload(&settings{MasterWorkerMode: true, MasterRuntime: "127.0.0.1:9999"}, rt) ||
		canUseMasterSocketReload(&settings{MasterRuntime: "/run/haproxy-master.sock"}, rt) ||
		canUseMasterSocketReload(s, nil) {
		t.Fatal("master_worker_mode, a unix master_runtime and a runtime client are all required")
	}
}

// The reload agent keeps the runtime client it was made with: after the
// API's client is replaced (SIGUSR1), reloads still go through the first one.
func TestReloadAgentKeepsItsRuntime(t *testing.T) {
	forgetVersion(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte("global\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path, got := fakeSocket(t, func(req string) string {
		if strings.Contains(req, "show info") {
			return debian13ShowInfo
		}
		return debian13ReloadSucceeded
	})
	rt, err := connectRuntime(path, true, time.Second, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	a := &api{s: &settings{ConfigFile: cfg, BackupsDir: filepath.Join(dir, "backups"), ReloadCmd: "/bin/false", ReloadDelay: 60}, rt: rt}
	ra, err := newReloadAgent(a.s, true, a.runtime())
	if err != nil {
		t.Fatal(err)
	}
	defer close(ra.done)
	a.rtMu.Lock()
	a.rt = nil // what a SIGUSR1 whose reconnect failed leaves
	a.rtMu.Unlock()
	out, err := ra.reloadHAProxy("test")
	if err != nil || !strings.Contains(out, "Loading success.") {
		t.Fatalf("reload: %q %v", out, err)
	}
	if last := (*got)[len(*got)-1]; last != "reload;quit" {
		t.Fatalf("sent %q", last)
	}
	if _, err := newReloadAgent(a.s, true, nil); err == nil {
		t.Fatal("an agent that reloads through the master socket needs a runtime client")
	}
}

func TestConnectTimesOut(t *testing.T) {
	start := time.Now()
	_, err := connectRuntime(filepath.Join(t.TempDir(), "none.sock"), false, 300*time.Millisecond, 50*time.Millisecond)
	if err == nil || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("want a timeout after delayed_start_max, got %v after %s", err, time.Since(start))
	}
}

func TestExecCmdNoShell(t *testing.T) {
	if _, err := execCmd("/bin/true"); err != nil {
		t.Fatal(err)
	}
	// Split on single spaces, no shell: the quotes reach the program.
	out, err := execCmd(`/bin/echo "a b"`)
	if err != nil || strings.TrimSpace(out) != `"a b"` {
		t.Fatalf("%q %v", out, err)
	}
	if _, err := execCmd("/bin/false"); err == nil {
		t.Fatal("exit status must count")
	}
}

package main

import (
	"net"
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

func TestMasterReloadJudgement(t *testing.T) {
	for _, tc := range []struct {
		answer string
		ok     bool
	}{
		{"Success=1\n--\n[NOTICE] loading\n", true},
		{"Success=0\n--\n[ALERT] bad\n", false},
		{"", false},            // HAProxy 2.6 answers nothing
		{"Success=1\n", false}, // no "--": client-native cuts the last character
	} {
		path, got := fakeSocket(t, func(req string) string {
			if strings.Contains(req, "show info") {
				return "Name: HAProxy\nVersion: 2.8.5-1\nPid: 42\n"
			}
			return tc.answer
		})
		rt, err := connectRuntime(path, true, time.Second, 10*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if rt.version == nil || rt.version.Minor != 8 || rt.pid != "42" {
			t.Fatalf("show info not parsed: %+v", rt)
		}
		_, err = rt.MasterReload()
		if (err == nil) != tc.ok {
			t.Errorf("answer %q: err %v", tc.answer, err)
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
	path, _ := fakeSocket(t, func(req string) string { return "Version: 2.6.12-1+deb12u1\n" })
	rt, err := connectRuntime(path, true, time.Second, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.MasterReload(); err == nil || !strings.Contains(err.Error(), "requires HAProxy 2.7") {
		t.Fatalf("want a refusal on 2.6, got %v", err)
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

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/GehirnInc/crypt"
)

func hash(t *testing.T, c crypt.Crypt, salt, pass string) string {
	t.Helper()
	h, err := c.New().Generate([]byte(pass), []byte(salt))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestCheckPasswordFormats(t *testing.T) {
	sha512 := hash(t, crypt.SHA512, "$6$abcdefgh", "s3cret")
	sha256 := hash(t, crypt.SHA256, "$5$abcdefgh", "s3cret")
	md5 := hash(t, crypt.MD5, "$1$abcdefgh", "s3cret")
	for _, h := range []string{sha512, sha256, md5} {
		if !checkPassword("s3cret", h) {
			t.Errorf("%s must verify", h[:3])
		}
		if checkPassword("wrong", h) {
			t.Errorf("%s must refuse a wrong password", h[:3])
		}
	}
	rounds := hash(t, crypt.SHA512, "$6$rounds=5000$abcdefgh", "s3cret")
	if checkPassword("s3cret", rounds) {
		t.Error("a rounds= hash splits into five parts and is refused")
	}
	if checkPassword("s3cret", "$2y$10$abcdefghijklmnopqrstuuIYl3O0u0Tj0L0J6nP0g8a5oG4Xk3oJe") {
		t.Error("bcrypt is refused")
	}
	if checkPassword("s3cret", "s3cret") {
		t.Error("plain text is not a hash")
	}
}

func TestUserStore(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "haproxy.cfg")
	sha := hash(t, crypt.SHA512, "$6$abcdefgh", "pw1")
	write := func(s string) {
		if err := os.WriteFile(cfg, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := defaultSettings()
	s.ConfigFile = cfg
	var u userStore
	write("global\n  daemon\nuserlist controller\n  user a password " + sha + "\n  user b insecure-password plain\n")
	if err := u.load(s); err != nil {
		t.Fatal(err)
	}
	if u.authenticate("a", "pw1") != nil || u.authenticate("b", "plain") != nil {
		t.Fatal("valid users refused")
	}
	if u.authenticate("a", "plain") == nil || u.authenticate("nobody", "pw1") == nil {
		t.Fatal("invalid credentials accepted")
	}
	write("global\n  daemon\nuserlist controller\n  group g\n")
	if err := u.load(s); err == nil {
		t.Fatal("zero users must be an error")
	}
	write("global\n  daemon\n")
	if err := u.load(s); err == nil {
		t.Fatal("a missing userlist must be an error")
	}
	// dataplaneapi.user entries win over the userlist.
	s.HasFileUsers = true
	s.Users = []userEntry{{Name: "y", Password: "ypw", Insecure: true}}
	if err := u.load(s); err != nil || u.authenticate("y", "ypw") != nil {
		t.Fatalf("file users: %v", err)
	}
}

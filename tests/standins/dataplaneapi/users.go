package main

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/GehirnInc/crypt"
	_ "github.com/GehirnInc/crypt/md5_crypt"
	_ "github.com/GehirnInc/crypt/sha256_crypt"
	_ "github.com/GehirnInc/crypt/sha512_crypt"
)

// checkPassword is dataplaneapi configuration/user.go checkPassword: only a
// hash that splits on "$" into exactly four parts with id 1, 5 or 6 is
// verified; anything else ($6$rounds=...$..., bcrypt, plain text) fails.
func checkPassword(pass, stored string) bool {
	parts := strings.Split(stored, "$")
	if len(parts) != 4 {
		return false
	}
	var c crypt.Crypter
	switch parts[1] {
	case "1":
		c = crypt.MD5.New()
	case "5":
		c = crypt.SHA256.New()
	case "6":
		c = crypt.SHA512.New()
	default:
		return false
	}
	return c.Verify(stored, []byte(pass)) == nil
}

// mockPass is compared against when the user does not exist, so that an
// unknown user costs the same as a wrong password (user.go mockPass).
const mockPass = "$2a$10$e.I1x5KPNu7xy9u0zSzJaOcr5it8kR1Awnaf3boOtYno9y4DolER."

type userStore struct {
	mu    sync.RWMutex
	users []userEntry
}

// load reads the users as configuration/user.go Users.Init does: the YAML's
// dataplaneapi.user entries when there are any, else the userlist of
// userlist_file or of haproxy.cfg. Zero users, or no such userlist, is an error.
func (u *userStore) load(s *settings) error {
	if s.HasFileUsers {
		u.set(s.Users)
		return nil
	}
	file := s.ConfigFile
	if s.UserlistFile != "" {
		file = s.UserlistFile
	}
	if _, err := os.Stat(file); os.IsNotExist(err) {
		return fmt.Errorf("cannot read %s, file does not exist", file)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	cfg, err := parseHaproxyConfig(f, parseOptions{})
	if err != nil {
		return err
	}
	users, ok := cfg.Userlist(s.Userlist)
	if !ok {
		return fmt.Errorf("no users configured in %v, error: section missing", file)
	}
	if len(users) == 0 {
		return fmt.Errorf("no users configured in %v, error: no data", file)
	}
	u.set(users)
	return nil
}

func (u *userStore) set(users []userEntry) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.users = append([]userEntry(nil), users...)
}

func (u *userStore) count() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return len(u.users)
}

// authenticate is configuration/user.go AuthenticateUser; the error text is
// the message of the 401 answer.
func (u *userStore) authenticate(name, pass string) error {
	u.mu.RLock()
	users := u.users
	u.mu.RUnlock()
	if len(users) == 0 {
		return fmt.Errorf("no configured users")
	}
	var found *userEntry
	for i := range users {
		if users[i].Name == name {
			found = &users[i]
			break
		}
	}
	unauthorized := found == nil
	stored := mockPass
	if found != nil {
		stored = found.Password
	}
	if strings.HasPrefix(stored, "\"${") && strings.HasSuffix(stored, "}\"") {
		stored = os.Getenv(strings.TrimSuffix(strings.TrimPrefix(stored, "\"${"), "}\""))
		if stored == "" {
			unauthorized = true
			stored = mockPass
		}
	}
	if found != nil && found.Insecure {
		if pass != stored {
			unauthorized = true
		}
	} else if !checkPassword(pass, stored) {
		unauthorized = true
	}
	if unauthorized {
		return fmt.Errorf("unauthorized")
	}
	return nil
}

package main

// A small model of haproxy.cfg as the Data Plane API's config parser
// (client-native v6.2.0, config-parser/) reads and writes it. Only what the
// stand-in needs is modelled: sections, their lines and comments, the
// `# _version` / `# _md5hash` metadata, userlists and `stats socket` lines.
// The reading and writing rules are written from reading config-parser's
// reader.go and writer.go; see README.md for the line references and for
// what is simplified (lines keep the file's order within a section).

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// sectionOrder is the order config-parser's String() writes section kinds in,
// after the top comments and global (client-native v6.2.0
// config-parser/writer.go:37-56).
var sectionOrder = []string{
	"defaults", "userlist", "peers", "mailers", "resolvers", "cache", "ring",
	"traces", "log-forward", "log-profile", "http-errors", "acme", "crt-store",
	"frontend", "backend", "listen", "program", "fcgi-app",
}

// sectionKeywords are the keywords that open a section (config-parser/section-parsers.go:35-53).
var sectionKeywords = map[string]bool{
	"defaults": true, "global": true, "frontend": true, "backend": true, "listen": true,
	"resolvers": true, "userlist": true, "peers": true, "mailers": true, "cache": true,
	"program": true, "http-errors": true, "ring": true, "log-forward": true, "fcgi-app": true,
	"crt-store": true, "traces": true, "log-profile": true, "acme": true,
}

// cfgLine is one configuration line of a section.
type cfgLine struct {
	Parts   []string // the line split as config-parser splits it
	Comment string   // inline comment, written back as " # comment"
	Pre     []string // indented comment lines that came right before it
}

// Data is the line as written back: its words joined by single spaces.
func (l cfgLine) Data() string { return strings.Join(l.Parts, " ") }

type cfgSection struct {
	Kind        string
	Name        string
	From        string // "from" defaults section written on the header
	Comment     string // inline comment of the header line
	PreComments []string
	Lines       []cfgLine
	Post        []string
}

// haproxyConfig is one parsed haproxy.cfg.
type haproxyConfig struct {
	Version      int64 // 0: no `# _version` line
	Hash         string
	TopComments  []string // comment lines before the first empty line
	TopLines     []string // non-comment lines before any section (kept trimmed, as UnProcessed does)
	TopPost      []string
	Global       *cfgSection
	Sections     map[string]map[string]*cfgSection
	sectionCount int
}

func newHaproxyConfig() *haproxyConfig {
	return &haproxyConfig{Global: &cfgSection{Kind: "global"}, Sections: map[string]map[string]*cfgSection{}}
}

// splitLine splits a configuration line into words and its comment, with the
// rules of config-parser's common.StringSplitWithCommentIgnoreEmpty: words
// are separated by spaces and tabs, a backslash escapes a space or `#`,
// quotes group words, and an unquoted, unescaped `#` starts the comment
// (leading spaces of the comment are dropped).
func splitLine(s string) (parts []string, comment string) {
	parts = []string{}
	var buf strings.Builder
	inSingle, inDouble := false, false
	flush := func() {
		if buf.Len() > 0 {
			parts = append(parts, buf.String())
			buf.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		escaped := i > 0 && s[i-1] == '\\'
		if !inSingle && !inDouble {
			if c == '#' && !escaped {
				flush()
				j := i + 1
				for j < len(s) && s[j] == ' ' {
					j++
				}
				return parts, s[j:]
			}
			if (c == ' ' && !escaped) || c == '\t' {
				flush()
				continue
			}
		}
		buf.WriteByte(c)
		switch c {
		case '"':
			if inDouble {
				if !escaped {
					inDouble = false
				}
			} else if !inSingle && !escaped {
				inDouble = true
			}
		case '\'':
			if inSingle {
				inSingle = false
			} else if !inDouble && !escaped {
				inSingle = true
			}
		}
	}
	flush()
	return parts, comment
}

// parseOptions are the two ways client-native parses a file: the main
// parser tracks the last defaults section and makes it the "from" of later
// frontends, backends and listens (HAProxy >= 2.4); transaction parsers do
// not (configuration/interface.go:127 sets noNamedDefaultsFrom=true for them).
type parseOptions struct {
	namedDefaultsFrom bool
}

// parseHaproxyConfig reads a configuration the way config-parser's reader.go
// Process/ProcessLine does.
func parseHaproxyConfig(r io.Reader, opt parseOptions) (*haproxyConfig, error) {
	c := newHaproxyConfig()
	state := ""
	var active *cfgSection // nil: the top ("comments") section
	var activeComments, activeSectionComments []string
	lastDefaults := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	setPost := func(p []string) {
		if active == nil {
			c.TopPost = p
		} else {
			active.Post = p
		}
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if state == "" {
				state = "#"
			}
			continue
		}
		parts, comment := splitLine(line)
		if len(parts) == 0 && comment != "" {
			switch {
			case strings.HasPrefix(line, "# _version"):
				parts = []string{"# _version"}
			case strings.HasPrefix(line, "# _md5hash"):
				parts = []string{"# _md5hash"}
			default:
				parts = []string{""}
			}
		}
		if len(parts) == 0 {
			continue
		}
		if state != "" && parts[0] == "" && comment != "" {
			if line[0] == ' ' {
				activeComments = append(activeComments, comment)
			} else {
				activeSectionComments = append(activeSectionComments, comment)
			}
			continue
		}
		switch {
		case parts[0] == "# _version" && active == nil:
			if kv := strings.SplitN(strings.TrimPrefix(comment, "_version"), "=", 2); len(kv) == 2 && c.Version == 0 {
				if v, err := strconv.ParseInt(strings.TrimSpace(kv[1]), 10, 64); err == nil {
					c.Version = v
				}
			}
		case parts[0] == "# _md5hash" && active == nil:
			if kv := strings.SplitN(comment, "=", 2); len(kv) == 2 {
				c.Hash = kv[1]
			}
		case parts[0] == "" && active == nil:
			if line[0] == '#' {
				c.TopComments = append(c.TopComments, comment)
			} else {
				c.TopLines = append(c.TopLines, strings.TrimSpace(line))
			}
		case sectionKeywords[parts[0]]:
			if activeComments != nil {
				setPost(activeComments)
			}
			state = parts[0]
			kind := parts[0]
			var s *cfgSection
			switch kind {
			case "global":
				s = c.Global
			case "traces":
				if m := c.Sections["traces"]; m != nil && m[""] != nil {
					s = m[""]
				} else {
					s = &cfgSection{Kind: kind}
					c.add(s)
				}
			default:
				s = &cfgSection{Kind: kind, Comment: comment}
				if len(parts) > 1 {
					s.Name = parts[1]
				}
				if len(parts) > 3 && parts[2] == "from" {
					s.From = parts[3]
				}
				switch kind {
				case "defaults":
					if s.Name == "" {
						for i := 1; ; i++ {
							n := "unnamed_defaults_" + strconv.Itoa(i)
							if _, exists := c.Sections["defaults"][n]; !exists {
								s.Name = n
								break
							}
						}
					}
					if opt.namedDefaultsFrom {
						lastDefaults = s.Name
					}
				case "frontend", "backend", "listen":
					if s.From == "" {
						s.From = lastDefaults
					}
				}
				c.add(s)
			}
			if activeSectionComments != nil {
				s.PreComments = activeSectionComments
				activeSectionComments = nil
			}
			active = s
		default:
			l := cfgLine{Parts: parts, Comment: comment, Pre: activeComments}
			if strings.HasPrefix(parts[0], "# _") {
				// metadata comment inside a section: kept as an unprocessed line
				l = cfgLine{Parts: []string{strings.TrimSpace(line)}, Pre: activeComments}
			}
			if active == nil {
				c.TopLines = append(c.TopLines, strings.TrimSpace(line))
			} else {
				active.Lines = append(active.Lines, l)
			}
		}
		activeComments = nil
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if activeComments != nil {
		setPost(activeComments)
	}
	if activeSectionComments != nil {
		if active == nil {
			c.TopPost = append(c.TopPost, activeSectionComments...)
		} else {
			active.Post = append(active.Post, activeSectionComments...)
		}
	}
	return c, nil
}

func (c *haproxyConfig) add(s *cfgSection) {
	if c.Sections[s.Kind] == nil {
		c.Sections[s.Kind] = map[string]*cfgSection{}
	}
	// A second section of the same kind and name replaces the first, as in
	// config-parser (p.Parsers[kind][name] = new parsers).
	c.Sections[s.Kind][s.Name] = s
	c.sectionCount++
}

// sortedDefaults orders defaults sections by name, each moved after the
// section it inherits from (config-parser/sorter/sort.go).
func sortedDefaults(m map[string]*cfgSection) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	placed := map[string]bool{}
	var place func(n string, depth int)
	place = func(n string, depth int) {
		if placed[n] || depth > len(names) {
			return
		}
		if f := m[n].From; f != "" && m[f] != nil {
			place(f, depth+1)
		}
		if !placed[n] {
			placed[n] = true
			out = append(out, n)
		}
	}
	for _, n := range names {
		place(n, 0)
	}
	return out
}

// String is the configuration as config-parser's String() writes it: the
// `# _version` line, top comments, then every section, each preceded by an
// empty line, its lines indented by two spaces.
func (c *haproxyConfig) String() string {
	var b strings.Builder
	if c.Version != 0 {
		fmt.Fprintf(&b, "# _version=%d\n", c.Version)
	}
	for _, t := range c.TopComments {
		b.WriteString("# " + t + "\n")
	}
	for _, t := range c.TopLines {
		b.WriteString(t + "\n")
	}
	for _, t := range c.TopPost {
		b.WriteString("# " + t + "\n")
	}
	writeSection(&b, c.Global, "global")
	for _, kind := range sectionOrder {
		m := c.Sections[kind]
		if len(m) == 0 {
			continue
		}
		var names []string
		if kind == "defaults" {
			names = sortedDefaults(m)
		} else {
			for n := range m {
				names = append(names, n)
			}
			sort.Strings(names)
		}
		for _, n := range names {
			s := m[n]
			header := kind
			if n != "" {
				header += " " + n
			}
			writeSection(&b, s, header)
		}
	}
	return b.String()
}

func writeSection(b *strings.Builder, s *cfgSection, header string) {
	written := false
	writeHeader := func() {
		b.WriteString("\n")
		for _, pc := range s.PreComments {
			b.WriteString("# " + pc + "\n")
		}
		b.WriteString(header)
		if s.From != "" {
			b.WriteString(" from " + s.From)
		}
		if s.Comment != "" {
			b.WriteString(" # " + s.Comment)
		}
		b.WriteString("\n")
		written = true
	}
	// global is written only once it has a line (writer.go writeParsers).
	if s.Kind != "global" {
		writeHeader()
	}
	for _, l := range s.Lines {
		if !written {
			writeHeader()
		}
		for _, pc := range l.Pre {
			b.WriteString("  # " + pc + "\n")
		}
		b.WriteString("  " + l.Data())
		if l.Comment != "" {
			b.WriteString(" # " + l.Comment)
		}
		b.WriteString("\n")
	}
	for _, pc := range s.Post {
		b.WriteString("  # " + pc + "\n")
	}
}

// StringWithHash is the file content the API writes: `# _md5hash=` of the
// rest, then the rest (writer.go StringWithHash).
func (c *haproxyConfig) StringWithHash() string {
	content := c.String()
	sum := md5.Sum([]byte(content))
	c.Hash = hex.EncodeToString(sum[:])
	return "# _md5hash=" + c.Hash + "\n" + content
}

// hashIsValid reports whether the file's first line is a `# _md5hash=` that
// matches the rest, which is how the API's watcher tells its own writes from
// outside edits (dataplaneapi configuration/watcher.go invalidHash).
func hashIsValid(content string) bool {
	lines := strings.Split(content, "\n")
	kv := strings.Split(lines[0], "=")
	if len(kv) != 2 || kv[0] != "# _md5hash" {
		return false
	}
	sum := md5.Sum([]byte(strings.Join(lines[1:], "\n")))
	return kv[1] == hex.EncodeToString(sum[:])
}

// EnsureVersion gives the configuration a version as client-native's
// getVersion does (it creates `# _version=1` when there is none).
func (c *haproxyConfig) EnsureVersion() int64 {
	if c.Version == 0 {
		c.Version = 1
	}
	return c.Version
}

const (
	disclaimer1 = "Dataplaneapi managed File"
	disclaimer2 = "changing file directly can cause a conflict if dataplaneapi is running"
)

// AddDisclaimer inserts the two comment lines the API puts at the top of the
// configuration it loads at start and at each re-read, unless the first top
// comment already is the first of them (dataplaneapi client-native/cn.go:40-63).
func (c *haproxyConfig) AddDisclaimer() {
	if len(c.TopComments) > 0 && c.TopComments[0] == disclaimer1 {
		return
	}
	c.TopComments = append([]string{disclaimer1, disclaimer2}, c.TopComments...)
}

// userEntry is one `user` line of a userlist.
type userEntry struct {
	Name     string
	Password string
	Insecure bool
}

// Userlist returns the users of the named userlist; ok is false when there is
// no such section. A `user` line takes `password X` or `insecure-password X`
// as its third and fourth words (config-parser/parsers/user.go parse).
func (c *haproxyConfig) Userlist(name string) (users []userEntry, ok bool) {
	s := c.Sections["userlist"][name]
	if s == nil {
		return nil, false
	}
	for _, l := range s.Lines {
		p := l.Parts
		if len(p) < 2 || p[0] != "user" {
			continue
		}
		u := userEntry{Name: p[1]}
		if len(p) > 3 {
			switch p[2] {
			case "password":
				u.Password = p[3]
			case "insecure-password":
				u.Password = p[3]
				u.Insecure = true
			}
		}
		users = append(users, u)
	}
	return users, true
}

// StatsSockets returns the addresses of global's `stats socket` lines, in order.
func (c *haproxyConfig) StatsSockets() []string {
	var out []string
	for _, l := range c.Global.Lines {
		if len(l.Parts) >= 3 && l.Parts[0] == "stats" && l.Parts[1] == "socket" {
			out = append(out, l.Parts[2])
		}
	}
	return out
}

// isUnixSocketAddr is dataplaneapi misc.IsUnixSocketAddr: no ipv4@/ipv6@ prefix and no colon.
func isUnixSocketAddr(addr string) bool {
	if strings.HasPrefix(addr, "ipv4@") || strings.HasPrefix(addr, "ipv6@") {
		return false
	}
	return !strings.Contains(addr, ":")
}

// dropVersionLines removes `# _version=` lines from a pushed configuration
// (client-native configuration/raw.go dropVersionFromRaw); every line ends
// with a newline afterwards.
func dropVersionLines(input string) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(input))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		t := sc.Text()
		if strings.HasPrefix(t, "# _version=") {
			continue
		}
		b.WriteString(t)
		b.WriteByte('\n')
	}
	return b.String()
}

// fileMetadata reads `# _version=` and `# _md5hash=` the way client-native's
// getConfigurationMetaData does: from any line of the file.
func fileMetadata(content string) (version int64, hash string) {
	for _, line := range strings.Split(content, "\n") {
		switch {
		case strings.HasPrefix(line, "# _version="):
			if w := strings.Split(line, "="); len(w) == 2 {
				if v, err := strconv.ParseInt(w[1], 10, 64); err == nil {
					version = v
				} else {
					version = 0
				}
			}
		case strings.HasPrefix(line, "# _md5hash="):
			if w := strings.Split(line, "="); len(w) == 2 {
				hash = strings.TrimSpace(w[1])
			}
		}
		if version != 0 && hash != "" {
			break
		}
	}
	return version, hash
}

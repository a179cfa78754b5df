// Tests of the keys mapped since the first cut: dockerfile_inline, namespaces, cpu_shares, logging, network_mode bridge, configs from content and the environment, raw env_files, and where their problems are.

package compose

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainctl/chainctl/internal/topology"
)

// loadDir writes files (name → content) into a new directory and loads
// its compose.yaml with env as the process environment.
func loadDir(t *testing.T, files, env map[string]string) (*Loaded, string, error) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		write(t, filepath.Join(dir, name), content)
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	l, err := Load(context.Background(), Options{Files: []string{filepath.Join(dir, "compose.yaml")}, LookupEnv: lookup})
	return l, dir, err
}

const mappedCompose = `name: mapped
services:
  web:
    image: web
    build:
      context: .
      dockerfile_inline: |
        FROM scratch
        COPY hello /hello
    ipc: shareable
    pid: host
    userns_mode: host
    cpu_shares: 512
    logging:
      driver: json-file
      options: {max-size: 10m, max-file: "3"}
    configs:
      - inline
      - source: fromenv
        target: /etc/fromenv.conf
        mode: 0400
  bare:
    image: bare
    network_mode: bridge
    ipc: host
    logging: {driver: none}
    env_file:
      - path: raw.env
        format: raw
      - plain.env
configs:
  inline:
    content: "port=${PORT:-80}\n"
  fromenv:
    environment: APP_CONF
`

func TestMappedKeys(t *testing.T) {
	files := map[string]string{
		"compose.yaml": mappedCompose,
		".env":         "APP_CONF=from .env\n",
		// raw: quotes, $ and # after the start are the value's; a bare
		// name takes the environment's value, or is left out.
		"raw.env":   "\ufeff# comment\n  QUOTED=\"kept\"  \nDOLLAR=$HOME and ${X}\nHASH=a # b\nEMPTY=\nFROM_PROCESS\nNOT_SET\n",
		"plain.env": "PLAIN=\"unquoted\"\n",
	}
	l, dir, err := loadDir(t, files, map[string]string{"FROM_PROCESS": "proc"})
	if err != nil {
		t.Fatal(err)
	}
	top := l.Topology
	web, bare := top.Services["web"], top.Services["bare"]
	same(t, "build", web.Build, &topology.Build{Context: dir, DockerfileInline: "FROM scratch\nCOPY hello /hello\n"})
	if web.Ipc != "shareable" || web.Pid != "host" || web.UsernsMode != "host" || web.CPUShares != 512 {
		t.Errorf("web: ipc %q pid %q userns %q cpu_shares %d", web.Ipc, web.Pid, web.UsernsMode, web.CPUShares)
	}
	same(t, "logging", web.Logging, &topology.Logging{Driver: "json-file", Options: map[string]string{"max-size": "10m", "max-file": "3"}})
	same(t, "bare logging", bare.Logging, &topology.Logging{Driver: "none"})
	if bare.NetworkMode != "bridge" || bare.Ipc != "host" || len(top.NetworksOf(bare)) != 0 {
		t.Errorf("bare: network mode %q ipc %q, networks %v", bare.NetworkMode, bare.Ipc, top.NetworksOf(bare))
	}
	same(t, "configs", top.Configs, map[string]topology.FileSource{
		"inline":  {Content: "port=80\n"},
		"fromenv": {Content: "from .env"},
	})
	mode := 0o400
	same(t, "web's configs", web.Configs, []topology.FileMount{
		{Source: "inline", Target: "/inline"}, {Source: "fromenv", Target: "/etc/fromenv.conf", Mode: &mode},
	})
	same(t, "raw env_file", bare.Environment, map[string]string{
		"QUOTED": `"kept"  `, "DOLLAR": "$HOME and ${X}", "HASH": "a # b", "EMPTY": "", "FROM_PROCESS": "proc", "PLAIN": "unquoted",
	})
	same(t, "notes", l.Notes, []string(nil))
}

// A raw env_file's problem is at its own line, with the env_file entry
// as the path; so is one of an env_file in compose-go's own format.
func TestEnvFileProblemsAtTheirLines(t *testing.T) {
	for name, c := range map[string]struct{ format, content, want string }{
		"raw": {"format: raw", "OK=1\n\nBAD KEY=2\n", `raw.env:3: services.web.env_file[1]: variable name "BAD KEY" holds white space`},
		"env": {"", "OK=1\nBAD KEY=2\n", `raw.env:2: services.web.env_file[1]: key cannot contain a space`},
	} {
		t.Run(name, func(t *testing.T) {
			compose := "services:\n  web:\n    image: x\n    env_file:\n      - fine.env\n      - path: raw.env\n        " + c.format + "\n"
			_, dir, err := loadDir(t, map[string]string{"compose.yaml": compose, "fine.env": "A=1\n", "raw.env": c.content}, nil)
			if err == nil {
				t.Fatal("loaded")
			}
			checkLocated(t, err, filepath.Join(dir, "raw.env"))
			if !strings.HasPrefix(err.Error(), filepath.Join(dir, c.want)) {
				t.Errorf("got %v, want %s...", err, c.want)
			}
		})
	}
}

// A .env beside the project that does not parse is its own line's problem.
func TestDotEnvProblemAtItsLine(t *testing.T) {
	_, dir, err := loadDir(t, map[string]string{"compose.yaml": "services:\n  web:\n    image: x\n", ".env": "A=1\nB KEY=2\n"}, nil)
	if err == nil {
		t.Fatal("loaded")
	}
	checkLocated(t, err, filepath.Join(dir, ".env"))
	if want := filepath.Join(dir, ".env") + ":2: "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v, want %s...", err, want)
	}
}

// Tests against the real daemon of a compose file's namespace modes, cpu_shares, logging, network_mode bridge and a config from the environment: loaded, brought up and checked through inspect.

package docker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/compose"
	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/enginetest"
)

const runModesCompose = `services:
  web:
    image: chainctl/link:latest
    ipc: shareable
    pid: host
    userns_mode: host
    cpu_shares: 512
    logging:
      driver: json-file
      options: {max-size: 1m, max-file: "2"}
    configs:
      - source: fromenv
        target: /etc/fromenv.conf
  plain:
    image: chainctl/link:latest
    network_mode: bridge
    ipc: host
    logging: {driver: none}
configs:
  fromenv:
    environment: APP_CONF
`

func TestRunModesAndLoggingOnTheEngine(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := enginetest.Project(t)
	cleanup(t, e, cli, project)
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, []byte(runModesCompose), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"APP_CONF": "from the environment\n"}
	l, err := compose.Load(context.Background(), compose.Options{Files: []string{file}, ProjectName: project,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The host's IPC, PID and user namespaces are host access.
	_, err = e.Up(ctx, l.Topology, engine.UpOptions{WaitTimeout: time.Minute})
	if err == nil || !containsAll(err.Error(), "service plain asks for ipc host", "service web asks for pid host", "service web asks for userns_mode host", "--allow-host-access") {
		t.Fatalf("up without --allow-host-access: %v", err)
	}
	if _, err := e.Up(ctx, l.Topology, engine.UpOptions{WaitTimeout: time.Minute, Policy: engine.Policy{AllowHostAccess: true}}); err != nil {
		t.Fatalf("up: %v", err)
	}
	web, plain := inspect(t, cli, project+"-web-1"), inspect(t, cli, project+"-plain-1")
	h := web.HostConfig
	if h.IpcMode != "shareable" || h.PidMode != "host" || h.UsernsMode != "host" || h.CPUShares != 512 {
		t.Errorf("web: ipc %q pid %q userns %q cpu_shares %d", h.IpcMode, h.PidMode, h.UsernsMode, h.CPUShares)
	}
	if lc := h.LogConfig; lc.Type != "json-file" || lc.Config["max-size"] != "1m" || lc.Config["max-file"] != "2" {
		t.Errorf("web: log config %+v", lc)
	}
	if got := readFile(t, cli, web.ID, "/etc/fromenv.conf"); got != "from the environment\n" {
		t.Errorf("config from the environment: %q", got)
	}
	p := plain.HostConfig
	if p.NetworkMode != "bridge" || plain.NetworkSettings.Networks["bridge"] == nil || len(plain.NetworkSettings.Networks) != 1 ||
		p.IpcMode != "host" || p.LogConfig.Type != "none" || !plain.State.Running {
		t.Errorf("plain: network mode %s on %v, ipc %q, log driver %q, running %v",
			p.NetworkMode, plain.NetworkSettings.Networks, p.IpcMode, p.LogConfig.Type, plain.State.Running)
	}
	checkLogsErrors(t, e, project)
}

// checkLogsErrors: web's logs read back; plain's log driver none keeps
// nothing, and the error names the driver and what to set.
func checkLogsErrors(t *testing.T, e *Backend, project string) {
	t.Helper()
	ctx := context.Background()
	cs, err := engine.Containers(ctx, e.api, project)
	if err != nil || len(cs) != 2 {
		t.Fatalf("containers: %d, %v", len(cs), err)
	}
	for _, c := range cs {
		rc, err := e.api.ContainerLogs(ctx, c.ID, container.LogsOptions{ShowStdout: true, ShowStderr: true})
		if err == nil {
			rc.Close()
		}
		switch svc := c.Labels[engine.LabelService]; {
		case svc == "web" && err != nil:
			t.Errorf("logs of web (json-file): %v", err)
		case svc == "plain":
			msg := ""
			if err != nil {
				msg = logsError(c, err).Error()
			}
			if !containsAll(msg, "logs of "+project+"-plain-1: its log driver (none)", "service plain's logging.driver to json-file, local, journald", "does not support reading") {
				t.Errorf("logs of plain (none): %q", msg)
			}
		}
	}
	if err := logsError(cs[0], context.DeadlineExceeded); !strings.HasPrefix(err.Error(), "logs of ") || strings.Contains(err.Error(), "log driver") {
		t.Errorf("another error: %v", err)
	}
}

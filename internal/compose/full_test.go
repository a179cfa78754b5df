// TestFull: testdata/full/compose.yaml, which sets every key the mapping carries, checked field by field on the topology.

package compose

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/chainctl/chainctl/internal/topology"
)

func TestFull(t *testing.T) {
	l, err := Load(context.Background(), Options{Files: []string{"testdata/full/compose.yaml"}, LookupEnv: lookupTestEnv})
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata/full")
	home, _ := os.UserHomeDir()
	top := l.Topology
	// .env sets STAGE, interpolated into name:.
	if top.Name != "full-test" || top.Format != topology.FormatCompose || top.File != "testdata/full/compose.yaml" ||
		!reflect.DeepEqual(top.Files, []string{"testdata/full/compose.yaml"}) {
		t.Errorf("project: name %q format %q file %q files %v", top.Name, top.Format, top.File, top.Files)
	}
	wantNotes := []string{
		"testdata/full/compose.yaml: `version` is obsolete and ignored",
		"testdata/full/compose.yaml:122: services.api.deploy.placement is ignored, as compose ignores it: it places swarm tasks on nodes only",
	}
	same(t, "notes", l.Notes, wantNotes)
	same(t, "default network", top.Network, topology.Network{Name: "full-test_default"})
	same(t, "networks", top.Networks, map[string]topology.Network{
		"front": {Name: "full-test_front", Subnet: "172.30.0.0/24", Gateway: "172.30.0.1", Driver: "bridge",
			DriverOpts: map[string]string{"com.docker.network.bridge.name": "br-front"},
			Labels:     map[string]string{"tier": "front"}, Attachable: true},
		"back":    {Name: "full-test_back", Internal: true},
		"outside": {Name: "shared-net", External: true},
	})
	same(t, "volumes", top.Volumes, map[string]topology.Volume{
		"data": {Name: "full-test_data", Driver: "local", Labels: map[string]string{"keep": "yes"},
			DriverOpts: map[string]string{"type": "tmpfs", "device": "tmpfs"}},
		"old": {Name: "old", External: true},
	})
	same(t, "secrets", top.Secrets, map[string]topology.FileSource{"api_key": {File: filepath.Join(dir, "secret.txt")}})
	same(t, "configs", top.Configs, map[string]topology.FileSource{"app_conf": {File: filepath.Join(dir, "config.txt")}})
	// cache is in a profile that is not active: it is left out, and web's
	// dependency on it (required: false) with it.
	same(t, "services", top.ServiceNames(), []string{"api", "db", "migrate", "sidecar", "web"})
	checkWeb(t, top.Services["web"], dir, home)
	checkOthers(t, top)
}

func checkWeb(t *testing.T, web *topology.Service, dir, home string) {
	t.Helper()
	mode := 0o440
	init := true
	want := &topology.Service{
		Name: "web", Image: "full-test-web",
		Command:    []string{"sh", "-c", `echo "hello world"`},
		Entrypoint: []string{"/bin/tini", "--"},
		// environment: wins over env_file; FROM_PROCESS from the process;
		// NOT_SET_ANYWHERE is unset, so left out.
		Environment: map[string]string{"GREETING": "hi", "FROM_PROCESS": "proc", "EMPTY": "", "FROM_FILE": "from-env-file"},
		Ports: []topology.Port{
			{HostIP: "127.0.0.1", HostPort: "8080", ContainerPort: "80", Protocol: "tcp"},
			{HostIP: "0.0.0.0", HostIPSet: true, HostPort: "8443", ContainerPort: "443", Protocol: "tcp"},
			{HostIP: "127.0.0.2", HostIPSet: true, HostPort: "19000", ContainerPort: "9000", Protocol: "udp", Mode: topology.PortModeHost},
			{HostIP: "127.0.0.1", ContainerPort: "7000", Protocol: "tcp"},
		},
		Volumes: []topology.Mount{
			{Type: "volume", Target: "/app/node_modules"},
			{Type: "volume", Source: "data", Target: "/data", ReadOnly: true},
			{Type: "bind", Source: filepath.Join(dir, "src"), Target: "/src", SELinux: "z"},
			{Type: "bind", Source: filepath.Join(home, "dotfiles"), Target: "/dotfiles", SELinux: "Z"},
			{Type: "volume", Source: "data", Target: "/nocopy", NoCopy: true},
			{Type: "bind", Source: "/etc/hosts", Target: "/etc/host-hosts", ReadOnly: true, Propagation: "rslave"},
			{Type: "tmpfs", Target: "/scratch", TmpfsSize: 1 << 20, TmpfsMode: 0o1777},
		},
		Calls:     []topology.Call{{Service: "api", Port: topology.DefaultCallPort}, {Service: "db", Port: 5432}},
		DependsOn: map[string]topology.Condition{"db": topology.ServiceHealthy, "migrate": topology.ServiceCompletedSuccessfully},
		Replicas:  1,
		Healthcheck: &topology.Healthcheck{Test: []string{"CMD", "curl", "-f", "http://localhost"},
			Interval: dur("5s"), Timeout: dur("2s"), StartPeriod: dur("10s"), Retries: 3},
		Restart: "unless-stopped", Labels: map[string]string{"team": "chaos"},
		User: "1000:1000", ReadOnly: true, CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"ALL"},
		SecurityOpt: []string{"no-new-privileges"}, StopGracePeriod: ptr(dur("1m30s")),
		Run: topology.Run{
			Build: &topology.Build{Context: filepath.Join(dir, "app"), Dockerfile: "Dockerfile.web",
				Args: map[string]string{"VERSION": "1.2"}, Target: "runtime", Labels: map[string]string{"built.by": "chainctl"}},
			PullPolicy: "build", ContainerName: "full-web", Hostname: "web.local", DomainName: "example.org",
			WorkingDir: "/srv", Expose: []string{"3000", "4000-4001/udp", "5000"}, Init: &init, StopSignal: "SIGINT",
			Tmpfs: []string{"/run", "/tmp:size=64m"}, Sysctls: map[string]string{"net.core.somaxconn": "1024"},
			Ulimits: map[string]topology.Ulimit{"nofile": {Soft: 1024, Hard: 2048}, "nproc": {Soft: 512, Hard: 512}},
			DNS:     []string{"1.1.1.1"}, DNSSearch: []string{"example.org"}, DNSOpt: []string{"use-vc"},
			ExtraHosts: []string{"db.local:10.0.0.5", "v6.local:::1"}, ShmSize: 64 << 20,
			Platform: "linux/amd64", Runtime: "runc", StdinOpen: true, Tty: true, GroupAdd: []string{"audio"}, PidsLimit: 100,
			Networks: []topology.NetworkAttach{
				{Key: "front", Aliases: []string{"www"}, IPv4Address: "172.30.0.10"}, // priority 10 puts it first
				{Key: "back"},
			},
			Secrets: []topology.FileMount{
				{Source: "api_key", Target: "/run/secrets/api_key"},
				{Source: "api_key", Target: "/run/secrets/custom/key", Mode: &mode},
			},
			Configs: []topology.FileMount{{Source: "app_conf", Target: "/app_conf"}, {Source: "app_conf", Target: "/etc/app.conf"}},
			// depends_on.db.restart: true
			RestartWith: []string{"db"},
		},
	}
	same(t, "web", web, want)
}

func checkOthers(t *testing.T, top *topology.Topology) {
	t.Helper()
	same(t, "api", top.Services["api"], &topology.Service{
		Name: "api", Image: "chainctl/link:latest", Replicas: 2, EndpointMode: topology.EndpointDNSRR,
		Healthcheck: &topology.Healthcheck{Disable: true}, Restart: "on-failure:3",
		Resources: topology.Resources{CPUs: 0.5, Memory: 64 << 20},
		Run: topology.Run{PidsLimit: 50, MemoryReservation: 32 << 20,
			Networks: []topology.NetworkAttach{{Key: "back"}, {Key: "outside"}}},
	})
	same(t, "db", top.Services["db"], &topology.Service{
		Name: "db", Image: "postgres:16", Replicas: 1, Restart: "no",
		Volumes:     []topology.Mount{{Type: "volume", Source: "old", Target: "/var/lib/postgresql/data"}},
		Healthcheck: &topology.Healthcheck{Test: []string{"CMD-SHELL", "pg_isready"}},
		Run:         topology.Run{MacAddress: "02:42:ac:11:00:02", Networks: []topology.NetworkAttach{{Key: "back"}}},
	})
	// network_mode: service:db depends on db and restarts with it, as in
	// compose; deploy.restart_policy none is the engine's "no".
	same(t, "migrate", top.Services["migrate"], &topology.Service{
		Name: "migrate", Image: "migrate", Replicas: 1, Restart: "no",
		DependsOn: map[string]topology.Condition{"db": topology.ServiceStarted},
		Run:       topology.Run{NetworkMode: "service:db", RestartWith: []string{"db"}},
	})
	same(t, "sidecar", top.Services["sidecar"], &topology.Service{
		Name: "sidecar", Image: "busybox", Replicas: 1, Run: topology.Run{NetworkMode: "none"},
	})
	if !top.OneShot("migrate") || top.OneShot("db") {
		t.Errorf("one-shot: migrate %v, db %v", top.OneShot("migrate"), top.OneShot("db"))
	}
	if top.UsesDefaultNetwork() { // every service names its networks or a network_mode
		t.Error("a service joins the default network")
	}
}

func dur(s string) topology.Duration {
	var d topology.Duration
	if err := json.Unmarshal([]byte(`"`+s+`"`), &d); err != nil {
		panic(err)
	}
	return d
}

func ptr[T any](v T) *T { return &v }

// same compares as JSON shows the difference, and by reflect.DeepEqual.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("%s:\ngot  %s\nwant %s", what, g, w)
	}
}

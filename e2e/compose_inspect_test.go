// The inspect side of the compose e2e: what the engine says of each container, the checks of every mapped key, and the comparison with docker-compose v1.

package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// inspected is what docker inspect says of a container, the fields the
// compose mapping sets.
type inspected struct {
	Name   string
	Config struct {
		Hostname, Domainname, User, WorkingDir, Image, StopSignal string
		Env, Cmd, Entrypoint                                      []string
		ExposedPorts                                              map[string]struct{}
		Labels                                                    map[string]string
		Healthcheck                                               *struct {
			Test              []string
			Interval, Timeout int64
			Retries           int
		}
	}
	HostConfig struct {
		Init                         *bool
		Tmpfs                        map[string]string
		PortBindings                 map[string][]struct{ HostIp, HostPort string }
		ReadonlyRootfs, Privileged   bool
		CapAdd, CapDrop, SecurityOpt []string
		RestartPolicy                struct{ Name string }
		NetworkMode                  string
	}
	Mounts []struct {
		Type, Name, Source, Destination string
		RW                              bool
	}
	NetworkSettings struct {
		Networks map[string]struct{ Aliases []string }
	}
	State struct {
		Status                string
		ExitCode              int
		StartedAt, FinishedAt time.Time
	}
}

// composeContainers inspects a project's containers by service.
func composeContainers(t *testing.T, projectLabel, project, serviceLabel string) map[string]inspected {
	t.Helper()
	ids := strings.Fields(docker(t, "ps", "-aq", "--filter", "label="+projectLabel+"="+project))
	if len(ids) == 0 {
		t.Fatalf("no containers with %s=%s", projectLabel, project)
	}
	var all []inspected
	if err := json.Unmarshal([]byte(docker(t, append([]string{"inspect"}, ids...)...)), &all); err != nil {
		t.Fatal(err)
	}
	out := map[string]inspected{}
	for _, c := range all {
		out[c.Config.Labels[serviceLabel]] = c
	}
	return out
}

// volumesOf is the names of every volume the containers mount.
func volumesOf(cs map[string]inspected) []string {
	var vs []string
	for _, c := range cs {
		for _, m := range c.Mounts {
			if m.Type == "volume" {
				vs = append(vs, m.Name)
			}
		}
	}
	return vs
}

var (
	shortID = regexp.MustCompile(`^[0-9a-f]{12}$`)
	longID  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// bindingsOf is each published port as "8080/tcp 127.0.0.1:PORT".
func bindingsOf(c inspected) []string {
	var out []string
	for port, bs := range c.HostConfig.PortBindings {
		for _, b := range bs {
			ip := b.HostIp
			if ip == "" {
				ip = "0.0.0.0"
			}
			out = append(out, port+" "+ip+":"+b.HostPort)
		}
	}
	sort.Strings(out)
	return out
}

// networksOf is each network with its aliases, less the container's short
// ID (which the engine adds itself).
func networksOf(c inspected) map[string][]string {
	out := map[string][]string{}
	for name, n := range c.NetworkSettings.Networks {
		aliases := []string{}
		for _, a := range n.Aliases {
			if !shortID.MatchString(a) {
				aliases = append(aliases, a)
			}
		}
		sort.Strings(aliases)
		out[name] = slices.Compact(aliases)
	}
	return out
}

// checkComposeMapping checks, through inspect, every key the file maps.
func checkComposeMapping(t *testing.T, c composeDir, cs map[string]inspected) {
	t.Helper()
	for _, s := range []string{"web", "api", "store", "migrate"} {
		if _, ok := cs[s]; !ok {
			t.Fatalf("no container for service %s; have %v", s, slices.Sorted(maps.Keys(cs)))
		}
	}
	p := c.project
	expect := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", what, got, want)
		}
	}
	web, api, store, migrate := cs["web"], cs["api"], cs["store"], cs["migrate"]
	expect("web hostname", web.Config.Hostname, "web-host")
	expect("web init", web.HostConfig.Init != nil && *web.HostConfig.Init, true)
	expect("web tmpfs", web.HostConfig.Tmpfs, map[string]string{"/tmp": "size=1m"})
	expect("web ports", bindingsOf(web), []string{"8080/tcp 127.0.0.1:" + c.vars["PORT_A"]})
	// The engine itself adds a hostname that differs from the container's
	// name to the aliases (as it adds the short ID), with chainctl as with v1.
	expect("web networks", networksOf(web), map[string][]string{p + "_front": {"web", "web-host", "www"}})
	expect("web image (the build's tag)", web.Config.Image, p+"-web")

	expect("api container_name", api.Name, "/"+c.vars["API_NAME"])
	expect("api init", api.HostConfig.Init != nil && *api.HostConfig.Init, true)
	for _, e := range []string{"TIMEOUT=1s", "LOG_REQUESTS=errors", "GREETING=hello from env_file", "NAME=api", "NEXT=http://store-back:8080"} {
		if !slices.Contains(api.Config.Env, e) {
			t.Errorf("api env lacks %s (env_file, environment): %v", e, api.Config.Env)
		}
	}
	for _, port := range []string{"9000/tcp", "9100/udp"} {
		if _, ok := api.Config.ExposedPorts[port]; !ok {
			t.Errorf("api does not expose %s: %v", port, api.Config.ExposedPorts)
		}
	}
	expect("api published ports", bindingsOf(api), []string(nil))
	expect("api networks", networksOf(api), map[string][]string{p + "_front": {"api", "api-front"}, p + "_back": {"api", "api-back"}})
	expect("api mounts", mountList(api, c.dir, p), []string{
		"/cache volume rw (anonymous)",
		"/run/secrets/api_token bind ro api_token.txt",
	})

	expect("store hostname", store.Config.Hostname, "store-host")
	expect("store ports (no address in the file: loopback)", bindingsOf(store), []string{"8080/tcp 127.0.0.1:" + c.vars["PORT_B"]})
	expect("store networks", networksOf(store), map[string][]string{p + "_back": {"store", "store-back", "store-host"}})
	// The volume's name is compose's <project>_data or chainctl's
	// <project>-data: the comparison with v1 below tells them apart.
	if m := mountList(store, c.dir, p); !slices.Equal(m, []string{"/data volume rw P_data"}) && !slices.Equal(m, []string{"/data volume rw P-data"}) {
		t.Errorf("store mounts = %v, want the named volume data at /data", m)
	}

	expect("migrate state", fmt.Sprintf("%s %d", migrate.State.Status, migrate.State.ExitCode), "exited 0")
	expect("migrate command", migrate.Config.Cmd, []string{"-h"})
	if !migrate.State.FinishedAt.Before(api.State.StartedAt) {
		t.Errorf("api started at %s, before the one-shot migrate it waits for had finished (%s)", api.State.StartedAt, migrate.State.FinishedAt)
	}
	expect("migrate networks", networksOf(migrate), map[string][]string{p + "_back": {"migrate"}})

	got := docker(t, "network", "inspect", p+"_front", p+"_back", "--format", `{{.Name}} {{.Driver}} {{index .Labels "org.example.tier"}}`)
	expect("networks", got, p+"_front bridge \n"+p+"_back bridge back")
}

// mountList is each mount as "dest type rw|ro source": a bind's source
// relative to the project directory, a volume's name with the project as
// P, an anonymous volume as (anonymous).
func mountList(c inspected, dir, project string) []string {
	var out []string
	for _, m := range c.Mounts {
		src := m.Source
		switch {
		case m.Type == "bind":
			if rel, err := filepath.Rel(dir, m.Source); err == nil {
				src = rel
			}
		case longID.MatchString(m.Name):
			src = "(anonymous)"
		default:
			src = strings.ReplaceAll(m.Name, project, "P")
		}
		rw := "ro"
		if m.RW {
			rw = "rw"
		}
		out = append(out, strings.Join([]string{m.Destination, m.Type, rw, src}, " "))
	}
	sort.Strings(out)
	return out
}

// composeV1Allowed are the differences from docker-compose v1 that are
// intended, each with why; any other difference fails the test. A key is
// "service/field", or "*/field" for every service.
var composeV1Allowed = map[string]string{
	// v1 names containers <project>_<service>_<n>; compose v2, and chainctl
	// with it, <project>-<service>-<n>. (api's container_name is the same.)
	"web/name": "v1's container names use _", "store/name": "v1's container names use _", "migrate/name": "v1's container names use _",
	// Likewise the tag a build gets: v1 <project>_<service>, v2 <project>-<service>.
	"*/image": "v1's build tags use _",
	// chainctl tells every container its project, service and replica
	// (the link names itself by CHAINCTL_SERVICE); any other variable must
	// be the same.
	"*/env CHAINCTL_*": "chainctl's own variables",
	// The file gives store's port no address: chainctl binds 127.0.0.1 (its
	// security default), v1 every address.
	"store/ports": "chainctl publishes on loopback unless the file names an address",
}

// compareWithComposeV1 runs the same directory with docker-compose v1
// under a project of its own (other host ports and container_name, from
// the environment, which wins over .env) and compares every container,
// service by service, with chainctl's. It returns v1's project name.
func compareWithComposeV1(t *testing.T, c composeDir, mine map[string]inspected) (v1Project string) {
	t.Helper()
	pv := c.project + "-v1"
	vars := map[string]string{"PORT_A": strconv.Itoa(freePort(t)), "PORT_B": strconv.Itoa(freePort(t)), "API_NAME": pv + "-api"}
	env := append(os.Environ(), "COMPOSE_DOCKER_CLI_BUILD=0", "DOCKER_BUILDKIT=0")
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	v1 := func(args ...string) (string, error) {
		cmd := exec.Command("/usr/bin/docker-compose", append([]string{"-p", pv}, args...)...)
		cmd.Dir, cmd.Env = c.dir, env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	removeImagesOf(t, pv, func() {}) // registered first: runs after v1's down
	t.Cleanup(func() {
		if out, err := v1("down", "-v", "--rmi", "local", "-t", "1"); err != nil {
			t.Errorf("docker-compose -p %s down: %v\n%s", pv, err, out)
		}
		for _, kind := range []string{"ps -a", "network ls", "volume ls"} {
			out, _ := exec.Command("docker", append(strings.Fields(kind), "-q", "--filter", "label=com.docker.compose.project="+pv)...).Output()
			if s := strings.TrimSpace(string(out)); s != "" {
				t.Errorf("docker-compose down left (%s): %s", kind, s)
			}
		}
	})
	if out, err := v1("up", "-d"); err != nil {
		t.Fatalf("docker-compose -p %s up -d: %v\n%s", pv, err, out)
	}
	entry := "http://127.0.0.1:" + vars["PORT_A"] + "/"
	eventually(t, 60*time.Second, "v1's web answers", func() (bool, string) {
		s, b, err := get(entry)
		return err == nil && s == 200, fmt.Sprintf("%d %q %v", s, b, err)
	})
	theirs := composeContainers(t, "com.docker.compose.project", pv, "com.docker.compose.service")
	a, b := viewAll(mine, c.project, c.dir, c.vars), viewAll(theirs, pv, c.dir, vars)
	same := 0
	for _, d := range diffViews(a, b) {
		if d.equal {
			same++
			continue
		}
		reason, ok := composeV1Allowed[d.service+"/"+d.field]
		if !ok {
			reason, ok = composeV1Allowed["*/"+d.field]
		}
		if ok {
			t.Logf("intended difference, %s/%s: chainctl %q, v1 %q (%s)", d.service, d.field, d.mine, d.theirs, reason)
		} else {
			t.Errorf("chainctl and docker-compose v1 differ on %s/%s: chainctl %q, v1 %q", d.service, d.field, d.mine, d.theirs)
		}
	}
	t.Logf("%d fields of %d services are the same in chainctl and docker-compose v1", same, len(a))
	return pv
}

// view is a container's mapped fields as comparable strings, with the
// project as P, host ports by the variable that chose them, and the
// engine's own IDs left out.
func view(c inspected, project, dir string, vars map[string]string) map[string]string {
	p := func(s string) string { return strings.ReplaceAll(s, project, "P") }
	ports := bindingsOf(c)
	for i := range ports {
		for k, v := range vars {
			if strings.HasSuffix(ports[i], ":"+v) && strings.HasPrefix(k, "PORT_") {
				ports[i] = strings.TrimSuffix(ports[i], v) + "$" + k
			}
		}
	}
	var nets []string
	for n, aliases := range networksOf(c) {
		nets = append(nets, p(n)+"["+strings.Join(aliases, " ")+"]")
	}
	sort.Strings(nets)
	var env, own []string
	for _, e := range c.Config.Env {
		if strings.HasPrefix(e, "CHAINCTL_") {
			own = append(own, p(e))
		} else {
			env = append(env, e)
		}
	}
	var labels []string
	for k, v := range c.Config.Labels {
		if !strings.HasPrefix(k, "com.docker.compose.") && !strings.HasPrefix(k, "io.chainctl.") {
			labels = append(labels, k+"="+v)
		}
	}
	hostname := c.Config.Hostname
	if shortID.MatchString(hostname) {
		hostname = "(container id)"
	}
	restart := c.HostConfig.RestartPolicy.Name
	if restart == "" {
		restart = "no"
	}
	list := func(s []string) string { s = slices.Clone(s); sort.Strings(s); return strings.Join(s, " | ") }
	return map[string]string{
		"name": p(strings.TrimPrefix(c.Name, "/")), "image": p(c.Config.Image), "hostname": hostname,
		"domainname": c.Config.Domainname, "user": c.Config.User, "working_dir": c.Config.WorkingDir,
		"entrypoint": strings.Join(c.Config.Entrypoint, " "), "command": strings.Join(c.Config.Cmd, " "),
		"env": list(env), "env CHAINCTL_*": list(own), "labels": list(labels), "expose": list(slices.Collect(maps.Keys(c.Config.ExposedPorts))),
		"healthcheck": fmt.Sprint(c.Config.Healthcheck), "stop_signal": c.Config.StopSignal,
		"init": fmt.Sprint(c.HostConfig.Init != nil && *c.HostConfig.Init), "tmpfs": fmt.Sprint(c.HostConfig.Tmpfs),
		"ports": list(ports), "mounts": list(mountList(c, dir, project)), "networks": list(nets),
		"network_mode": p(c.HostConfig.NetworkMode), "read_only": fmt.Sprint(c.HostConfig.ReadonlyRootfs),
		"privileged": fmt.Sprint(c.HostConfig.Privileged), "cap_add": list(c.HostConfig.CapAdd),
		"cap_drop": list(c.HostConfig.CapDrop), "security_opt": list(c.HostConfig.SecurityOpt), "restart": restart,
		"state": fmt.Sprintf("%s %d", c.State.Status, c.State.ExitCode),
	}
}

func viewAll(cs map[string]inspected, project, dir string, vars map[string]string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for svc, c := range cs {
		out[svc] = view(c, project, dir, vars)
	}
	return out
}

type fieldDiff struct {
	service, field, mine, theirs string
	equal                        bool
}

// diffViews pairs every field of every service of either side.
func diffViews(mine, theirs map[string]map[string]string) []fieldDiff {
	var out []fieldDiff
	services := slices.Sorted(maps.Keys(mine))
	for s := range theirs {
		if _, ok := mine[s]; !ok {
			services = append(services, s)
		}
	}
	for _, s := range services {
		fields := map[string]bool{}
		for f := range mine[s] {
			fields[f] = true
		}
		for f := range theirs[s] {
			fields[f] = true
		}
		for _, f := range slices.Sorted(maps.Keys(fields)) {
			m, okm := mine[s][f]
			th, okt := theirs[s][f]
			if !okm {
				m = "(no such container)"
			}
			if !okt {
				th = "(no such container)"
			}
			out = append(out, fieldDiff{service: s, field: f, mine: m, theirs: th, equal: okm && okt && m == th})
		}
	}
	return out
}

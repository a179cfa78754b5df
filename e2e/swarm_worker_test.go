// End-to-end test of a two-node swarm: a second engine in a network namespace joined as a worker.

package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// workerNet is a network namespace joined to the host by a veth pair: the
// second "machine" of the two-node swarm. Its engine runs in the namespace
// with its own data, exec root, socket and host name.
type workerNet struct {
	ns, hostIP, workerIP, hostname string
	dir, sock                      string // the worker engine's state and socket
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// newWorkerNet makes the namespace and the veth pair, with addresses from a
// private range picked at random, and removes both when the test ends.
func newWorkerNet(t *testing.T) *workerNet {
	t.Helper()
	suffix := randomSuffix()
	octet := 100 + rand.IntN(100)
	w := &workerNet{
		ns:       "ccw-" + suffix,
		hostIP:   fmt.Sprintf("10.213.%d.1", octet),
		workerIP: fmt.Sprintf("10.213.%d.2", octet),
		hostname: "ccw-" + suffix,
	}
	hostIf, peerIf := "cch"+suffix, "ccp"+suffix
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", hostIf).Run() // takes the peer with it
		exec.Command("ip", "netns", "del", w.ns).Run()
	})
	run(t, "ip", "netns", "add", w.ns)
	run(t, "ip", "link", "add", hostIf, "type", "veth", "peer", "name", peerIf)
	run(t, "ip", "link", "set", peerIf, "netns", w.ns)
	run(t, "ip", "addr", "add", w.hostIP+"/24", "dev", hostIf)
	run(t, "ip", "link", "set", hostIf, "up")
	run(t, "ip", "-n", w.ns, "addr", "add", w.workerIP+"/24", "dev", peerIf)
	run(t, "ip", "-n", w.ns, "link", "set", peerIf, "up")
	run(t, "ip", "-n", w.ns, "link", "set", "lo", "up")
	run(t, "ip", "-n", w.ns, "route", "add", "default", "via", w.hostIP)
	return w
}

// dockerW runs the docker CLI against the worker engine.
func (w *workerNet) dockerW(t *testing.T, args ...string) string {
	t.Helper()
	return docker(t, append([]string{"-H", "unix://" + w.sock}, args...)...)
}

// startEngine starts a second dockerd inside the namespace. nsenter, not
// `ip netns exec`: the latter remounts /sys and the engine then fails
// with "Devices cgroup isn't mounted". unshare gives it a host name of its
// own, so the two nodes can be told apart.
func (w *workerNet) startEngine(t *testing.T) {
	t.Helper()
	dir, err := os.MkdirTemp("", "ccw-")
	if err != nil {
		t.Fatal(err)
	}
	w.dir, w.sock = dir, filepath.Join(dir, "docker.sock")
	logf, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	driver := docker(t, "info", "--format", "{{.Driver}}")
	// A configuration of its own: the machine's daemon.json names the
	// first engine's data root.
	conf := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(conf, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bip := strings.Replace(w.hostIP, "10.213.", "10.214.", 1) + "/24"
	cmd := exec.Command("nsenter", "--net=/var/run/netns/"+w.ns, "unshare", "--uts", "sh", "-c",
		`hostname "$0" && exec "$@"`, w.hostname,
		"dockerd", "--config-file", conf, "--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
		"-H", "unix://"+w.sock, "--pidfile", filepath.Join(dir, "dockerd.pid"),
		"--cgroup-parent", "/"+w.ns, "--bip", bip, "--storage-driver", driver)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			log, _ := os.ReadFile(logf.Name())
			t.Logf("worker dockerd log (tail):\n%s", tail(string(log), 30))
		}
		logf.Close()
		exec.Command("umount", "-R", filepath.Join(dir, "data")).Run()
		os.RemoveAll(dir)
	})
	eventually(t, 60*time.Second, "the worker engine answers", func() (bool, string) {
		select {
		case err := <-exited:
			exited <- err
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("the worker dockerd exited: %v\n%s", err, tail(string(log), 20))
		default:
		}
		out, err := exec.Command("docker", "-H", "unix://"+w.sock, "version", "--format", "{{.Server.Version}}").CombinedOutput()
		return err == nil, string(out)
	})
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// join copies the link image to the worker (there is no registry) and
// joins it to the swarm; it leaves and is removed from the swarm at the
// end.
func (w *workerNet) join(t *testing.T) {
	t.Helper()
	save := exec.Command("docker", "save", "chainctl/link:latest")
	load := exec.Command("docker", "-H", "unix://"+w.sock, "load", "-q")
	pipe, err := save.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	load.Stdin = pipe
	if err := save.Start(); err != nil {
		t.Fatal(err)
	}
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("load the image on the worker: %v: %s", err, out)
	}
	if err := save.Wait(); err != nil {
		t.Fatal(err)
	}
	token := docker(t, "swarm", "join-token", "-q", "worker")
	t.Cleanup(func() {
		exec.Command("docker", "-H", "unix://"+w.sock, "swarm", "leave", "--force").Run()
		exec.Command("docker", "node", "rm", "--force", w.hostname).Run()
	})
	w.dockerW(t, "swarm", "join", "--token", token, "--advertise-addr", w.workerIP, w.hostIP+":2377")
	eventually(t, 30*time.Second, "the worker is a ready node of the swarm", func() (bool, string) {
		out, _ := exec.Command("docker", "node", "inspect", "--format", "{{.Status.State}}", w.hostname).CombinedOutput()
		return strings.TrimSpace(string(out)) == "ready", string(out)
	})
}

var hostPortRE = regexp.MustCompile(`^\*:(\d+)->8080/tcp`)

// testSwarmTwoNodes: a service with two replicas, one per node, answers on
// both nodes, its calls cross the overlay network, and down leaves nothing
// on either engine.
func testSwarmTwoNodes(t *testing.T, w *workerNet) {
	w.startEngine(t)
	w.join(t)
	p := newProject(t)
	label := "label=io.chainctl.project=" + p
	t.Cleanup(func() {
		eventually(t, 30*time.Second, "nothing of the project left on the worker", func() (bool, string) {
			var left []string
			for _, kind := range []string{"ps -a", "network ls", "volume ls"} {
				args := append([]string{"-H", "unix://" + w.sock}, strings.Fields(kind)...)
				out, _ := exec.Command("docker", append(args, "-q", "--filter", label)...).Output()
				if s := strings.TrimSpace(string(out)); s != "" {
					left = append(left, kind+": "+s)
				}
			}
			return len(left) == 0, strings.Join(left, "; ")
		})
	})
	file := writeTopology(t, p, `name: PROJECT
x-health: &health
  test: ["CMD", "/link", "-health"]
  interval: 500ms
  retries: 3
services:
  a: {image: chainctl/link:latest, calls: [b], ports: ["8080"], replicas: 2, healthcheck: *health}
  b: {image: chainctl/link:latest, replicas: 2, healthcheck: *health}
`)
	mustChainctl(t, "up", "--engine", "swarm", "--publish-mode", "host", "--endpoint-mode", "dnsrr", "--wait-timeout", "90s", file)

	t.Logf("chainctl ps:\n%s", mustChainctl(t, "ps", "-p", p).stdout)
	manager, _ := os.Hostname()
	nodes := map[string]string{} // node → the URL of a's task there
	bNodes := map[string]bool{}  // where b's tasks run
	for _, r := range psNodes(t, p) {
		if r.Service == "b" {
			bNodes[r.Node] = true
		}
		if r.Service != "a" || len(r.Ports) == 0 {
			continue
		}
		m := hostPortRE.FindStringSubmatch(r.Ports[0])
		if m == nil {
			t.Fatalf("a's port %q", r.Ports[0])
		}
		ip := w.workerIP
		if r.Node == manager {
			ip = "127.0.0.1"
		}
		nodes[r.Node] = "http://" + ip + ":" + m[1]
	}
	if len(nodes) != 2 || len(bNodes) != 2 {
		t.Fatalf("a runs on %v and b on %v: want one task of each on each node", nodes, bNodes)
	}
	for node, url := range nodes {
		// a's callee b resolves (dnsrr) to both of b's tasks, one per
		// node: within a few calls the chain crosses the overlay.
		seen := map[string]bool{}
		eventually(t, 30*time.Second, "a on "+node+" answers through both b tasks", func() (bool, string) {
			status, body, err := get(url)
			if err == nil && status == 200 && strings.Contains(body, "→ b (") {
				seen[instanceIn(body, "b")] = true
			}
			return len(seen) == 2, fmt.Sprint(status, body, err, seen)
		})
	}
	// A network fault acts on this node's tasks and names the other node.
	worker := ""
	for node := range nodes {
		if node != manager {
			worker = node
		}
	}
	if r := chainctl(t, "break", "-p", p, "b", "--delay", "100ms"); r.code != 1 || !strings.Contains(r.stderr, "runs on node "+worker+": network faults act on this engine's tasks only") {
		t.Errorf("break b --delay with a task on the worker: %s", r)
	}
	mustChainctl(t, "heal", "-q", "-p", p)
	mustChainctl(t, "down", "-p", p)
	for _, kind := range []string{"service", "config", "network"} {
		if left := docker(t, kind, "ls", "-q", "--filter", label); left != "" {
			t.Errorf("%ss left on the manager after down: %s", kind, left)
		}
	}
}

func instanceIn(body, service string) string {
	i := strings.Index(body, service+" (")
	if i < 0 {
		return ""
	}
	rest := body[i+len(service)+2:]
	return rest[:strings.IndexAny(rest, ",)")]
}

type psNodeRow struct {
	psRow
	Node  string `json:"node"`
	Error string `json:"error"`
}

func psNodes(t *testing.T, project string) []psNodeRow {
	t.Helper()
	r := mustChainctl(t, "ps", "-p", project, "--json")
	var rows []psNodeRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("ps --json: %v\n%s", err, r.stdout)
	}
	return rows
}

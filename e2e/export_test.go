// End-to-end tests of export: the compose file runs the same chain under docker-compose.

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// exportChain is a→b→c as the export tests use it: a publishes on an
// engine-chosen host port, c keeps a named volume, b waits for c healthy
// (the depends_on condition that made the compose export choose format 2.4).
const exportChain = `name: PROJECT
volumes:
  c-data: {}
x-link: &link
  image: chainctl/link:latest
  read_only: true
  cap_drop: [ALL]
  security_opt: [no-new-privileges]
  healthcheck:
    test: ["CMD", "/link", "-health"]
    interval: 500ms
    timeout: 1s
    retries: 3
services:
  a:
    <<: *link
    calls: [b]
    ports: ["127.0.0.1::8080"]
  b:
    <<: *link
    calls: [c]
    depends_on: {c: {condition: service_healthy}}
  c:
    <<: *link
    volumes: ["c-data:/data"]
`

// dockerCompose runs docker-compose (v1) with a deadline, output combined.
func dockerCompose(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker-compose", args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// TestExportComposeRunsTheSameChain exports a chain to a compose file and
// runs it with docker-compose: the same request answers a → b → c, and
// `docker-compose down -v` leaves nothing behind.
func TestExportComposeRunsTheSameChain(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	file := writeTopology(t, p, exportChain)
	out := filepath.Join(t.TempDir(), "compose.yml")
	mustChainctl(t, "export", "--format", "compose", "-f", file, "-o", out)

	// A project of its own for compose, so that its labels can never be
	// mistaken for chainctl's project (and the reverse).
	cp := p + "c"
	compose := func(args ...string) (string, error) {
		return dockerCompose(append([]string{"-p", cp, "-f", out}, args...)...)
	}
	if msg, err := compose("config", "-q"); err != nil {
		b, _ := os.ReadFile(out)
		t.Fatalf("docker-compose config refuses the export: %v\n%s\n%s", err, msg, b)
	}
	t.Cleanup(func() {
		if msg, err := compose("down", "-v", "--remove-orphans", "-t", "1"); err != nil {
			t.Errorf("docker-compose down: %v\n%s", err, msg)
		}
		label := "label=com.docker.compose.project=" + cp
		for _, args := range [][]string{
			{"ps", "-aq", "--filter", label},
			{"network", "ls", "-q", "--filter", label},
			{"volume", "ls", "-q", "--filter", label},
		} {
			if left, _ := exec.Command("docker", args...).Output(); strings.TrimSpace(string(left)) != "" {
				t.Errorf("after docker-compose down, docker %s still lists: %s", strings.Join(args, " "), left)
			}
		}
		// The export keeps the engine's names: check them by name too, in
		// case compose left one unlabelled. A name filter matches parts of
		// names, hence the exact comparison.
		for kind, name := range map[string]string{"network": p + "-net", "volume": p + "-c-data"} {
			out, _ := exec.Command("docker", kind, "ls", "--format", "{{.Name}}", "--filter", "name="+name).Output()
			for _, line := range strings.Fields(string(out)) {
				if line == name {
					t.Errorf("after docker-compose down, %s %s is still there", kind, name)
				}
			}
		}
	})
	if msg, err := compose("up", "-d"); err != nil {
		t.Fatalf("docker-compose up: %v\n%s", err, msg)
	}
	addr, err := compose("port", "a", "8080")
	if err != nil || !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("docker-compose port a 8080 = %q, %v; want 127.0.0.1:PORT (the topology's host_ip)", addr, err)
	}
	eventually(t, 30*time.Second, "a → b → c through compose", func() (bool, string) {
		status, body, err := get("http://" + addr + "/")
		if err != nil {
			return false, err.Error()
		}
		ok := status == 200 && strings.HasPrefix(body, "a (") && strings.Contains(body, "→ b (") && strings.Contains(body, "→ c (")
		return ok, body
	})
	// The volume is the topology's, under the engine's name.
	if got := docker(t, "volume", "inspect", p+"-c-data", "--format", `{{index .Labels "com.docker.compose.project"}}`); got != cp {
		t.Errorf("volume %s-c-data belongs to compose project %q, want %q", p, got, cp)
	}
}

// TestExportKubernetesIsValid exports through the binary and decodes each
// document strictly into its API type; internal/export's unit tests check
// the values in detail.
func TestExportKubernetesIsValid(t *testing.T) {
	t.Parallel()
	needDaemon(t) // the binary is built by TestMain, which -short skips
	const project = "exportk8s"
	// What a Deployment cannot carry is refused by name (an explicit
	// 127.0.0.1, depends_on): the file without them exports.
	refused := mustChainctlFails(t, "export", "--format", "kubernetes", writeTopology(t, project, exportChain))
	for _, want := range []string{"a NodePort opens the port on every node's addresses, not on 127.0.0.1", "depends_on"} {
		if !strings.Contains(refused.stderr, want) {
			t.Errorf("export of what Kubernetes cannot carry: want %q in\n%s", want, refused.stderr)
		}
	}
	portable := strings.NewReplacer(`"127.0.0.1::8080"`, `"8080"`, "    depends_on: {c: {condition: service_healthy}}\n", "").Replace(exportChain)
	file := writeTopology(t, project, portable)
	r := mustChainctl(t, "export", "--format", "kubernetes", file)

	kinds := map[string]int{}
	var a *appsv1.Deployment
	for i, doc := range strings.Split(r.stdout, "\n---\n") {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, doc)
		}
		var obj any
		switch tm.Kind {
		case "Deployment":
			obj = &appsv1.Deployment{}
		case "Service":
			obj = &corev1.Service{}
		case "PersistentVolumeClaim":
			obj = &corev1.PersistentVolumeClaim{}
		default:
			t.Fatalf("document %d: kind %q\n%s", i, tm.Kind, doc)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("document %d (%s): %v\n%s", i, tm.Kind, err, doc)
		}
		kinds[tm.Kind]++
		if d, ok := obj.(*appsv1.Deployment); ok && d.Name == "a" {
			a = d
		}
	}
	// 3 Deployments, 3 ClusterIP Services and a-nodeport, c's claim.
	if kinds["Deployment"] != 3 || kinds["Service"] != 4 || kinds["PersistentVolumeClaim"] != 1 {
		t.Errorf("kinds %v, want 3 Deployments, 4 Services, 1 PersistentVolumeClaim", kinds)
	}
	if a == nil {
		t.Fatal("no Deployment a")
	}
	var next string
	for _, e := range a.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "NEXT" {
			next = e.Value
		}
	}
	if next != "b:8080" {
		t.Errorf("a NEXT = %q, want b:8080", next)
	}

	// What the CLI says when the export cannot be made.
	if r := chainctl(t, "export", file); r.code != 2 || !strings.Contains(r.stderr, "--format is required") {
		t.Errorf("export without --format: %s", r)
	}
	bind := writeTopology(t, project, "services: {a: {image: chainctl/link:latest, volumes: [\"/srv/data:/data\"]}}\n")
	out := filepath.Join(t.TempDir(), "k8s.yaml")
	r = chainctl(t, "export", "--format", "kubernetes", "-o", out, bind)
	if r.code != 1 || !strings.Contains(r.stderr, "service a: bind mount /srv/data → /data cannot be exported") {
		t.Errorf("export of a bind mount: %s", r)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed export left %s behind (stat: %v)", out, err)
	}
}

// mustChainctlFails runs chainctl and fails the test unless it exits 1.
func mustChainctlFails(t *testing.T, args ...string) result {
	t.Helper()
	r := chainctl(t, args...)
	if r.code != 1 {
		t.Fatalf("chainctl %s: want exit 1: %s", strings.Join(args, " "), r)
	}
	return r
}

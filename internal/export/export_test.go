// Tests of the exports: Kubernetes manifests and compose files decoded back and checked object by object, and what they refuse.

package export

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/chainctl/chainctl/internal/topology"
)

func fixture(name string) string { return filepath.Join("..", "topology", "testdata", name) }

var abcPath = filepath.Join("..", "..", "topologies", "abc.yaml")

// richTopology covers what the fixtures leave out: resources, exec probes
// of other images, a node port in range, uid:gid, a NEXT the service sets.
const richTopology = `name: rich
volumes:
  cache: {}
services:
  web:
    image: chainctl/link:latest
    calls: ["api:9090"]
    environment: {NEXT: "api:9090,extra:1"}
    ports: ["127.0.0.1:30080:8080", "0.0.0.0:8443:8443"]
    replicas: 1
    stop_grace_period: 2500ms
  api:
    image: example/api:1
    entrypoint: [/bin/api]
    command: [--listen, ":9090"]
    replicas: 3
    user: "1000:2000"
    privileged: true
    cap_add: [CAP_NET_ADMIN]
    security_opt: ["no-new-privileges:true", "seccomp=unconfined"]
    resources: {cpus: 0.25, memory: 128m}
    volumes: ["cache:/cache:ro"]
    healthcheck:
      test: ["CMD", "/bin/api", "-check"]
      interval: 500ms
      timeout: 3s
      retries: 4
      start_period: 1m
  worker:
    image: example/worker:1
    calls: [api:9090]
    healthcheck: {test: "pgrep worker", interval: 10s}
  quiet:
    image: chainctl/link:latest
    healthcheck: {disable: true}
`

func load(t *testing.T, path string) *topology.Topology {
	t.Helper()
	tp, err := topology.Load(path, nil)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return tp
}

func parse(t *testing.T, name, src string) *topology.Topology {
	t.Helper()
	tp, err := topology.Parse([]byte(src), name, nil)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return tp
}

// manifests is a Kubernetes export decoded strictly, by kind and name.
type manifests struct {
	order       []string // kind/name, in document order
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	claims      map[string]*corev1.PersistentVolumeClaim
}

// decodeKubernetes splits the documents and decodes each strictly into the
// API type its kind names: a field the type lacks, a misspelt one or a
// wrong type fails the test.
func decodeKubernetes(t *testing.T, out []byte) manifests {
	t.Helper()
	m := manifests{
		deployments: map[string]*appsv1.Deployment{},
		services:    map[string]*corev1.Service{},
		claims:      map[string]*corev1.PersistentVolumeClaim{},
	}
	for i, doc := range strings.Split(string(out), "\n---\n") {
		var tm metav1.TypeMeta
		if err := sigsyaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, doc)
		}
		var obj metav1.Object
		var into any
		switch tm.APIVersion + " " + tm.Kind {
		case "apps/v1 Deployment":
			d := &appsv1.Deployment{}
			obj, into = d, d
		case "v1 Service":
			s := &corev1.Service{}
			obj, into = s, s
		case "v1 PersistentVolumeClaim":
			c := &corev1.PersistentVolumeClaim{}
			obj, into = c, c
		default:
			t.Fatalf("document %d: unexpected apiVersion/kind %q %q\n%s", i, tm.APIVersion, tm.Kind, doc)
		}
		if err := sigsyaml.UnmarshalStrict([]byte(doc), into); err != nil {
			t.Fatalf("document %d (%s): strict decode: %v\n%s", i, tm.Kind, err, doc)
		}
		name := obj.GetName()
		key := tm.Kind + "/" + name
		if slices.Contains(m.order, key) {
			t.Fatalf("%s appears twice", key)
		}
		m.order = append(m.order, key)
		switch o := into.(type) {
		case *appsv1.Deployment:
			m.deployments[name] = o
		case *corev1.Service:
			m.services[name] = o
		case *corev1.PersistentVolumeClaim:
			m.claims[name] = o
		}
	}
	return m
}

func (m manifests) deployment(t *testing.T, name string) *appsv1.Deployment {
	t.Helper()
	d, ok := m.deployments[name]
	if !ok {
		t.Fatalf("no Deployment %s in %v", name, m.order)
	}
	return d
}

func (m manifests) service(t *testing.T, name string) *corev1.Service {
	t.Helper()
	s, ok := m.services[name]
	if !ok {
		t.Fatalf("no Service %s in %v", name, m.order)
	}
	return s
}

func container(t *testing.T, d *appsv1.Deployment) corev1.Container {
	t.Helper()
	if n := len(d.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("Deployment %s: %d containers, want 1", d.Name, n)
	}
	return d.Spec.Template.Spec.Containers[0]
}

func env(c corev1.Container) map[string]string {
	out := map[string]string{}
	for _, e := range c.Env {
		out[e.Name] = e.Value
	}
	return out
}

type port struct {
	port, nodePort int32
	proto          corev1.Protocol
}

func ports(s *corev1.Service) []port {
	var out []port
	for _, p := range s.Spec.Ports {
		out = append(out, port{p.Port, p.NodePort, p.Protocol})
	}
	return out
}

func equal[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// checkEveryObject holds for any export: labels on every object and pod,
// selectors that select the pods, sorted env, no replica index, rolling
// updates that never drop a pod.
func checkEveryObject(t *testing.T, tp *topology.Topology, m manifests) {
	t.Helper()
	for _, key := range m.order {
		kind, name, _ := strings.Cut(key, "/")
		var lbl map[string]string
		switch kind {
		case "Deployment":
			lbl = m.deployments[name].Labels
		case "Service":
			lbl = m.services[name].Labels
		case "PersistentVolumeClaim":
			lbl = m.claims[name].Labels
		}
		equal(t, key+" part-of label", lbl[LabelPartOf], tp.Name)
		if lbl[LabelName] == "" {
			t.Errorf("%s has no %s label", key, LabelName)
		}
	}
	for _, name := range tp.ServiceNames() {
		want := map[string]string{LabelName: name, LabelPartOf: tp.Name}
		d := m.deployment(t, name)
		equal(t, name+" replicas", *d.Spec.Replicas, int32(tp.Services[name].Replicas))
		for what, got := range map[string]map[string]string{
			"Deployment labels": d.Labels, "selector": d.Spec.Selector.MatchLabels, "pod labels": d.Spec.Template.Labels,
			"Service labels": m.service(t, name).Labels, "Service selector": m.service(t, name).Spec.Selector,
		} {
			if len(got) != len(want) || got[LabelName] != name || got[LabelPartOf] != tp.Name {
				t.Errorf("%s %s = %v, want %v", name, what, got, want)
			}
		}
		equal(t, name+" strategy", d.Spec.Strategy.Type, appsv1.RollingUpdateDeploymentStrategyType)
		equal(t, name+" maxSurge", d.Spec.Strategy.RollingUpdate.MaxSurge.String(), "1")
		equal(t, name+" maxUnavailable", d.Spec.Strategy.RollingUpdate.MaxUnavailable.String(), "0")
		equal(t, name+" minReadySeconds", d.Spec.MinReadySeconds, int32(minReadySeconds))
		c := container(t, d)
		equal(t, name+" image", c.Image, tp.Services[name].Image)
		if !slices.IsSortedFunc(c.Env, func(a, b corev1.EnvVar) int { return strings.Compare(a.Name, b.Name) }) {
			t.Errorf("%s env not sorted by name: %v", name, c.Env)
		}
		e := env(c)
		equal(t, name+" CHAINCTL_SERVICE", e["CHAINCTL_SERVICE"], name)
		equal(t, name+" CHAINCTL_PROJECT", e["CHAINCTL_PROJECT"], tp.Name)
		if v, ok := e["CHAINCTL_REPLICA"]; ok {
			t.Errorf("%s has CHAINCTL_REPLICA=%q: a pod has no replica index", name, v)
		}
		equal(t, name+" Service type", m.service(t, name).Spec.Type, corev1.ServiceTypeClusterIP)
	}
	for name, s := range m.services {
		for _, p := range s.Spec.Ports {
			// The container listens where the caller dials: no remapping.
			if p.TargetPort != intstr.FromInt32(p.Port) {
				t.Errorf("Service %s port %d targets %s", name, p.Port, p.TargetPort.String())
			}
		}
	}
}

func TestKubernetes(t *testing.T) {
	tests := []struct {
		name  string
		topo  func(t *testing.T) *topology.Topology
		check func(t *testing.T, m manifests)
	}{{
		name: "abc",
		topo: func(t *testing.T) *topology.Topology { return load(t, abcPath) },
		check: func(t *testing.T, m manifests) {
			want := []string{
				"PersistentVolumeClaim/abc-c-data",
				"Service/a", "Service/a-nodeport", "Deployment/a",
				"Service/b", "Deployment/b",
				"Service/c", "Deployment/c",
			}
			if !slices.Equal(m.order, want) {
				t.Errorf("documents %v, want %v", m.order, want)
			}
			equal(t, "a NEXT", env(container(t, m.deployment(t, "a")))["NEXT"], "b:8080")
			equal(t, "b NEXT", env(container(t, m.deployment(t, "b")))["NEXT"], "c:8080")
			if v, ok := env(container(t, m.deployment(t, "c")))["NEXT"]; ok {
				t.Errorf("c calls nobody but has NEXT=%q", v)
			}
			// b is dialled as b:8080, so its Service must answer there.
			if got := ports(m.service(t, "b")); !slices.Equal(got, []port{{8080, 0, corev1.ProtocolTCP}}) {
				t.Errorf("Service b ports %v, want 8080/TCP", got)
			}
			// a publishes 8080:8080; 8080 is outside the node port range,
			// so the cluster chooses (nodePort 0 in the manifest).
			np := m.service(t, "a-nodeport")
			equal(t, "a-nodeport type", np.Spec.Type, corev1.ServiceTypeNodePort)
			if got := ports(np); !slices.Equal(got, []port{{8080, 0, corev1.ProtocolTCP}}) {
				t.Errorf("a-nodeport ports %v, want 8080/TCP with no fixed nodePort", got)
			}
			equal(t, "a-nodeport selector", np.Spec.Selector[LabelName], "a")
			for _, name := range []string{"a", "b", "c"} {
				c := container(t, m.deployment(t, name))
				for kind, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
					if p == nil || p.HTTPGet == nil {
						t.Errorf("%s %s probe %+v, want an HTTP GET", name, kind, p)
						continue
					}
					equal(t, name+" "+kind+" path", p.HTTPGet.Path, "/health")
					equal(t, name+" "+kind+" port", p.HTTPGet.Port.IntValue(), 8080)
					// The link image's HEALTHCHECK: 2s, 1s, 10s, 3.
					equal(t, name+" "+kind+" period", p.PeriodSeconds, int32(2))
					equal(t, name+" "+kind+" timeout", p.TimeoutSeconds, int32(1))
					equal(t, name+" "+kind+" delay", p.InitialDelaySeconds, int32(10))
					equal(t, name+" "+kind+" failures", p.FailureThreshold, int32(3))
				}
				sc := c.SecurityContext
				if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
					sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
					sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
					t.Errorf("%s securityContext %+v, want read-only root, no privilege escalation, drop ALL", name, sc)
				}
			}
			pvc := m.claims["abc-c-data"]
			if !slices.Equal(pvc.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) {
				t.Errorf("claim access modes %v, want ReadWriteOnce", pvc.Spec.AccessModes)
			}
			size := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
			equal(t, "claim size", size.String(), "1Gi")
			cpod := m.deployment(t, "c").Spec.Template.Spec
			c := container(t, m.deployment(t, "c"))
			if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != "/data" || c.VolumeMounts[0].ReadOnly ||
				len(cpod.Volumes) != 1 || cpod.Volumes[0].Name != c.VolumeMounts[0].Name ||
				cpod.Volumes[0].PersistentVolumeClaim == nil || cpod.Volumes[0].PersistentVolumeClaim.ClaimName != "abc-c-data" {
				t.Errorf("c mounts %+v volumes %+v, want claim abc-c-data at /data", c.VolumeMounts, cpod.Volumes)
			}
		},
	}, {
		name: "anchors",
		topo: func(t *testing.T) *topology.Topology { return load(t, fixture("valid-anchors.yaml")) },
		check: func(t *testing.T, m manifests) {
			a := env(container(t, m.deployment(t, "a")))
			equal(t, "a NEXT", a["NEXT"], "b:8080")
			equal(t, "a MODE", a["MODE"], "chain")
			// b's own test is [CMD /link -health]; on the link image the
			// export probes HTTP instead, keeping b's retries and interval.
			p := container(t, m.deployment(t, "b")).LivenessProbe
			if p == nil || p.HTTPGet == nil || p.Exec != nil {
				t.Fatalf("b liveness %+v, want an HTTP GET only", p)
			}
			equal(t, "b failures", p.FailureThreshold, int32(5))
			equal(t, "b period", p.PeriodSeconds, int32(2))
			sc := container(t, m.deployment(t, "c")).SecurityContext
			if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 1000 || sc.RunAsGroup != nil {
				t.Errorf("c securityContext %+v, want runAsUser 1000 and no group", sc)
			}
			if sc := container(t, m.deployment(t, "b")).SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem != nil {
				t.Errorf("b securityContext %+v: read_only: false must not set readOnlyRootFilesystem", sc)
			}
			if _, ok := m.services["a-nodeport"]; ok {
				t.Error("a-nodeport: nothing is published")
			}
		},
	}, {
		name: "minimal",
		topo: func(t *testing.T) *topology.Topology { return load(t, fixture("valid-minimal.yaml")) },
		check: func(t *testing.T, m manifests) {
			want := []string{"Service/solo", "Deployment/solo"}
			if !slices.Equal(m.order, want) {
				t.Errorf("documents %v, want %v", m.order, want)
			}
			// Nobody calls solo, but the link image listens on 8080.
			if got := ports(m.service(t, "solo")); !slices.Equal(got, []port{{8080, 0, corev1.ProtocolTCP}}) {
				t.Errorf("Service solo ports %v, want 8080/TCP", got)
			}
			equal(t, "solo part-of", m.deployment(t, "solo").Labels[LabelPartOf], "valid-minimal")
		},
	}, {
		name: "swarm",
		topo: func(t *testing.T) *topology.Topology { return load(t, fixture("valid-swarm.yaml")) },
		check: func(t *testing.T, m manifests) {
			// endpoint_mode dnsrr: the name resolves to every pod.
			equal(t, "a clusterIP", m.service(t, "a").Spec.ClusterIP, corev1.ClusterIPNone)
			equal(t, "b clusterIP", m.service(t, "b").Spec.ClusterIP, "")
			want := []port{{8080, 0, corev1.ProtocolTCP}, {8081, 0, corev1.ProtocolTCP}, {9090, 0, corev1.ProtocolUDP}}
			if got := ports(m.service(t, "a-nodeport")); !slices.Equal(got, want) {
				t.Errorf("a-nodeport ports %v, want %v (18080 and 18081 are outside the node port range)", got, want)
			}
			if got := ports(m.service(t, "a")); !slices.Equal(got, want) {
				t.Errorf("Service a ports %v, want %v", got, want)
			}
		},
	}, {
		name: "rich",
		topo: func(t *testing.T) *topology.Topology { return parse(t, "rich.yaml", richTopology) },
		check: func(t *testing.T, m manifests) {
			web := container(t, m.deployment(t, "web"))
			equal(t, "web NEXT (set by the service)", env(web)["NEXT"], "api:9090,extra:1")
			np := m.service(t, "web-nodeport")
			want := []port{{8080, 30080, corev1.ProtocolTCP}, {8443, 0, corev1.ProtocolTCP}}
			if got := ports(np); !slices.Equal(got, want) {
				t.Errorf("web-nodeport ports %v, want %v (30080 is in the node port range, 8443 is not)", got, want)
			}
			equal(t, "web grace", *m.deployment(t, "web").Spec.Template.Spec.TerminationGracePeriodSeconds, int64(3))

			api := container(t, m.deployment(t, "api"))
			equal(t, "api replicas", *m.deployment(t, "api").Spec.Replicas, int32(3))
			if !slices.Equal(api.Command, []string{"/bin/api"}) || !slices.Equal(api.Args, []string{"--listen", ":9090"}) {
				t.Errorf("api command %q args %q, want entrypoint as command and command as args", api.Command, api.Args)
			}
			if got := ports(m.service(t, "api")); !slices.Equal(got, []port{{9090, 0, corev1.ProtocolTCP}}) {
				t.Errorf("Service api ports %v, want 9090/TCP, the port its callers dial", got)
			}
			if _, ok := m.services["api-nodeport"]; ok {
				t.Error("api publishes nothing but has a NodePort Service")
			}
			for kind, list := range map[string]corev1.ResourceList{"requests": api.Resources.Requests, "limits": api.Resources.Limits} {
				cpu, mem := list[corev1.ResourceCPU], list[corev1.ResourceMemory]
				equal(t, "api cpu "+kind, cpu.String(), "250m")
				equal(t, "api memory "+kind, mem.String(), "128Mi")
			}
			p := api.ReadinessProbe
			if p == nil || p.Exec == nil || !slices.Equal(p.Exec.Command, []string{"/bin/api", "-check"}) {
				t.Fatalf("api readiness %+v, want exec [/bin/api -check]", p)
			}
			equal(t, "api period (500ms rounds up)", p.PeriodSeconds, int32(1))
			equal(t, "api timeout", p.TimeoutSeconds, int32(3))
			equal(t, "api delay", p.InitialDelaySeconds, int32(60))
			equal(t, "api failures", p.FailureThreshold, int32(4))
			sc := api.SecurityContext
			switch {
			case sc == nil:
				t.Fatal("api has no securityContext")
			case sc.RunAsUser == nil || *sc.RunAsUser != 1000 || sc.RunAsGroup == nil || *sc.RunAsGroup != 2000:
				t.Errorf("api runAsUser/Group %v/%v, want 1000/2000", sc.RunAsUser, sc.RunAsGroup)
			case sc.Privileged == nil || !*sc.Privileged:
				t.Error("api: privileged not carried over")
			case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Add, []corev1.Capability{"NET_ADMIN"}):
				t.Errorf("api capabilities %+v, want add NET_ADMIN (no CAP_ prefix)", sc.Capabilities)
			case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
				t.Error("api: no-new-privileges:true not carried over")
			case sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeUnconfined:
				t.Errorf("api seccomp %+v, want Unconfined", sc.SeccompProfile)
			}
			if len(api.VolumeMounts) != 1 || !api.VolumeMounts[0].ReadOnly {
				t.Errorf("api mounts %+v, want cache read-only", api.VolumeMounts)
			}

			worker := container(t, m.deployment(t, "worker"))
			p = worker.LivenessProbe
			if p == nil || p.Exec == nil || !slices.Equal(p.Exec.Command, []string{"/bin/sh", "-c", "pgrep worker"}) {
				t.Fatalf("worker liveness %+v, want exec /bin/sh -c", p)
			}
			// Docker's defaults fill what the test leaves out.
			equal(t, "worker period", p.PeriodSeconds, int32(10))
			equal(t, "worker timeout", p.TimeoutSeconds, int32(30))
			equal(t, "worker failures", p.FailureThreshold, int32(3))
			// Nobody calls worker and it publishes nothing: a headless
			// Service keeps its name resolvable without a port.
			ws := m.service(t, "worker")
			if ws.Spec.ClusterIP != corev1.ClusterIPNone || len(ws.Spec.Ports) != 0 {
				t.Errorf("Service worker clusterIP %q ports %v, want headless without ports", ws.Spec.ClusterIP, ws.Spec.Ports)
			}

			quiet := container(t, m.deployment(t, "quiet"))
			if quiet.ReadinessProbe != nil || quiet.LivenessProbe != nil {
				t.Error("quiet: healthcheck disabled but probes exported")
			}
			if _, ok := m.claims["rich-cache"]; !ok {
				t.Errorf("no claim rich-cache in %v", m.order)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := tt.topo(t)
			out, err := Kubernetes(tp)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := Kubernetes(tp)
			if !bytes.Equal(out, again) {
				t.Fatal("two exports of the same topology differ")
			}
			m := decodeKubernetes(t, out)
			checkEveryObject(t, tp, m)
			tt.check(t, m)
		})
	}
}

func TestKubernetesRefuses(t *testing.T) {
	tests := []struct {
		name string
		topo func(t *testing.T) *topology.Topology
		want []string // each must appear in the error
	}{{
		name: "bind mount (full)",
		topo: func(t *testing.T) *topology.Topology { return load(t, fixture("valid-full.yaml")) },
		want: []string{"service mid: bind mount ", "conf → /conf cannot be exported"},
	}, {
		name: "every bind mount at once (compose forms)",
		topo: func(t *testing.T) *topology.Topology { return load(t, fixture("valid-compose-forms.yaml")) },
		want: []string{"service api: bind mount /etc/hosts → /etc/hosts", "service api: bind mount ", "→ /fixtures"},
	}, {
		name: "user name",
		topo: func(t *testing.T) *topology.Topology {
			return parse(t, "u.yaml", "services: {a: {image: x, user: nobody}}")
		},
		want: []string{`service a: user "nobody": Kubernetes needs a numeric uid`},
	}, {
		name: "unknown security option",
		topo: func(t *testing.T) *topology.Topology {
			return parse(t, "s.yaml", "services: {a: {image: x, security_opt: [label=disable]}}")
		},
		want: []string{`service a: security_opt "label=disable"`},
	}, {
		name: "service name Kubernetes cannot take",
		topo: func(t *testing.T) *topology.Topology {
			return parse(t, "n.yaml", "services: {my_api: {image: x}, 1st: {image: x}}")
		},
		want: []string{"service my_api: the name is not a Kubernetes Service name", "service 1st: the name is not"},
	}, {
		name: "claim name Kubernetes cannot take",
		topo: func(t *testing.T) *topology.Topology {
			return parse(t, "v.yaml", "name: my_lab\nvolumes: {data: {}}\nservices: {a: {image: x, volumes: [\"data:/data\"]}}")
		},
		want: []string{`volume data: claim name "my_lab-data" is not a Kubernetes object name`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Kubernetes(tt.topo(t))
			if err == nil {
				t.Fatalf("exported, want an error:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// decodeCompose decodes a compose export strictly into the model.
func decodeCompose(t *testing.T, out []byte) *ComposeFile {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(out))
	dec.KnownFields(true)
	var f ComposeFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("strict decode: %v\n%s", err, out)
	}
	return &f
}

func svc(t *testing.T, f *ComposeFile, name string) ComposeService {
	t.Helper()
	s, ok := f.Services[name]
	if !ok {
		t.Fatalf("no service %s", name)
	}
	return s
}

func deps(s ComposeService) map[string]string {
	out := map[string]string{}
	for k, v := range s.DependsOn {
		out[k] = v.Condition
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestCompose(t *testing.T) {
	tests := []struct {
		name  string
		topo  func(t *testing.T) *topology.Topology
		check func(t *testing.T, f *ComposeFile)
	}{{
		name: "abc",
		topo: func(t *testing.T) *topology.Topology { return load(t, abcPath) },
		check: func(t *testing.T, f *ComposeFile) {
			a := svc(t, f, "a")
			if !slices.Equal(a.Ports, []string{"127.0.0.1:8080:8080/tcp"}) {
				t.Errorf("a ports %q, want the topology's 127.0.0.1 kept", a.Ports)
			}
			want := map[string]string{"NEXT": "b:8080", "CHAINCTL_PROJECT": "abc", "CHAINCTL_SERVICE": "a"}
			if !mapsEqual(a.Environment, want) {
				t.Errorf("a environment %v, want %v", a.Environment, want)
			}
			if got := deps(a); !mapsEqual(got, map[string]string{"b": "service_started"}) {
				t.Errorf("a depends_on %v, want b started (from calls)", got)
			}
			if !a.ReadOnly || !slices.Equal(a.CapDrop, []string{"ALL"}) || !slices.Equal(a.SecurityOpt, []string{"no-new-privileges"}) {
				t.Errorf("a hardening read_only=%v cap_drop=%v security_opt=%v", a.ReadOnly, a.CapDrop, a.SecurityOpt)
			}
			c := svc(t, f, "c")
			if !slices.Equal(c.Volumes, []string{"c-data:/data"}) {
				t.Errorf("c volumes %q", c.Volumes)
			}
			if c.DependsOn != nil {
				t.Errorf("c depends on %v, want nothing", c.DependsOn)
			}
			equal(t, "volume c-data name", f.Volumes["c-data"].Name, "abc-c-data")
			equal(t, "network name", f.Networks[ComposeNetworkKey].Name, "abc-net")
			for _, name := range []string{"a", "b", "c"} {
				if !slices.Equal(svc(t, f, name).Networks[ComposeNetworkKey].Aliases, []string{name}) {
					t.Errorf("%s aliases %v, want [%s]", name, svc(t, f, name).Networks, name)
				}
			}
		},
	}, {
		name: "full",
		topo: func(t *testing.T) *topology.Topology { return load(t, fixture("valid-full.yaml")) },
		check: func(t *testing.T, f *ComposeFile) {
			mid := svc(t, f, "mid")
			equal(t, "mid scale", mid.Scale, 3)
			equal(t, "mid cpus", mid.CPUs, 0.5)
			equal(t, "mid mem_limit", mid.MemLimit, int64(64<<20))
			equal(t, "mid user", mid.User, "65534:65534")
			if !slices.Equal(mid.Entrypoint, []string{"/link"}) || !slices.Equal(mid.Command, []string{"-verbose", "now"}) {
				t.Errorf("mid entrypoint %q command %q", mid.Entrypoint, mid.Command)
			}
			if got := deps(mid); !mapsEqual(got, map[string]string{"back": "service_healthy"}) {
				t.Errorf("mid depends_on %v, want back healthy", got)
			}
			if !slices.Contains(mid.Volumes, "data:/data:ro") {
				t.Errorf("mid volumes %q, want data:/data:ro", mid.Volumes)
			}
			front := svc(t, f, "front")
			equal(t, "front NEXT", front.Environment["NEXT"], "mid:8080,side:9090")
			equal(t, "front scale (1 is the default, left out)", front.Scale, 0)
			equal(t, "front stop_grace_period", front.StopGracePeriod, "1m30s")
			equal(t, "front restart", front.Restart, "on-failure:3")
			if !slices.Contains(front.Ports, "0.0.0.0:9000:9000/udp") || !slices.Contains(front.Ports, "127.0.0.1::8080/tcp") {
				t.Errorf("front ports %q", front.Ports)
			}
			h := front.Healthcheck
			if h == nil || !slices.Equal(h.Test, []string{"CMD-SHELL", "/link -health"}) ||
				h.Interval != "1s" || h.Timeout != "500ms" || h.StartPeriod != "3s" || h.Retries != 2 {
				t.Errorf("front healthcheck %+v", h)
			}
			if h := svc(t, f, "side").Healthcheck; h == nil || !h.Disable || h.Test != nil {
				t.Errorf("side healthcheck %+v, want disable only", h)
			}
			net := f.Networks[ComposeNetworkKey]
			if net.Name != "full-lab" || net.IPAM == nil || len(net.IPAM.Config) != 1 ||
				net.IPAM.Config[0] != (ComposeSubnet{Subnet: "172.31.5.0/24", Gateway: "172.31.5.1"}) {
				t.Errorf("network %+v", net)
			}
			logs := f.Volumes["logs"]
			if logs.Name != "full-logs" || logs.Driver != "local" || logs.Labels["team"] != "chaos" {
				t.Errorf("volume logs %+v", logs)
			}
		},
	}, {
		name: "compose forms",
		topo: func(t *testing.T) *topology.Topology { return load(t, fixture("valid-compose-forms.yaml")) },
		check: func(t *testing.T, f *ComposeFile) {
			web := svc(t, f, "web")
			// The topology already expanded its variables: a $ left is
			// literal and must not be expanded again by compose.
			equal(t, "web PRICE", web.Environment["PRICE"], "$$5")
			if !slices.Contains(web.Command, "$$HOME") {
				t.Errorf("web command %q, want $$HOME escaped", web.Command)
			}
			if got := deps(web); !mapsEqual(got, map[string]string{"api": "service_healthy", "cache-warmer": "service_started"}) {
				t.Errorf("web depends_on %v", got)
			}
			if !slices.Contains(web.Ports, "[::1]:8443:443/tcp") {
				t.Errorf("web ports %q, want the IPv6 address kept", web.Ports)
			}
			api := svc(t, f, "api")
			equal(t, "api scale", api.Scale, 2)
			if !slices.Contains(api.Volumes, "/etc/hosts:/etc/hosts:ro") {
				t.Errorf("api volumes %q, want the bind mount kept", api.Volumes)
			}
			equal(t, "cache-warmer NEXT", svc(t, f, "cache-warmer").Environment["NEXT"], "api:7000")
		},
	}, {
		name: "anchors",
		topo: func(t *testing.T) *topology.Topology { return load(t, fixture("valid-anchors.yaml")) },
		check: func(t *testing.T, f *ComposeFile) {
			equal(t, "c user", svc(t, f, "c").User, "1000")
			equal(t, "b read_only", svc(t, f, "b").ReadOnly, false)
			equal(t, "b retries", svc(t, f, "b").Healthcheck.Retries, 5)
			if got := deps(svc(t, f, "c")); !mapsEqual(got, map[string]string{"b": "service_started"}) {
				t.Errorf("c depends_on %v", got)
			}
		},
	}, {
		name: "minimal",
		topo: func(t *testing.T) *topology.Topology { return load(t, fixture("valid-minimal.yaml")) },
		check: func(t *testing.T, f *ComposeFile) {
			equal(t, "network name", f.Networks[ComposeNetworkKey].Name, "valid-minimal-net")
			if f.Volumes != nil {
				t.Errorf("volumes %v, want none", f.Volumes)
			}
			if solo := svc(t, f, "solo"); solo.Healthcheck != nil || solo.Ports != nil || solo.DependsOn != nil {
				t.Errorf("solo %+v, want only what was given", solo)
			}
		},
	}, {
		name: "swarm",
		topo: func(t *testing.T) *topology.Topology { return load(t, fixture("valid-swarm.yaml")) },
		check: func(t *testing.T, f *ComposeFile) {
			want := []string{"127.0.0.1:18080:8080/tcp", "0.0.0.0::9090/udp", "127.0.0.1:18081:8081/tcp"}
			if got := svc(t, f, "a").Ports; !slices.Equal(got, want) {
				t.Errorf("a ports %q, want %q", got, want)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := tt.topo(t)
			out, err := Compose(tp)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := Compose(tp)
			if !bytes.Equal(out, again) {
				t.Fatal("two exports of the same topology differ")
			}
			f := decodeCompose(t, out)
			equal(t, "version", f.Version, ComposeVersion)
			if got, want := len(f.Services), len(tp.Services); got != want {
				t.Errorf("%d services, want %d", got, want)
			}
			for name, s := range f.Services {
				equal(t, name+" CHAINCTL_SERVICE", s.Environment["CHAINCTL_SERVICE"], name)
				if _, ok := s.Environment["CHAINCTL_REPLICA"]; ok {
					t.Errorf("%s has CHAINCTL_REPLICA: replicas share one service definition", name)
				}
			}
			tt.check(t, f)
		})
	}
}

func TestRender(t *testing.T) {
	tp := load(t, abcPath)
	for _, format := range Formats {
		if _, err := Render(format, tp); err != nil {
			t.Errorf("Render(%q): %v", format, err)
		}
	}
	if _, err := Render("helm", tp); err == nil || !strings.Contains(err.Error(), `"helm"`) {
		t.Errorf("Render(helm) error %v, want one naming the format", err)
	}
}

// Tests of the Kubernetes export: fixtures and a rich topology decoded back object by object.

package export

import (
	"bytes"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/chainctl/chainctl/internal/topology"
)

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
    ports: ["30080:8080", "0.0.0.0:8443:8443"]
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

func TestKubernetes(t *testing.T) {
	tests := []struct {
		name  string
		topo  func(t *testing.T) *topology.Topology
		check func(t *testing.T, m manifests)
	}{{
		name:  "abc",
		topo:  func(t *testing.T) *topology.Topology { return load(t, abcPath) },
		check: checkKubeAbc,
	}, {
		name: "anchors",
		topo: func(t *testing.T) *topology.Topology {
			tp := load(t, fixture("valid-anchors.yaml"))
			// c's depends_on is refused (TestKubernetesFields): the rest
			// of the file exports.
			tp.Services["c"].DependsOn = nil
			return tp
		},
		check: checkKubeAnchors,
	}, {
		name:  "minimal",
		topo:  func(t *testing.T) *topology.Topology { return load(t, fixture("valid-minimal.yaml")) },
		check: checkKubeMinimal,
	}, {
		name: "swarm",
		topo: func(t *testing.T) *topology.Topology {
			tp := load(t, fixture("valid-swarm.yaml"))
			// "127.0.0.1:18081:8081" is refused (TestKubernetesFields):
			// export it as if the address were the implicit default.
			tp.Services["a"].Ports[2].HostIPSet = false
			return tp
		},
		check: checkKubeSwarm,
	}, {
		name:  "rich",
		topo:  func(t *testing.T) *topology.Topology { return parse(t, "rich.yaml", richTopology) },
		check: checkKubeRich,
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

func checkKubeAbc(t *testing.T, m manifests) {
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
}

func checkKubeAnchors(t *testing.T, m manifests) {
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
}

func checkKubeMinimal(t *testing.T, m manifests) {
	want := []string{"Service/solo", "Deployment/solo"}
	if !slices.Equal(m.order, want) {
		t.Errorf("documents %v, want %v", m.order, want)
	}
	// Nobody calls solo, but the link image listens on 8080.
	if got := ports(m.service(t, "solo")); !slices.Equal(got, []port{{8080, 0, corev1.ProtocolTCP}}) {
		t.Errorf("Service solo ports %v, want 8080/TCP", got)
	}
	equal(t, "solo part-of", m.deployment(t, "solo").Labels[LabelPartOf], "valid-minimal")
}

func checkKubeSwarm(t *testing.T, m manifests) {
	// endpoint_mode dnsrr: the name resolves to every pod.
	equal(t, "a clusterIP", m.service(t, "a").Spec.ClusterIP, corev1.ClusterIPNone)
	equal(t, "b clusterIP", m.service(t, "b").Spec.ClusterIP, "")
	// 8080 is published in mode host: a hostPort on the pod's node, not
	// a NodePort on every node.
	want := []port{{8081, 0, corev1.ProtocolTCP}, {9090, 0, corev1.ProtocolUDP}}
	if got := ports(m.service(t, "a-nodeport")); !slices.Equal(got, want) {
		t.Errorf("a-nodeport ports %v, want %v (18081 is outside the node port range)", got, want)
	}
	want = []port{{8080, 0, corev1.ProtocolTCP}, {8081, 0, corev1.ProtocolTCP}, {9090, 0, corev1.ProtocolUDP}}
	if got := ports(m.service(t, "a")); !slices.Equal(got, want) {
		t.Errorf("Service a ports %v, want %v", got, want)
	}
	wantHost := []corev1.ContainerPort{
		{Name: "tcp-8080", ContainerPort: 8080, HostPort: 18080, Protocol: corev1.ProtocolTCP},
		{Name: "tcp-8081", ContainerPort: 8081, Protocol: corev1.ProtocolTCP},
		{Name: "udp-9090", ContainerPort: 9090, Protocol: corev1.ProtocolUDP},
	}
	if got := container(t, m.deployment(t, "a")).Ports; !slices.Equal(got, wantHost) {
		t.Errorf("a container ports %+v, want %+v", got, wantHost)
	}
}

func checkKubeRich(t *testing.T, m manifests) {
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
}

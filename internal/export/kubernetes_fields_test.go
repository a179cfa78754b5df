// The Kubernetes export field by field: each topology field either maps (decoded back strictly) or is refused by name.

package export

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// fieldRow is one topology field: a topology using it and either what the
// manifest holds (check) or what the error says (want: each must appear).
type fieldRow struct {
	field string
	src   string
	check func(t *testing.T, m manifests)
	want  []string
}

// TestKubernetesFields runs mappedFields and refusedFields (kubernetes_refuse_test.go).
func TestKubernetesFields(t *testing.T) {
	for _, row := range append(slices.Clone(mappedFields), refusedFields...) {
		t.Run(row.field, func(t *testing.T) {
			tp := parse(t, "fields.yaml", row.src)
			out, err := Kubernetes(tp)
			if row.want != nil {
				if err == nil {
					t.Fatalf("exported, want an error saying %q:\n%s", row.want, out)
				}
				for _, w := range row.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if again, _ := Kubernetes(tp); !bytes.Equal(out, again) {
				t.Fatal("two exports of the same topology differ")
			}
			m := decodeKubernetes(t, out)
			checkEveryObject(t, tp, m)
			row.check(t, m)
		})
	}
}

func ctr(t *testing.T, m manifests, name string) corev1.Container {
	t.Helper()
	return container(t, m.deployment(t, name))
}

func podOf(t *testing.T, m manifests, name string) corev1.PodSpec {
	t.Helper()
	return m.deployment(t, name).Spec.Template.Spec
}

func wantPorts(t *testing.T, s *corev1.Service, want ...port) {
	t.Helper()
	if got := ports(s); !slices.Equal(got, want) {
		t.Errorf("Service %s ports %v, want %v", s.Name, got, want)
	}
}

func restartIs(p corev1.RestartPolicy) func(t *testing.T, m manifests) {
	return func(t *testing.T, m manifests) { equal(t, "restartPolicy", podOf(t, m, "a").RestartPolicy, p) }
}

// checkInternal: the policy selects exactly the project's pods, lets in
// only them, lets out only to them and to the cluster DNS on 53.
func checkInternal(t *testing.T, m manifests) {
	if len(m.order) == 0 || m.order[0] != "NetworkPolicy/lab-net" {
		t.Fatalf("documents %v, want NetworkPolicy/lab-net first", m.order)
	}
	p := m.policies["lab-net"].Spec
	project := map[string]string{LabelPartOf: "lab"}
	if !mapsEqual(p.PodSelector.MatchLabels, project) || len(p.PodSelector.MatchExpressions) > 0 {
		t.Errorf("podSelector %+v, want part-of lab", p.PodSelector)
	}
	for name, d := range m.deployments {
		for k, v := range p.PodSelector.MatchLabels {
			if d.Spec.Template.Labels[k] != v {
				t.Errorf("the policy does not select %s's pods (%v)", name, d.Spec.Template.Labels)
			}
		}
	}
	if !slices.Equal(p.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}) {
		t.Errorf("policyTypes %v, want Ingress and Egress", p.PolicyTypes)
	}
	onlyProject := func(what string, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) {
		if len(peers) != 1 || peers[0].PodSelector == nil || !mapsEqual(peers[0].PodSelector.MatchLabels, project) ||
			peers[0].NamespaceSelector != nil || peers[0].IPBlock != nil || len(ports) != 0 {
			t.Errorf("%s peers %+v ports %+v, want the project's pods on every port", what, peers, ports)
		}
	}
	if len(p.Ingress) != 1 {
		t.Fatalf("ingress %+v, want one rule", p.Ingress)
	}
	onlyProject("ingress", p.Ingress[0].From, p.Ingress[0].Ports)
	if len(p.Egress) != 2 {
		t.Fatalf("egress %+v, want the project and DNS", p.Egress)
	}
	onlyProject("egress", p.Egress[0].To, p.Egress[0].Ports)
	dns := p.Egress[1]
	if len(dns.To) != 1 || dns.To[0].NamespaceSelector == nil || dns.To[0].PodSelector == nil ||
		!mapsEqual(dns.To[0].NamespaceSelector.MatchLabels, map[string]string{"kubernetes.io/metadata.name": "kube-system"}) ||
		!mapsEqual(dns.To[0].PodSelector.MatchLabels, map[string]string{"k8s-app": "kube-dns"}) {
		t.Errorf("DNS egress to %+v, want kube-dns in kube-system", dns.To)
	}
	var got []string
	for _, p := range dns.Ports {
		got = append(got, string(*p.Protocol)+"/"+p.Port.String())
	}
	if !slices.Equal(got, []string{"UDP/53", "TCP/53"}) {
		t.Errorf("DNS egress ports %v, want UDP/53 and TCP/53", got)
	}
}

var mappedFields = []fieldRow{{
	field: "restart unset", src: `services: {a: {image: x}}`, check: restartIs(corev1.RestartPolicyAlways),
}, {
	field: "restart always", src: `services: {a: {image: x, restart: always}}`, check: restartIs(corev1.RestartPolicyAlways),
}, {
	field: "restart unless-stopped", src: `services: {a: {image: x, restart: unless-stopped}}`, check: restartIs(corev1.RestartPolicyAlways),
}, {
	field: "network.internal true",
	src:   "name: lab\nnetwork: {internal: true}\nservices: {a: {image: chainctl/link:latest, calls: [b]}, b: {image: chainctl/link:latest}}",
	check: checkInternal,
}, {
	field: "network.internal false", src: "name: lab\nnetwork: {name: lab-net, internal: false}\nservices: {a: {image: x}}",
	check: func(t *testing.T, m manifests) {
		if len(m.policies) != 0 {
			t.Errorf("policies %v for a network that is not internal", m.order)
		}
	},
}, {
	field: "ports implicit address", src: `services: {a: {image: x, ports: ["30080:8080"]}}`,
	check: func(t *testing.T, m manifests) { wantPorts(t, m.service(t, "a-nodeport"), port{8080, 30080, "TCP"}) },
}, {
	field: "ports 0.0.0.0", src: `services: {a: {image: x, ports: ["0.0.0.0:30081:8080"]}}`,
	check: func(t *testing.T, m manifests) { wantPorts(t, m.service(t, "a-nodeport"), port{8080, 30081, "TCP"}) },
}, {
	field: "ports [::]", src: `services: {a: {image: x, ports: ["[::]:30082:8080"]}}`,
	check: func(t *testing.T, m manifests) { wantPorts(t, m.service(t, "a-nodeport"), port{8080, 30082, "TCP"}) },
}, {
	field: "ports protocol udp and sctp", src: `services: {a: {image: x, ports: ["30083:53/udp", "30084:9/sctp"]}}`,
	check: func(t *testing.T, m manifests) {
		wantPorts(t, m.service(t, "a-nodeport"), port{9, 30084, "SCTP"}, port{53, 30083, "UDP"})
		wantPorts(t, m.service(t, "a"), port{9, 0, "SCTP"}, port{53, 0, "UDP"})
	},
}, {
	field: "ports mode ingress", src: `services: {a: {image: x, ports: [{target: 8080, published: 30090, mode: ingress}]}}`,
	check: func(t *testing.T, m manifests) { wantPorts(t, m.service(t, "a-nodeport"), port{8080, 30090, "TCP"}) },
}, {
	field: "ports mode host",
	src:   `services: {a: {image: x, ports: [{target: 8080, published: 18080, mode: host}, {target: 7000-7001, published: 17000-17001, mode: host}]}}`,
	check: func(t *testing.T, m manifests) {
		if _, ok := m.services["a-nodeport"]; ok {
			t.Error("mode host ports on a NodePort Service: they open on the pod's node only")
		}
		want := []corev1.ContainerPort{
			{Name: "tcp-7000", ContainerPort: 7000, HostPort: 17000, Protocol: "TCP"},
			{Name: "tcp-7001", ContainerPort: 7001, HostPort: 17001, Protocol: "TCP"},
			{Name: "tcp-8080", ContainerPort: 8080, HostPort: 18080, Protocol: "TCP"},
		}
		if got := ctr(t, m, "a").Ports; !slices.Equal(got, want) {
			t.Errorf("container ports %+v, want %+v", got, want)
		}
		wantPorts(t, m.service(t, "a"), port{7000, 0, "TCP"}, port{7001, 0, "TCP"}, port{8080, 0, "TCP"})
	},
}, {
	field: "ports in both modes", src: `services: {a: {image: x, ports: ["30085:8080", {target: 8080, published: 18080, mode: host}]}}`,
	check: func(t *testing.T, m manifests) {
		wantPorts(t, m.service(t, "a-nodeport"), port{8080, 30085, "TCP"})
		want := []corev1.ContainerPort{{Name: "tcp-8080", ContainerPort: 8080, HostPort: 18080, Protocol: "TCP"}}
		if got := ctr(t, m, "a").Ports; !slices.Equal(got, want) {
			t.Errorf("container ports %+v, want %+v", got, want)
		}
	},
}, {
	field: "environment", src: `services: {a: {image: x, environment: {A: "$(B) costs $$5", B: x}}}`,
	check: func(t *testing.T, m manifests) {
		// Kubernetes expands $(B); $$ keeps the value literal.
		equal(t, "A", env(ctr(t, m, "a"))["A"], "$$(B) costs $$5")
	},
}, {
	field: "command and entrypoint", src: `services: {a: {image: x, entrypoint: [/bin/app], command: [--home, "$(HOME)"]}}`,
	check: func(t *testing.T, m manifests) {
		c := ctr(t, m, "a")
		if !slices.Equal(c.Command, []string{"/bin/app"}) || !slices.Equal(c.Args, []string{"--home", "$$(HOME)"}) {
			t.Errorf("command %q args %q, want [/bin/app] [--home $$(HOME)]", c.Command, c.Args)
		}
	},
}, {
	field: "healthcheck.test of the link image", src: `services: {a: {image: chainctl/link:latest, healthcheck: {test: [CMD, /link, -health], retries: 9}}}`,
	check: func(t *testing.T, m manifests) {
		p := ctr(t, m, "a").ReadinessProbe
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/health" || p.HTTPGet.Port != intstr.FromInt32(8080) || p.FailureThreshold != 9 {
			t.Errorf("probe %+v, want GET :8080/health, 9 failures", p)
		}
	},
}, {
	field: "healthcheck.test another on the link image", src: `services: {a: {image: chainctl/link:latest, healthcheck: {test: [CMD, /link, -health, "$(X)"]}}}`,
	check: func(t *testing.T, m manifests) {
		p := ctr(t, m, "a").LivenessProbe
		if p == nil || p.Exec == nil || p.HTTPGet != nil || !slices.Equal(p.Exec.Command, []string{"/link", "-health", "$$(X)"}) {
			t.Errorf("probe %+v, want the test exec'd as given", p)
		}
		equal(t, "period (the link image's)", p.PeriodSeconds, int32(2))
	},
}, {
	field: "healthcheck timings",
	src:   `services: {a: {image: x, healthcheck: {test: pgrep x, interval: 3s, timeout: 2s, start_period: 4s, retries: 7}}}`,
	check: func(t *testing.T, m manifests) {
		p := ctr(t, m, "a").ReadinessProbe
		if p == nil || p.Exec == nil || !slices.Equal(p.Exec.Command, []string{"/bin/sh", "-c", "pgrep x"}) {
			t.Fatalf("probe %+v, want exec /bin/sh -c 'pgrep x'", p)
		}
		got := []int32{p.PeriodSeconds, p.TimeoutSeconds, p.InitialDelaySeconds, p.FailureThreshold}
		if !slices.Equal(got, []int32{3, 2, 4, 7}) {
			t.Errorf("period, timeout, delay, failures %v, want [3 2 4 7]", got)
		}
	},
}, {
	field: "healthcheck.disable and NONE",
	src:   `services: {a: {image: chainctl/link:latest, healthcheck: {disable: true}}, b: {image: x, healthcheck: {test: [NONE]}}}`,
	check: func(t *testing.T, m manifests) {
		for _, name := range []string{"a", "b"} {
			if c := ctr(t, m, name); c.ReadinessProbe != nil || c.LivenessProbe != nil {
				t.Errorf("%s: health check off but probes exported", name)
			}
		}
	},
}, {
	field: "labels", src: `services: {a: {image: x, labels: {"free text": "any value: at all"}}}`,
	check: func(t *testing.T, m manifests) {
		equal(t, "annotation", m.deployment(t, "a").Spec.Template.Annotations["free text"], "any value: at all")
	},
}, {
	field: "volumes, driver local and labels",
	src:   "name: v\nvolumes: {data: {driver: local, labels: {team: chaos}}}\nservices: {a: {image: x, volumes: [\"data:/data:ro\"]}}",
	check: func(t *testing.T, m manifests) {
		pvc, ok := m.claims["v-data"]
		if !ok || pvc.Annotations["team"] != "chaos" {
			t.Fatalf("claim v-data %+v, want it with the volume's labels as annotations", pvc)
		}
		vols := podOf(t, m, "a").Volumes
		if len(vols) != 1 || vols[0].PersistentVolumeClaim == nil || !vols[0].PersistentVolumeClaim.ReadOnly || !ctr(t, m, "a").VolumeMounts[0].ReadOnly {
			t.Errorf("volumes %+v, want claim v-data read-only", vols)
		}
	},
}, {
	field: "user, read_only, cap_add, cap_drop, privileged, security_opt",
	src:   `services: {a: {image: x, user: "1:2", read_only: true, cap_add: [CAP_NET_ADMIN], cap_drop: [ALL], privileged: true, security_opt: [no-new-privileges, "apparmor:unconfined"]}}`,
	check: func(t *testing.T, m manifests) {
		sc := ctr(t, m, "a").SecurityContext
		if sc == nil || *sc.RunAsUser != 1 || *sc.RunAsGroup != 2 || !*sc.ReadOnlyRootFilesystem || !*sc.Privileged ||
			*sc.AllowPrivilegeEscalation || sc.AppArmorProfile.Type != corev1.AppArmorProfileTypeUnconfined ||
			!slices.Equal(sc.Capabilities.Add, []corev1.Capability{"NET_ADMIN"}) || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
			t.Errorf("securityContext %+v", sc)
		}
	},
}, {
	field: "replicas, resources, stop_grace_period, endpoint_mode",
	src:   `services: {a: {image: x, replicas: 2, resources: {cpus: 1.5, memory: 1g}, stop_grace_period: 1m, calls: [b, c]}, b: {image: x, endpoint_mode: dnsrr}, c: {image: x, endpoint_mode: vip}}`,
	check: func(t *testing.T, m manifests) {
		equal(t, "replicas", *m.deployment(t, "a").Spec.Replicas, int32(2))
		lim := ctr(t, m, "a").Resources.Limits
		equal(t, "cpu", lim.Cpu().String(), "1500m")
		equal(t, "memory", lim.Memory().String(), "1Gi")
		equal(t, "grace", *podOf(t, m, "a").TerminationGracePeriodSeconds, int64(60))
		equal(t, "b headless (dnsrr)", m.service(t, "b").Spec.ClusterIP, corev1.ClusterIPNone)
		equal(t, "c virtual IP (vip)", m.service(t, "c").Spec.ClusterIP, "")
		wantPorts(t, m.service(t, "b"), port{8080, 0, "TCP"})
		wantPorts(t, m.service(t, "c"), port{8080, 0, "TCP"})
	},
}}

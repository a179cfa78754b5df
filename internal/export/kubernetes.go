package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/chainctl/chainctl/internal/topology"
)

// Recommended labels; every object carries both and selectors use both,
// so two projects' services of the same name never select each other's pods.
const (
	LabelName   = "app.kubernetes.io/name"
	LabelPartOf = "app.kubernetes.io/part-of"
)

const (
	// NodePortSuffix names the extra Service of a service that publishes ports.
	NodePortSuffix = "-nodeport"
	// HealthPath is the link service's health endpoint.
	HealthPath = "/health"
	// ClaimSize is what each named volume's claim asks for: a topology
	// gives no size, and 1Gi is enough for the demo's data.
	ClaimSize = "1Gi"
	// minReadySeconds keeps a rolling update from racing ahead of a pod
	// that turns ready and fails right after.
	minReadySeconds = 5
	// The default node port range of the API server: a host port outside
	// it cannot be a nodePort, so the cluster chooses one.
	minNodePort, maxNodePort = 30000, 32767
)

// Kubernetes renders t as a multi-document YAML of PersistentVolumeClaims,
// then per service (sorted) its ClusterIP Service, its NodePort Service
// when it publishes ports, and its Deployment. Services come before
// Deployments so that a `kubectl apply` creates the DNS names first.
// Every problem is reported at once.
func Kubernetes(t *topology.Topology) ([]byte, error) {
	var objs []any
	var errs []error
	if msgs := validation.IsValidLabelValue(t.Name); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("project name %q is not a Kubernetes label value: %s", t.Name, strings.Join(msgs, "; ")))
	}
	for _, key := range sortedKeys(t.Volumes) {
		pvc, err := claim(t, key)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, pvc)
	}
	for _, name := range t.ServiceNames() {
		svcObjs, err := kubeService(t, t.Services[name])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, svcObjs...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []byte
	for i, o := range objs {
		b, err := marshalObject(o)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out = append(out, "---\n"...)
		}
		out = append(out, b...)
	}
	return out, nil
}

// marshalObject renders one object without status: the API server owns
// it, and the empty one the types always print is noise in a manifest.
func marshalObject(o any) ([]byte, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: encode %T: %w", o, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	if b, err = json.Marshal(m); err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(b)
}

func labels(project, name string) map[string]string {
	return map[string]string{LabelName: name, LabelPartOf: project}
}

// claim is the PersistentVolumeClaim of a named volume, <project>-<key>
// as the engine names the volume.
func claim(t *topology.Topology, key string) (*corev1.PersistentVolumeClaim, error) {
	name := claimName(t, key)
	if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
		return nil, fmt.Errorf("volume %s: claim name %q is not a Kubernetes object name: %s", key, name, strings.Join(msgs, "; "))
	}
	return &corev1.PersistentVolumeClaim{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{
			Name:   name,
			Labels: labels(t.Name, key),
			// Docker label values are free text; Kubernetes label values
			// are not, so they travel as annotations.
			Annotations: t.Volumes[key].Labels,
		},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(ClaimSize)},
			},
		},
	}, nil
}

func claimName(t *topology.Topology, key string) string { return t.Name + "-" + key }

// kubeService renders one topology service: its Service(s) and Deployment.
func kubeService(t *topology.Topology, svc *topology.Service) ([]any, error) {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("service %s: "+format, append([]any{svc.Name}, args...)...))
	}
	// The Service's name is the DNS name callers dial, so it must be the
	// service's name exactly: no rewriting, an error when Kubernetes
	// cannot take it.
	if msgs := validation.IsDNS1035Label(svc.Name); len(msgs) > 0 {
		fail("the name is not a Kubernetes Service name: %s", strings.Join(msgs, "; "))
	} else if msgs := validation.IsDNS1035Label(svc.Name + NodePortSuffix); len(msgs) > 0 && len(svc.Ports) > 0 {
		fail("%q is not a Kubernetes Service name: %s", svc.Name+NodePortSuffix, strings.Join(msgs, "; "))
	}
	ports, err := servicePorts(t, svc)
	if err != nil {
		fail("%v", err)
	}
	published, err := nodePorts(svc)
	if err != nil {
		fail("%v", err)
	}
	pod, podErrs := podSpec(t, svc, ports)
	for _, err := range podErrs {
		fail("%w", err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	lbl := labels(t.Name, svc.Name)
	meta := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, Labels: lbl} }
	svcType := metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}
	cluster := &corev1.Service{
		TypeMeta:   svcType,
		ObjectMeta: meta(svc.Name),
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: lbl, Ports: ports},
	}
	// dnsrr means the name resolves to every replica, which is what a
	// headless Service does; a Service without ports must be headless too.
	if svc.EndpointMode == topology.EndpointDNSRR || len(ports) == 0 {
		cluster.Spec.ClusterIP = corev1.ClusterIPNone
	}
	objs := []any{cluster}
	if len(published) > 0 {
		objs = append(objs, &corev1.Service{
			TypeMeta:   svcType,
			ObjectMeta: meta(svc.Name + NodePortSuffix),
			Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: lbl, Ports: published},
		})
	}
	replicas := int32(min(svc.Replicas, math.MaxInt32))
	maxSurge, maxUnavailable := intstr.FromInt32(1), intstr.FromInt32(0)
	objs = append(objs, &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta(svc.Name),
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Strategy: appsv1.DeploymentStrategy{
				// One extra pod at a time and never one fewer: the chain
				// keeps answering while it rolls, as the swarm backend's
				// start-first updates do.
				Type:          appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &maxSurge, MaxUnavailable: &maxUnavailable},
			},
			MinReadySeconds: minReadySeconds,
			Template: corev1.PodTemplateSpec{
				// Container labels are free text in Docker and restricted
				// in Kubernetes: they become annotations.
				ObjectMeta: metav1.ObjectMeta{Labels: lbl, Annotations: svc.Labels},
				Spec:       *pod,
			},
		},
	})
	return objs, nil
}

// portKey orders and deduplicates ports: Kubernetes refuses two entries
// with the same port and protocol.
type portKey struct {
	port  int
	proto corev1.Protocol
}

func sortPorts(set map[portKey]bool) []portKey {
	out := make([]portKey, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].port != out[j].port {
			return out[i].port < out[j].port
		}
		return out[i].proto < out[j].proto
	})
	return out
}

// portName is unique per port and protocol and fits IANA_SVC_NAME
// (15 characters at most), which a Service with several ports needs.
func portName(k portKey) string {
	return strings.ToLower(string(k.proto)) + "-" + strconv.Itoa(k.port)
}

func protocol(p string) corev1.Protocol { return corev1.Protocol(strings.ToUpper(p)) }

// containerPorts are the ports the service serves: those its callers dial
// (other services' calls), those it publishes, and for the link image the
// port it listens on.
func containerPorts(t *topology.Topology, svc *topology.Service) ([]portKey, error) {
	set := map[portKey]bool{}
	for _, name := range t.ServiceNames() {
		for _, c := range t.Services[name].Calls {
			if c.Service == svc.Name {
				set[portKey{c.Port, corev1.ProtocolTCP}] = true
			}
		}
	}
	for _, p := range svc.Ports {
		lo, hi, err := portRange(p.ContainerPort)
		if err != nil {
			return nil, err
		}
		for port := lo; port <= hi; port++ {
			set[portKey{port, protocol(p.Protocol)}] = true
		}
	}
	if isLink(svc) {
		set[portKey{linkPort(svc), corev1.ProtocolTCP}] = true
	}
	return sortPorts(set), nil
}

func servicePorts(t *topology.Topology, svc *topology.Service) ([]corev1.ServicePort, error) {
	keys, err := containerPorts(t, svc)
	if err != nil {
		return nil, err
	}
	out := make([]corev1.ServicePort, len(keys))
	for i, k := range keys {
		out[i] = corev1.ServicePort{Name: portName(k), Protocol: k.proto, Port: int32(k.port), TargetPort: intstr.FromInt32(int32(k.port))}
	}
	return out, nil
}

// nodePorts are the published ports. A host port becomes the nodePort
// when it lies in the node port range, else the cluster picks one, as the
// engine does for "127.0.0.1::8080". The host address has no equivalent:
// a NodePort listens on every node address.
func nodePorts(svc *topology.Service) ([]corev1.ServicePort, error) {
	nodePort := map[portKey]int{}
	for _, p := range svc.Ports {
		lo, hi, err := portRange(p.ContainerPort)
		if err != nil {
			return nil, err
		}
		hostLo, hostHi := 0, 0
		if p.HostPort != "" {
			if hostLo, hostHi, err = portRange(p.HostPort); err != nil {
				return nil, err
			}
		}
		for port := lo; port <= hi; port++ {
			k := portKey{port, protocol(p.Protocol)}
			if _, dup := nodePort[k]; dup {
				continue // the same container port published on two addresses
			}
			// A host range as wide as the container range maps one to
			// one; a wider one (replicas sharing a range) has no single
			// node port to pin.
			np := 0
			if hostLo != 0 && hostHi-hostLo == hi-lo {
				np = hostLo + port - lo
			}
			if np < minNodePort || np > maxNodePort {
				np = 0
			}
			nodePort[k] = np
		}
	}
	keys := make(map[portKey]bool, len(nodePort))
	for k := range nodePort {
		keys[k] = true
	}
	var out []corev1.ServicePort
	for _, k := range sortPorts(keys) {
		out = append(out, corev1.ServicePort{
			Name: portName(k), Protocol: k.proto, Port: int32(k.port),
			TargetPort: intstr.FromInt32(int32(k.port)), NodePort: int32(nodePort[k]),
		})
	}
	return out, nil
}

// podSpec is the pod template's spec: one container, its volumes; and
// every problem found on the way.
func podSpec(t *topology.Topology, svc *topology.Service, ports []corev1.ServicePort) (*corev1.PodSpec, []error) {
	var errs []error
	c := corev1.Container{
		Name:    svc.Name,
		Image:   svc.Image,
		Command: svc.Entrypoint, // Docker's entrypoint is Kubernetes' command
		Args:    svc.Command,    // and Docker's command its args
	}
	env := environment(t.Name, svc)
	for _, k := range sortedKeys(env) {
		c.Env = append(c.Env, corev1.EnvVar{Name: k, Value: env[k]})
	}
	for _, p := range ports {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: p.Name, ContainerPort: p.Port, Protocol: p.Protocol})
	}
	c.Resources = resources(svc.Resources)
	probe := healthProbe(svc)
	c.ReadinessProbe, c.LivenessProbe = probe, probe.DeepCopy()
	sc, scErrs := securityContext(svc)
	errs = append(errs, scErrs...)
	c.SecurityContext = sc

	spec := &corev1.PodSpec{}
	for _, m := range svc.Volumes {
		if m.Type != "volume" {
			errs = append(errs, fmt.Errorf("bind mount %s → %s cannot be exported: a pod runs on any node, not on this host; use a named volume", m.Source, m.Target))
			continue
		}
		if msgs := validation.IsDNS1123Label(m.Source); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("volume %s is not a Kubernetes volume name: %s", m.Source, strings.Join(msgs, "; ")))
			continue
		}
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: m.Source, MountPath: m.Target, ReadOnly: m.ReadOnly})
		spec.Volumes = append(spec.Volumes, corev1.Volume{
			Name: m.Source,
			VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{
				ClaimName: claimName(t, m.Source), ReadOnly: m.ReadOnly,
			}},
		})
	}
	if svc.StopGracePeriod != nil {
		secs := ceilSeconds(time.Duration(*svc.StopGracePeriod))
		spec.TerminationGracePeriodSeconds = &secs
	}
	// restart has no equivalent: a Deployment's pods always restart, which
	// is the point of exporting to one.
	spec.Containers = []corev1.Container{c}
	return spec, errs
}

// resources sets requests equal to limits: the pod gets what the container
// was limited to, no more and no less (the Guaranteed class when both are set).
func resources(r topology.Resources) corev1.ResourceRequirements {
	list := corev1.ResourceList{}
	if r.CPUs > 0 {
		list[corev1.ResourceCPU] = *resource.NewMilliQuantity(int64(math.Round(r.CPUs*1000)), resource.DecimalSI)
	}
	if r.Memory > 0 {
		list[corev1.ResourceMemory] = *resource.NewQuantity(r.Memory, resource.BinarySI)
	}
	if len(list) == 0 {
		return corev1.ResourceRequirements{}
	}
	return corev1.ResourceRequirements{Requests: list, Limits: list.DeepCopy()}
}

// Docker's health check timings when a test leaves them out, and those of
// the link image's HEALTHCHECK (see the Dockerfile), which Kubernetes
// cannot read from the image.
var (
	dockerHealth = topology.Healthcheck{Interval: topology.Duration(30 * time.Second), Timeout: topology.Duration(30 * time.Second), Retries: 3}
	linkHealth   = topology.Healthcheck{Interval: topology.Duration(2 * time.Second), Timeout: topology.Duration(time.Second), StartPeriod: topology.Duration(10 * time.Second), Retries: 3}
)

// healthProbe turns the health check into a probe, nil for none. The link
// image gets an HTTP GET, cheaper than an exec; another image without a
// test gets none, since its Docker HEALTHCHECK is invisible here.
func healthProbe(svc *topology.Service) *corev1.Probe {
	h := svc.Healthcheck
	if h != nil && (h.Disable || len(h.Test) > 0 && h.Test[0] == "NONE") {
		return nil
	}
	timing := dockerHealth
	var handler corev1.ProbeHandler
	switch {
	case isLink(svc):
		timing = linkHealth
		handler.HTTPGet = &corev1.HTTPGetAction{Path: HealthPath, Port: intstr.FromInt32(int32(linkPort(svc)))}
	case h == nil || len(h.Test) < 2:
		return nil
	case h.Test[0] == "CMD":
		handler.Exec = &corev1.ExecAction{Command: h.Test[1:]}
	case h.Test[0] == "CMD-SHELL":
		handler.Exec = &corev1.ExecAction{Command: []string{"/bin/sh", "-c", h.Test[1]}}
	default:
		return nil
	}
	// Fields the topology leaves at 0 keep the default, as Docker merges
	// a service's health check over the image's.
	if h != nil {
		if h.Interval != 0 {
			timing.Interval = h.Interval
		}
		if h.Timeout != 0 {
			timing.Timeout = h.Timeout
		}
		if h.StartPeriod != 0 {
			timing.StartPeriod = h.StartPeriod
		}
		if h.Retries != 0 {
			timing.Retries = h.Retries
		}
	}
	return &corev1.Probe{
		ProbeHandler:        handler,
		InitialDelaySeconds: int32(ceilSeconds(time.Duration(timing.StartPeriod))),
		// Kubernetes counts in whole seconds, at least 1: 500ms becomes 1s.
		PeriodSeconds:    int32(max(1, ceilSeconds(time.Duration(timing.Interval)))),
		TimeoutSeconds:   int32(max(1, ceilSeconds(time.Duration(timing.Timeout)))),
		FailureThreshold: int32(min(timing.Retries, math.MaxInt32)),
	}
}

func ceilSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

// securityContext maps user, read_only, capabilities, privileged and the
// security options Kubernetes has a field for; nil when none is set.
func securityContext(svc *topology.Service) (*corev1.SecurityContext, []error) {
	sc := &corev1.SecurityContext{}
	var errs []error
	if svc.User != "" {
		uid, gid, hasGID := strings.Cut(svc.User, ":")
		u, err := strconv.ParseInt(uid, 10, 64)
		if err == nil {
			sc.RunAsUser = &u
		}
		if err == nil && hasGID {
			var g int64
			if g, err = strconv.ParseInt(gid, 10, 64); err == nil {
				sc.RunAsGroup = &g
			}
		}
		if err != nil {
			// A user name is resolved by the image's /etc/passwd at run
			// time; Kubernetes takes numbers only.
			errs = append(errs, fmt.Errorf("user %q: Kubernetes needs a numeric uid[:gid] (runAsUser, runAsGroup)", svc.User))
		}
	}
	if svc.ReadOnly {
		sc.ReadOnlyRootFilesystem = new(true)
	}
	if svc.Privileged {
		sc.Privileged = new(true)
	}
	if len(svc.CapAdd) > 0 || len(svc.CapDrop) > 0 {
		sc.Capabilities = &corev1.Capabilities{Add: capabilities(svc.CapAdd), Drop: capabilities(svc.CapDrop)}
	}
	for _, opt := range svc.SecurityOpt {
		// Docker accepts both key=value and key:value.
		key, val, _ := strings.Cut(strings.Replace(opt, "=", ":", 1), ":")
		switch {
		case key == "no-new-privileges" && (val == "" || val == "true"):
			sc.AllowPrivilegeEscalation = new(false)
		case key == "no-new-privileges" && val == "false":
		case key == "seccomp" && val == "unconfined":
			sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		case key == "apparmor" && val == "unconfined":
			sc.AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
		default:
			errs = append(errs, fmt.Errorf("security_opt %q has no Kubernetes field this export knows (no-new-privileges, seccomp=unconfined, apparmor=unconfined)", opt))
		}
	}
	if *sc == (corev1.SecurityContext{}) {
		sc = nil
	}
	return sc, errs
}

// capabilities drops Docker's optional CAP_ prefix, which Kubernetes does
// not take.
func capabilities(caps []string) []corev1.Capability {
	var out []corev1.Capability
	for _, c := range caps {
		out = append(out, corev1.Capability(strings.TrimPrefix(strings.ToUpper(c), "CAP_")))
	}
	return out
}

// Kubernetes pod template: the container, its volumes, resources, health probe, security context and restart policy.

package export

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/chainctl/chainctl/internal/topology"
)

// podSpec is the pod template's spec: one container, its volumes; and
// every problem found on the way.
func podSpec(t *topology.Topology, svc *topology.Service, ports []corev1.ServicePort, host []corev1.ContainerPort) (*corev1.PodSpec, []error) {
	var errs []error
	c := corev1.Container{
		Name:    svc.Name,
		Image:   svc.Image,
		Command: escapeKubeList(svc.Entrypoint), // Docker's entrypoint is Kubernetes' command
		Args:    escapeKubeList(svc.Command),    // and Docker's command its args
		Ports:   withHostPorts(ports, host),
	}
	env := environment(t.Name, svc)
	for _, k := range sortedKeys(env) {
		c.Env = append(c.Env, corev1.EnvVar{Name: k, Value: escapeKube(env[k])})
	}
	c.Resources = resources(svc.Resources)
	probe, err := healthProbe(svc)
	if err != nil {
		errs = append(errs, err)
	}
	c.ReadinessProbe, c.LivenessProbe = probe, probe.DeepCopy()
	sc, scErrs := securityContext(svc)
	errs = append(errs, scErrs...)
	c.SecurityContext = sc

	spec := &corev1.PodSpec{}
	if spec.RestartPolicy, err = restartPolicy(svc.Restart); err != nil {
		errs = append(errs, err)
	}
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

// linkHealthTest is the link image's own HEALTHCHECK command.
var linkHealthTest = []string{"CMD", "/link", "-health"}

// healthProbe turns the health check into a probe, nil for none. The link
// image's own check (no test, or its HEALTHCHECK's) becomes an HTTP GET of
// what `/link -health` asks, cheaper than an exec; any other test is
// exec'd as given. A test left out on another image is an error: its
// Docker HEALTHCHECK is invisible here, so the timings would apply to
// nothing (an image without a healthcheck in the topology gets no probe).
func healthProbe(svc *topology.Service) (*corev1.Probe, error) {
	h := svc.Healthcheck
	if h != nil && (h.Disable || len(h.Test) > 0 && h.Test[0] == "NONE") {
		return nil, nil
	}
	// Docker lays the topology's timings over the image's: the link
	// image's are known, another image's are not (Docker's defaults).
	timing := dockerHealth
	if isLink(svc) {
		timing = linkHealth
	}
	var handler corev1.ProbeHandler
	switch {
	case isLink(svc) && (h == nil || len(h.Test) == 0 || slices.Equal(h.Test, linkHealthTest)):
		handler.HTTPGet = &corev1.HTTPGetAction{Path: HealthPath, Port: intstr.FromInt32(int32(linkPort(svc)))}
	case h == nil:
		return nil, nil
	case len(h.Test) == 0:
		return nil, errors.New("healthcheck without a test: Kubernetes cannot read the image's HEALTHCHECK, so its timings would apply to nothing; give healthcheck.test for the export")
	case h.Test[0] == "CMD" && len(h.Test) > 1:
		handler.Exec = &corev1.ExecAction{Command: escapeKubeList(h.Test[1:])}
	case h.Test[0] == "CMD-SHELL" && len(h.Test) == 2:
		handler.Exec = &corev1.ExecAction{Command: []string{"/bin/sh", "-c", escapeKube(h.Test[1])}}
	default:
		return nil, fmt.Errorf("healthcheck.test %q: want [CMD, ...] or [CMD-SHELL, command]", h.Test)
	}
	if h != nil {
		timing = mergeHealth(timing, *h)
	}
	return &corev1.Probe{
		ProbeHandler:        handler,
		InitialDelaySeconds: int32(ceilSeconds(time.Duration(timing.StartPeriod))),
		// Kubernetes counts in whole seconds, at least 1: 500ms becomes 1s.
		PeriodSeconds:    int32(max(1, ceilSeconds(time.Duration(timing.Interval)))),
		TimeoutSeconds:   int32(max(1, ceilSeconds(time.Duration(timing.Timeout)))),
		FailureThreshold: int32(min(timing.Retries, math.MaxInt32)),
	}, nil
}

// mergeHealth lays the non-zero timings of h over def.
func mergeHealth(def, h topology.Healthcheck) topology.Healthcheck {
	if h.Interval != 0 {
		def.Interval = h.Interval
	}
	if h.Timeout != 0 {
		def.Timeout = h.Timeout
	}
	if h.StartPeriod != 0 {
		def.StartPeriod = h.StartPeriod
	}
	if h.Retries != 0 {
		def.Retries = h.Retries
	}
	return def
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
